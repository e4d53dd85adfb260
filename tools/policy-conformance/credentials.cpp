#include "credentials.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace scopegate::live {

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string config_path(GetEnv env) {
  if (auto p = env("COMWIT_CONFIG")) return *p;
  if (auto x = env("XDG_CONFIG_HOME")) return *x + "/comwit/config.json";
  if (auto h = env("HOME")) return *h + "/.config/comwit/config.json";
  return {};
}

namespace {

struct ConfigFile {
  std::optional<std::string> token;
  std::optional<std::string> default_project;
};

// Never quotes the file's content: a malformed file may still hold a token.
std::optional<ConfigFile> read_config(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read the comwit config file";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    *error = path + ": malformed comwit config file: not valid JSON";
    return std::nullopt;
  }
  if (!json.is_object()) {
    *error = path + ": malformed comwit config file: not a JSON object";
    return std::nullopt;
  }
  ConfigFile config;
  for (const char* key : {"token", "default_project"}) {
    auto it = json.find(key);
    if (it == json.end() || it->is_null()) continue;
    if (!it->is_string()) {
      *error = path + ": malformed comwit config file: \"" + key + "\" must be a string";
      return std::nullopt;
    }
    auto value = it->get<std::string>();
    if (value.empty()) continue;
    (std::string_view(key) == "token" ? config.token : config.default_project) = value;
  }
  return config;
}

}  // namespace

std::optional<Credentials> resolve_credentials(const std::optional<std::string>& token_flag,
                                               const std::optional<std::string>& project_flag, GetEnv env,
                                               std::string* error) {
  Credentials c;
  if (token_flag) c.token = Sourced{*token_flag, "--token"};
  if (project_flag) c.project = Sourced{*project_flag, "--project"};
  else if (auto p = env("COMWIT_PROJECT")) c.project = Sourced{*p, "$COMWIT_PROJECT"};
  if (c.token && c.project) return c;

  const std::string path = config_path(env);
  if (path.empty()) return c;
  const bool named = env("COMWIT_CONFIG").has_value();
  if (!named) {
    std::ifstream probe(path);
    if (!probe) return c;  // no default config file: the caller has not logged in
  }
  auto config = read_config(path, error);
  if (!config) return std::nullopt;
  c.config_file = path;
  if (!c.token && config->token) c.token = Sourced{*config->token, "token of " + path};
  if (!c.project && config->default_project)
    c.project = Sourced{*config->default_project, "default_project of " + path};
  return c;
}

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequal_at(std::string_view text, std::size_t at, std::string_view s) {
  if (at + s.size() > text.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (lower(text[at + i]) != lower(s[i])) return false;
  return true;
}

}  // namespace

void Redactor::add(std::string secret, std::string_view known_prefix) {
  if (secret.empty()) return;
  for (const auto& e : entries_)
    if (e.secret == secret) return;
  std::size_t shown = secret.starts_with(known_prefix) ? known_prefix.size() + 2 : 2;
  shown = std::min(shown, secret.size() / 2);
  entries_.push_back({std::move(secret), shown});
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.secret.size() > b.secret.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const Entry* hit = nullptr;
    for (const auto& e : entries_)
      if (iequal_at(text, i, e.secret)) {
        hit = &e;
        break;
      }
    if (!hit) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, hit->shown));
    out += "\u2026(masked)";
    i += hit->secret.size();
  }
  return out;
}

}  // namespace scopegate::live
