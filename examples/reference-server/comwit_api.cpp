#include "comwit_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>

namespace scopegate::example {
namespace {

using json = nlohmann::ordered_json;

ApiReply reply(int status, const json& body) { return {status, body.dump(), {}}; }

ApiReply not_found(std::string_view what) {
  return reply(404, {{"error", {{"status", 404}, {"code", "not_found"}, {"message", std::string(what) + " not found"}}}});
}

// RFC 6749 section 5.2 error responses, which RFC 8628 polling reuses.
ApiReply oauth_error(std::string_view code) {
  ApiReply r = reply(400, {{"error", code}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

json body_object(std::string_view body) {
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();
}

std::string text_field(const json& body, const char* key, std::string fallback) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// `a=1&b=2` form fields, values percent-decoded (`+` is a space).
std::map<std::string, std::string> form_fields(std::string_view body) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') r += ' ';
      else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        r += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else r += s[i];
    }
    return r;
  };
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t amp = body.find('&', start);
    std::string_view pair = body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    std::size_t eq = pair.find('=');
    out[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

// The pattern's parameters, read from the canonical path the route matched.
std::map<std::string, std::string> route_params(std::string_view pattern, std::string_view path) {
  std::map<std::string, std::string> out;
  std::size_t pi = 1, si = 1;
  while (pi <= pattern.size() && si <= path.size()) {
    std::size_t pe = std::min(pattern.find('/', pi), pattern.size());
    std::size_t se = std::min(path.find('/', si), path.size());
    std::string_view seg = pattern.substr(pi, pe - pi);
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}')
      out[std::string(seg.substr(1, seg.size() - 2))] = std::string(path.substr(si, se - si));
    pi = pe + 1;
    si = se + 1;
  }
  return out;
}

std::string random_text(std::string_view alphabet, std::size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += alphabet[pick(rng)];
  return out;
}

}  // namespace

ComwitApi::ComwitApi(const std::vector<std::string>& projects, std::optional<std::string> approved_token,
                     std::string verification_uri)
    : approved_token_(std::move(approved_token)), verification_uri_(std::move(verification_uri)) {
  for (const auto& id : projects) {
    Project p;
    p.databases["db_main"] = {"main", "seed"};
    App app{"web", "seed", "bld_1", {{"LOG_LEVEL", "info"}}, {"bld_1"}, {"web." + id + ".example"}};
    p.apps["app_web"] = app;
    p.domains[id + ".example"].records["rec_1"] = {"A", "@", "192.0.2.10"};
    projects_[id] = std::move(p);
  }
  platform_databases_["pdb_main"] = {"platform", "seed"};
}

std::string ComwitApi::next_id(std::string_view prefix) { return std::string(prefix) + std::to_string(++counter_); }

ApiReply ComwitApi::handle(const ApiCall& call) {
  std::string_view pattern = call.route.substr(call.route.find(' ') + 1);
  Params params = route_params(pattern, call.path);
  std::lock_guard lock(mutex_);
  return dispatch(call.route, params, call);
}

ApiReply ComwitApi::device_start() {
  std::string device_code = random_text("0123456789abcdef", 32);
  std::string user_code = random_text("BCDFGHJKLMNPQRSTVWXZ", 4) + "-" + random_text("BCDFGHJKLMNPQRSTVWXZ", 4);
  device_codes_[device_code] = user_code;
  ApiReply r = reply(200, {{"device_code", device_code},
                           {"user_code", user_code},
                           {"verification_uri", verification_uri_},
                           {"verification_uri_complete", verification_uri_ + "?user_code=" + user_code},
                           {"expires_in", 900},
                           {"interval", 5}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiReply ComwitApi::device_poll(std::string_view body) {
  // RFC 8628 section 3.4 sends a form; a JSON object is accepted too.
  std::map<std::string, std::string> fields = form_fields(body);
  if (auto j = body_object(body); !j.empty()) {
    fields.clear();
    for (const auto& [k, v] : j.items())
      if (v.is_string()) fields[k] = v.get<std::string>();
  }
  auto grant = fields.find("grant_type");
  if (grant != fields.end() && grant->second != "urn:ietf:params:oauth:grant-type:device_code")
    return oauth_error("unsupported_grant_type");
  auto code = fields.find("device_code");
  if (code == fields.end() || code->second.empty()) return oauth_error("invalid_request");
  if (!device_codes_.count(code->second)) return oauth_error("invalid_grant");
  if (!approved_token_) return oauth_error("authorization_pending");
  device_codes_.erase(code->second);  // a device code yields its token once
  ApiReply r = reply(200, {{"access_token", *approved_token_}, {"token_type", "Bearer"}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiReply ComwitApi::dispatch(std::string_view route, const Params& p, const ApiCall& call) {
  const json in = body_object(call.body);
  auto param = [&](const char* name) { return p.count(name) ? p.at(name) : std::string(); };

  if (route == "POST /v1/auth/device") return device_start();
  if (route == "POST /v1/auth/device/token") return device_poll(call.body);

  if (route == "GET /v1/status") return reply(200, {{"status", "ok"}, {"projects", projects_.size()}});
  if (route == "GET /v1/databases") {
    json list = json::array();
    for (const auto& [id, db] : platform_databases_) list.push_back({{"id", id}, {"name", db.name}});
    return reply(200, {{"databases", list}});
  }
  if (route == "POST /v1/databases") {
    std::string id = next_id("pdb_");
    platform_databases_[id] = {text_field(in, "name", id), std::string(call.actor)};
    return reply(201, {{"id", id}, {"created_by", call.actor}});
  }
  if (route == "GET /v1/databases/{databaseId}" || route == "DELETE /v1/databases/{databaseId}") {
    auto it = platform_databases_.find(param("databaseId"));
    if (it == platform_databases_.end()) return not_found("database");
    if (route.starts_with("DELETE")) {
      platform_databases_.erase(it);
      return {204, "", {}};
    }
    return reply(200, {{"id", it->first}, {"name", it->second.name}});
  }
  if (route == "GET /v1/projects") {
    json list = json::array();
    for (const auto& [id, proj] : projects_)
      if (!call.projects || std::find(call.projects->begin(), call.projects->end(), id) != call.projects->end())
        list.push_back({{"id", id}});
    return reply(200, {{"projects", list}});
  }
  if (route == "GET /v1/apps/{appId}" || route == "POST /v1/apps/{appId}/deploy") {
    for (auto& [pid, proj] : projects_) {
      auto it = proj.apps.find(param("appId"));
      if (it == proj.apps.end()) continue;
      if (route.starts_with("POST")) {
        it->second.deployed_build = it->second.builds.back();
        return reply(202, {{"app", it->first}, {"project", pid}, {"deploying", it->second.deployed_build}});
      }
      return reply(200, {{"id", it->first}, {"project", pid}, {"name", it->second.name}});
    }
    return not_found("app");
  }

  // Every other route is under a project; the hidden aliases name it too.
  auto proj_it = projects_.find(param("projectId"));
  if (proj_it == projects_.end()) return not_found("project");
  Project& proj = proj_it->second;
  const std::string& pid = proj_it->first;
  if (route == "GET /v1/projects/{projectId}" || route == "GET /v1/project/{projectId}")
    return reply(200, {{"id", pid}, {"databases", proj.databases.size()}, {"apps", proj.apps.size()},
                       {"domains", proj.domains.size()}});

  if (route == "GET /v1/projects/{projectId}/databases" || route == "GET /v1/projects/{projectId}/db") {
    json list = json::array();
    for (const auto& [id, db] : proj.databases) list.push_back({{"id", id}, {"name", db.name}});
    return reply(200, {{"databases", list}});
  }
  if (route == "GET /v1/projects/{projectId}/databases/{databaseId}") {
    auto it = proj.databases.find(param("databaseId"));
    if (it == proj.databases.end()) return not_found("database");
    return reply(200, {{"id", it->first}, {"name", it->second.name}, {"created_by", it->second.created_by}});
  }
  if (route == "POST /v1/projects/{projectId}/databases") {
    std::string id = next_id("db_");
    proj.databases[id] = {text_field(in, "name", id), std::string(call.actor)};
    return reply(201, {{"id", id}, {"created_by", call.actor}});
  }

  if (route == "GET /v1/projects/{projectId}/apps") {
    json list = json::array();
    for (const auto& [id, app] : proj.apps) list.push_back({{"id", id}, {"name", app.name}});
    return reply(200, {{"apps", list}});
  }
  if (route == "POST /v1/projects/{projectId}/apps") {
    std::string id = next_id("app_");
    proj.apps[id] = {text_field(in, "name", id), std::string(call.actor), "", {}, {}, {}};
    return reply(201, {{"id", id}, {"created_by", call.actor}});
  }
  if (route.starts_with("GET /v1/projects/{projectId}/apps/{appId}") ||
      route.starts_with("POST /v1/projects/{projectId}/apps/{appId}") ||
      route.starts_with("PUT /v1/projects/{projectId}/apps/{appId}") ||
      route.starts_with("DELETE /v1/projects/{projectId}/apps/{appId}")) {
    auto it = proj.apps.find(param("appId"));
    if (it == proj.apps.end()) return not_found("app");
    App& app = it->second;
    if (route == "GET /v1/projects/{projectId}/apps/{appId}")
      return reply(200, {{"id", it->first}, {"name", app.name}, {"deployed_build", app.deployed_build}});
    if (route == "DELETE /v1/projects/{projectId}/apps/{appId}") {
      proj.apps.erase(it);
      return {204, "", {}};
    }
    if (route == "GET /v1/projects/{projectId}/apps/{appId}/builds") return reply(200, {{"builds", app.builds}});
    if (route == "GET /v1/projects/{projectId}/apps/{appId}/builds/{buildId}") {
      if (std::find(app.builds.begin(), app.builds.end(), param("buildId")) == app.builds.end()) return not_found("build");
      return reply(200, {{"id", param("buildId")}, {"app", it->first}});
    }
    if (route == "GET /v1/projects/{projectId}/apps/{appId}/env") return reply(200, {{"env", app.env}});
    if (route == "PUT /v1/projects/{projectId}/apps/{appId}/env") {
      app.env.clear();
      for (const auto& [k, v] : in.items())
        if (v.is_string()) app.env[k] = v.get<std::string>();
      return reply(200, {{"env", app.env}, {"set_by", call.actor}});
    }
    if (route == "GET /v1/projects/{projectId}/apps/{appId}/domains") return reply(200, {{"hostnames", app.hostnames}});
    if (route == "POST /v1/projects/{projectId}/apps/{appId}/domains") {
      std::string host = text_field(in, "hostname", next_id("host") + "." + pid + ".example");
      app.hostnames.push_back(host);
      return reply(201, {{"hostname", host}, {"attached_by", call.actor}});
    }
    if (route == "DELETE /v1/projects/{projectId}/apps/{appId}/domains/{hostname}") {
      auto h = std::find(app.hostnames.begin(), app.hostnames.end(), param("hostname"));
      if (h == app.hostnames.end()) return not_found("hostname");
      app.hostnames.erase(h);
      return {204, "", {}};
    }
    if (route == "POST /v1/projects/{projectId}/apps/{appId}/deploy") {
      std::string build = next_id("bld_");
      app.builds.push_back(build);
      app.deployed_build = build;
      return reply(202, {{"deploying", build}, {"by", call.actor}});
    }
    if (route == "POST /v1/projects/{projectId}/apps/{appId}/rollback") {
      if (app.builds.size() < 2) return reply(409, {{"error", {{"status", 409}, {"code", "nothing_to_roll_back"}, {"message", "the app has one build"}}}});
      app.builds.pop_back();
      app.deployed_build = app.builds.back();
      return reply(202, {{"rolled_back_to", app.deployed_build}, {"by", call.actor}});
    }
  }

  if (route == "GET /v1/projects/{projectId}/domains") {
    json list = json::array();
    for (const auto& [name, d] : proj.domains) list.push_back({{"name", name}, {"purchased", d.purchased}});
    return reply(200, {{"domains", list}});
  }
  if (route == "POST /v1/projects/{projectId}/domains") {
    std::string name = text_field(in, "name", next_id("d") + "." + pid + ".example");
    proj.domains[name];
    return reply(201, {{"name", name}, {"onboarded_by", call.actor}});
  }
  if (route.find("/domains/{domain}") != std::string_view::npos) {
    auto it = proj.domains.find(param("domain"));
    if (it == proj.domains.end()) return not_found("domain");
    Domain& d = it->second;
    if (route == "GET /v1/projects/{projectId}/domains/{domain}")
      return reply(200, {{"name", it->first}, {"purchased", d.purchased}, {"records", d.records.size()}});
    if (route == "POST /v1/projects/{projectId}/domains/{domain}/purchase") {
      d.purchased = true;
      return reply(202, {{"name", it->first}, {"purchased_by", call.actor}});
    }
    if (route == "GET /v1/projects/{projectId}/domains/{domain}/records") {
      json list = json::array();
      for (const auto& [id, r] : d.records) list.push_back({{"id", id}, {"type", r.type}, {"name", r.name}, {"value", r.value}});
      return reply(200, {{"records", list}});
    }
    if (route == "POST /v1/projects/{projectId}/domains/{domain}/records") {
      std::string id = next_id("rec_");
      d.records[id] = {text_field(in, "type", "A"), text_field(in, "name", "@"), text_field(in, "value", "192.0.2.20")};
      return reply(201, {{"id", id}});
    }
    auto rec = d.records.find(param("recordId"));
    if (rec == d.records.end()) return not_found("record");
    if (route == "PUT /v1/projects/{projectId}/domains/{domain}/records/{recordId}") {
      rec->second = {text_field(in, "type", rec->second.type), text_field(in, "name", rec->second.name),
                     text_field(in, "value", rec->second.value)};
      return reply(200, {{"id", rec->first}});
    }
    if (route == "DELETE /v1/projects/{projectId}/domains/{domain}/records/{recordId}") {
      d.records.erase(rec);
      return {204, "", {}};
    }
  }
  // A route of another policy: allowed, but this example serves nothing there.
  return not_found("resource");
}

}  // namespace scopegate::example
