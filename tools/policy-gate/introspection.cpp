#include "introspection.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>
#include <sstream>

namespace scopegate::gate {
namespace {

std::vector<std::string_view> views_of(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

// application/x-www-form-urlencoded: everything but the unreserved characters escaped.
std::string form_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> split_spaces(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

IntrospectedToken::IntrospectedToken(bool is_active, std::string user, std::vector<std::string> scope_names,
                                     std::vector<std::string> project_ids)
    : active(is_active),
      user_id(std::move(user)),
      scopes(std::move(scope_names)),
      projects(std::move(project_ids)),
      scope_views(views_of(scopes)),
      project_views(views_of(projects)) {}

std::unique_ptr<Introspector> Introspector::make(IntrospectionOptions options, std::string* error) {
  static const std::regex kUrl(R"((https?://[^/?#]+)(/[^#]*))");
  std::smatch m;
  if (!std::regex_match(options.url, m, kUrl)) {
    *error = "--introspect '" + options.url + "' is not an http:// or https:// URL with a path";
    return nullptr;
  }
  if (options.cache_size == 0 || options.cache_size > IntrospectionOptions::kMaxCacheSize) {
    *error = "--cache-size must be 1 to " + std::to_string(IntrospectionOptions::kMaxCacheSize);
    return nullptr;
  }
  if (options.cache_ttl.count() < 0 || options.cache_ttl > IntrospectionOptions::kMaxCacheTtl) {
    *error = "--cache-ttl must be 0 to " + std::to_string(IntrospectionOptions::kMaxCacheTtl.count()) + " seconds";
    return nullptr;
  }
  std::unique_ptr<Introspector> out(new Introspector(std::move(options)));
  out->scheme_host_port_ = m[1];
  out->path_ = m[2];
  return out;
}

std::shared_ptr<const IntrospectedToken> Introspector::fetch(std::string_view token, std::chrono::seconds* ttl) const {
  httplib::Client client(scheme_host_port_);
  const auto timeout_s = options_.timeout.count() / 1000;
  const auto timeout_us = (options_.timeout.count() % 1000) * 1000;
  client.set_connection_timeout(timeout_s, timeout_us);
  client.set_read_timeout(timeout_s, timeout_us);
  client.set_write_timeout(timeout_s, timeout_us);
  httplib::Headers headers = {{"Accept", "application/json"}};
  if (!options_.authorization.empty()) headers.emplace("Authorization", options_.authorization);
  const std::string body = "token=" + form_encode(token) + "&token_type_hint=access_token";
  auto response = client.Post(path_, headers, body, "application/x-www-form-urlencoded");
  if (!response || response->status != 200) return nullptr;

  const auto json = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return nullptr;
  *ttl = options_.cache_ttl;
  auto inactive = [] { return std::make_shared<const IntrospectedToken>(false, "", std::vector<std::string>{},
                                                                        std::vector<std::string>{}); };
  const auto active = json.find("active");
  if (active == json.end() || !active->is_boolean()) return nullptr;
  if (!active->get<bool>()) return inactive();

  if (const auto exp = json.find("exp"); exp != json.end() && exp->is_number()) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const std::chrono::seconds left{static_cast<std::int64_t>(exp->get<double>()) - now.count()};
    if (left.count() <= 0) return inactive();
    *ttl = std::min(*ttl, left);
  }
  std::string user_id;
  for (const char* claim : {"sub", "username"}) {
    const auto it = json.find(claim);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      user_id = it->get<std::string>();
      break;
    }
  }
  // A token that names nobody cannot be attributed: treat it as unknown.
  if (user_id.empty()) return inactive();
  std::vector<std::string> scopes;
  if (const auto scope = json.find("scope"); scope != json.end() && scope->is_string())
    scopes = split_spaces(scope->get<std::string>());
  std::vector<std::string> projects;
  if (const auto claim = json.find(options_.projects_claim); claim != json.end() && claim->is_array())
    for (const auto& p : *claim)
      if (p.is_string()) projects.push_back(p.get<std::string>());
  return std::make_shared<const IntrospectedToken>(true, std::move(user_id), std::move(scopes), std::move(projects));
}

Introspector::Result Introspector::lookup(std::string_view token) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = by_token_.find(token); it != by_token_.end()) {
      if (it->second->expires > now) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return {it->second->answer, true};
      }
      // The map's key views the entry's token: drop the key first.
      const auto entry = it->second;
      by_token_.erase(it);
      lru_.erase(entry);
    }
  }
  std::chrono::seconds ttl{0};
  auto answer = fetch(token, &ttl);
  if (!answer || ttl.count() <= 0) return {answer, false};

  std::lock_guard lock(mutex_);
  if (auto it = by_token_.find(token); it != by_token_.end()) {
    const auto entry = it->second;
    by_token_.erase(it);
    lru_.erase(entry);
  }
  lru_.push_front(Entry{std::string(token), now + ttl, answer});
  by_token_.emplace(lru_.front().token, lru_.begin());
  while (lru_.size() > options_.cache_size) {
    by_token_.erase(lru_.back().token);
    lru_.pop_back();
  }
  return {answer, false};
}

std::size_t Introspector::cache_entries() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::optional<UserGrant> RequestResolver::resolve(std::string_view token) const {
  if (table_) return table_->resolve(token);
  Introspector::Result r = introspector_->lookup(token);
  introspected_ = true;
  cache_hit_ = r.cache_hit;
  unavailable_ = r.token == nullptr;
  held_ = std::move(r.token);
  if (!held_ || !held_->active) return std::nullopt;
  return UserGrant{held_->user_id, held_->scope_views, held_->project_views};
}

}  // namespace scopegate::gate
