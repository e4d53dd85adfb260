#include "compare.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace scopegate::live {

std::optional<StatusSet> StatusSet::parse(std::string_view text, std::string* error) {
  StatusSet set;
  set.text_ = std::string(text);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    bool ok = item.size() == 3 && item[0] >= '1' && item[0] <= '5';
    if (ok && (item.substr(1) == "xx" || item.substr(1) == "XX")) {
      long base = (item[0] - '0') * 100;
      set.ranges_.emplace_back(base, base + 99);
    } else if (ok && std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      long s = std::stol(std::string(item));
      set.ranges_.emplace_back(s, s);
    } else {
      *error = "--pass-status: \"" + std::string(item) + "\" is not a status (404) or a class (2xx)";
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

bool StatusSet::contains(long status) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const auto& r) { return status >= r.first && status <= r.second; });
}

std::optional<std::string> error_code(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  auto e = json.find("error");
  if (e == json.end() || !e->is_object()) return std::nullopt;
  auto code = e->find("code");
  if (code == e->end() || !code->is_string()) return std::nullopt;
  return code->get<std::string>();
}

namespace {

bool is_tchar(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// RFC 9110 section 11.6.1 challenges: `scheme [token68 | #auth-param]`,
// several per field value, separated by commas.
struct Challenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;
};

std::vector<Challenge> parse_challenges(std::string_view s) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skip = [&](std::string_view set) {
    while (i < s.size() && set.find(s[i]) != std::string_view::npos) ++i;
  };
  auto token = [&] {
    std::size_t b = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    return std::string(s.substr(b, i - b));
  };
  while (i < s.size()) {
    skip(" \t,");
    std::string name = token();
    if (name.empty()) {
      ++i;  // a character no rule allows here: step over it
      continue;
    }
    const std::size_t after = i;
    skip(" \t");
    // `name=` continues the current challenge; any other token starts one.
    if (i < s.size() && s[i] == '=' && !out.empty()) {
      ++i;
      skip(" \t");
      std::string value;
      if (i < s.size() && s[i] == '"') {
        for (++i; i < s.size() && s[i] != '"'; ++i) {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value += s[i];
        }
        ++i;
      } else {
        value = token();
      }
      out.back().params.emplace_back(lower(name), value);
      continue;
    }
    out.push_back({name, {}});
    i = after;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> allow_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      std::size_t comma = v.find(',', start);
      std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::string want(const Expected& e) {
  return std::to_string(e.status()) + " " + std::string(reason_name(e.reason));
}

// The Bearer challenge's auth-params (names lower-cased, quoted values
// unquoted); nullopt when no challenge is a Bearer one.
std::optional<std::vector<std::pair<std::string, std::string>>> bearer_params(const std::vector<std::string>& values) {
  for (const auto& v : values)
    for (const Challenge& c : parse_challenges(v))
      if (lower(c.scheme) == "bearer") return c.params;
  return std::nullopt;
}

}  // namespace

Verdict judge(const Probe& probe, const Exchange& exchange, const StatusSet& pass,
              const std::vector<std::string>& secrets) {
  Verdict v;
  if (probe.held_back) {
    v.kind = Verdict::Kind::kHeldBack;
    return v;
  }
  if (!exchange.sent) return v;
  if (!exchange.response) {
    v.kind = Verdict::Kind::kError;
    v.differences.push_back("no response: " + exchange.error);
    return v;
  }
  const HttpResponse& r = *exchange.response;
  const Expected& e = probe.expected;
  const bool has_body = probe.method != "HEAD";
  auto code = has_body ? error_code(r.body) : std::nullopt;
  std::string got = std::to_string(r.status) + (code ? " " + *code : "");

  if (e.allow()) {
    if (!pass.contains(r.status))
      v.differences.push_back("status: want " + pass.text() + " (allowed: " + std::string(reason_name(e.reason)) +
                              "), got " + got);
  } else if (r.status != e.status()) {
    v.differences.push_back("status: want " + want(e) + ", got " + got);
  } else {
    if (!e.www_authenticate.empty()) {
      auto wanted = bearer_params({e.www_authenticate}).value_or(std::vector<std::pair<std::string, std::string>>{});
      auto values = r.values("WWW-Authenticate");
      auto actual = bearer_params(values);
      auto param = [](const std::vector<std::pair<std::string, std::string>>& params,
                      std::string_view name) -> std::optional<std::string> {
        for (const auto& [n, val] : params)
          if (n == name) return val;
        return std::nullopt;
      };
      // realm, error and scope must be exactly the contract's; other
      // parameters (error_description, error_uri) are the server's own.
      bool same = actual.has_value();
      for (std::string_view name : {"realm", "error", "scope"})
        if (actual && param(*actual, name) != param(wanted, name)) same = false;
      if (!same)
        v.differences.push_back("WWW-Authenticate: want " + e.www_authenticate + ", got " +
                                (values.empty() ? std::string("none") : join(values, " | ")));
    }
    if (e.reason == Reason::kMethodNotAllowed) {
      auto got_allow = allow_list(r.values("Allow"));
      std::set<std::string> a(got_allow.begin(), got_allow.end()), w(e.allow_methods.begin(), e.allow_methods.end());
      if (a != w)
        v.differences.push_back("Allow: want " + join(e.allow_methods, ", ") + ", got " +
                                (got_allow.empty() ? std::string("none") : join(got_allow, ", ")));
    }
    if (has_body && code != std::string(reason_name(e.reason)))
      v.differences.push_back("error code: want " + std::string(reason_name(e.reason)) + ", got " +
                              (code ? *code : std::string("none (the body is not the section 7 JSON)")));
  }
  if (!e.allow())
    for (const auto& s : secrets)
      if (!s.empty() && r.body.find(s) != std::string::npos) {
        v.differences.push_back("body: echoes a token of the run");
        break;
      }
  v.kind = v.differences.empty() ? Verdict::Kind::kPass : Verdict::Kind::kFail;
  return v;
}

}  // namespace scopegate::live
