#include "workload.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "scopegate/yaml.hpp"

namespace scopegate::bench {
namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "scopegate-bench: %s\n", message.c_str());
  std::exit(2);
}

std::string read_source_file(const std::string& relative) {
  const std::string path = std::string(SCOPEGATE_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + relative + " under the source tree");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// splitmix64: a fixed seed gives the same tables on every machine and
/// standard library, which std::mt19937's distributions do not promise.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

constexpr std::string_view kAreas[] = {"accounts", "billing",   "catalog", "compute", "data",    "events",
                                       "files",    "identity",  "inventory", "messaging", "metrics", "network",
                                       "orders",   "search",    "storage", "support"};
constexpr std::string_view kSubCollections[] = {"items", "members", "versions", "events",
                                                "logs",  "keys",    "tags",     "notes"};
constexpr std::string_view kSyllables[] = {"mor", "fel", "si", "nex", "ra",  "quo", "yor", "bri",
                                           "hin", "mi",  "nu", "wil", "tas", "dor", "ve",  "lan"};

std::string word(Rng& rng) {
  std::string w;
  const std::size_t syllables = 2 + rng.below(2);
  for (std::size_t i = 0; i < syllables; ++i) w += kSyllables[rng.below(std::size(kSyllables))];
  return w;
}

std::string first_segment(std::string_view pattern) {
  const std::size_t end = pattern.find('/', 1);
  return std::string(pattern.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
}

std::string bench_scope(const RouteLine& r) { return first_segment(r.pattern) + (r.method == "GET" ? ":read" : ":write"); }

/// A parameter value of fixed length, distinct per request and position, so
/// that request sets of every table have paths of similar length.
std::string param_value(std::string_view name, std::size_t request, std::size_t position) {
  if (name == "projectId") return std::string(Workload::kProjects[request % std::size(Workload::kProjects)]);
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06zu", (request * 7919 + position * 104729) % 1000000);
  return std::string(1, name.empty() ? 'x' : name[0]) + digits;
}

/// The pattern with its parameters filled in for request number `request`.
/// With `miss`, the last literal segment is written backwards, which no table
/// declares (the workload checks that every such path decides as no_route).
std::string fill(std::string_view pattern, std::size_t request, bool miss) {
  std::vector<std::string> segments;
  std::size_t last_literal = 0;
  for (std::size_t start = 1, position = 0; start <= pattern.size(); ++position) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view seg = pattern.substr(start, end - start);
    if (seg.starts_with('{')) {
      segments.push_back(param_value(seg.substr(1, seg.size() - 2), request, position));
    } else {
      last_literal = segments.size();
      segments.emplace_back(seg);
    }
    start = end + 1;
  }
  if (miss) {
    std::string& literal = segments[last_literal];
    std::string reversed(literal.rbegin(), literal.rend());
    literal = reversed == literal ? literal + "x" : reversed;
  }
  std::string path;
  for (const auto& s : segments) path += "/" + s;
  return path;
}

std::string random_hex(Rng& rng, std::size_t digits) {
  std::string out;
  while (out.size() < digits) out += "0123456789abcdef"[rng.below(16)];
  return out;
}

/// The request set: one request per route in spec order, each fourth followed
/// by a miss; synthetic tables instead take 205 routes spread evenly over the
/// table (`spread`), so that every size times 256 requests.
std::vector<BenchRequest> mix_requests(const PolicySpec& spec, bool spread) {
  std::vector<BenchRequest> out;
  auto add = [&](std::size_t route, bool miss) {
    const RouteSpec& r = spec.routes[route];
    BenchRequest q;
    q.method = std::string(method_name(r.method));
    q.target = fill(r.pattern, out.size(), miss);
    if (!miss) q.route = route;
    out.push_back(std::move(q));
  };
  if (!spread) {
    for (std::size_t i = 0; i < spec.routes.size(); ++i) {
      add(i, false);
      if (i % 4 == 3) add(i, true);
    }
    return out;
  }
  constexpr std::size_t kRequests = 256;
  std::size_t hits = 0;
  for (std::size_t k = 0; k < kRequests; ++k) {
    const std::size_t route = hits * spec.routes.size() / (kRequests - kRequests / 5);
    const bool miss = k % 5 == 4;
    add(route, miss);
    if (!miss) ++hits;
  }
  return out;
}

/// Checks that the request set decides as it claims: every request written
/// for a route reaches the full check of that route, every miss is no_route.
void verify_mix(const Workload& w) {
  for (const BenchRequest& q : w.mix) {
    const Decision d = decide(*w.policy, Request{q.method, q.target, w.full_user_headers.headers}, *w.resolver,
                              w.operator_secret);
    const Decision c = check(*w.policy, q.method, q.target, w.full_user);
    bool ok = d.reason == c.reason;
    if (q.route) {
      const RouteSpec& r = w.policy->spec().routes[*q.route];
      const Reason want = r.auth == RouteAuth::kPublic         ? Reason::kPublic
                          : r.auth == RouteAuth::kOperatorOnly ? Reason::kOperatorOnly
                                                               : Reason::kGranted;
      ok = ok && d.reason == want && d.route == std::string(method_name(r.method)) + " " + r.pattern;
    } else {
      ok = ok && d.reason == Reason::kNoRoute;
    }
    if (!ok)
      fail(w.name + ": " + q.method + " " + q.target + " decides as " + std::string(reason_name(d.reason)) +
           ", not as the request set says");
  }
}

std::unique_ptr<Workload> build_workload(const std::string& name) {
  auto w = std::make_unique<Workload>();
  w->name = name;
  bool spread = false;
  if (name == "comwit") {
    w->yaml = read_source_file("policies/comwit.yaml");
  } else if (name == "github") {
    w->yaml = policy_yaml(name, parse_route_lines(read_source_file("bench/data/github-api.txt")));
  } else {
    w->yaml = policy_yaml(name, synthetic_routes(route_count(name)));
    spread = true;
  }
  LoadResult loaded = load_policy_text(w->yaml, name + ".yaml");
  if (!loaded.ok()) {
    std::string why;
    for (const auto& d : loaded.diagnostics) why += "\n  " + d.message;
    fail("policy " + name + " does not load:" + why);
  }
  w->policy = std::move(loaded.policy);
  const CompiledPolicy& policy = *w->policy;

  // Tokens of realistic length: a 40-hex-digit PAT and a 41-character secret.
  Rng rng(0x70CE11);
  const std::vector<std::string> projects(std::begin(Workload::kProjects), std::end(Workload::kProjects));
  w->tokens.users.push_back({"cwt_" + random_hex(rng, 40), "usr_bench_full", policy.scopes(), projects, {}});
  w->tokens.users.push_back({"cwt_" + random_hex(rng, 40), "usr_bench_reader", {policy.scopes().front()}, projects, {}});
  w->operator_token = "op-bench-" + random_hex(rng, 32);
  w->tokens.operator_token = w->operator_token;
  w->resolver = std::make_unique<StaticTokenResolver>(w->tokens.users);
  std::string error;
  auto secret = OperatorSecret::make(w->operator_token, policy, &error);
  if (!secret) fail("operator secret: " + error);
  w->operator_secret = *secret;
  w->full_user_headers = cli_headers(w->tokens.users[0].token);

  const UserTokenEntry& full = w->resolver->users()[0];
  std::vector<std::string_view> scope_names(full.scopes.begin(), full.scopes.end());
  w->full_user.kind = Principal::Kind::kUser;
  w->full_user.actor = full.user_id;
  w->full_user.scopes = Principal::intern_scopes(policy, scope_names);
  w->full_user.projects = Workload::kProjects;

  w->mix = mix_requests(policy.spec(), spread);
  verify_mix(*w);
  return w;
}

}  // namespace

std::vector<RouteLine> parse_route_lines(std::string_view text) {
  std::vector<RouteLine> out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) fail("route line without a space: " + std::string(line));
    out.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1))});
  }
  return out;
}

std::vector<RouteLine> synthetic_routes(std::size_t route_count) {
  std::vector<RouteLine> out;
  out.reserve(route_count);
  Rng rng(0x5C09E6A7Eull);
  for (std::size_t r = 0; r < route_count / 10; ++r) {
    const std::string_view area = kAreas[rng.below(std::size(kAreas))];
    // Four resources share a group, as resources of one service do.
    Rng group_rng(r / 4);
    const std::string group = word(group_rng) + std::to_string(r / 4);
    const std::string resource = word(rng) + std::to_string(r);
    const std::string_view sub = kSubCollections[rng.below(std::size(kSubCollections))];
    const std::string base = "/" + std::string(area) + (r % 2 == 0 ? "/projects/{projectId}" : "") + "/" + group +
                             "/" + resource;
    const std::string item = base + "/{id}";
    const std::string subs = item + "/" + std::string(sub);
    const std::string sub_item = subs + "/{subId}";
    for (const auto& [method, pattern] :
         {std::pair{"GET", &base}, {"POST", &base}, {"GET", &item}, {"PUT", &item}, {"DELETE", &item},
          {"GET", &subs}, {"POST", &subs}, {"GET", &sub_item}, {"PUT", &sub_item}, {"DELETE", &sub_item}})
      out.push_back({method, *pattern});
  }
  return out;
}

std::string policy_yaml(std::string_view name, const std::vector<RouteLine>& routes) {
  std::string y = "scopegate: 1\nname: " + std::string(name) +
                  "\ntoken_classes:\n"
                  "  user: {prefix: cwt_, charset: \"0-9a-f\", max_length: 256}\n"
                  "  operator: {secret_env: PLATFORM_API_SERVER_TOKEN, actor_header: X-Comwit-Actor-User-Id}\n"
                  "scopes:\n";
  std::vector<std::string> scopes;
  for (const auto& r : routes)
    if (std::string s = bench_scope(r); std::find(scopes.begin(), scopes.end(), s) == scopes.end())
      scopes.push_back(std::move(s));
  for (const auto& s : scopes) y += "  \"" + s + "\": under /" + s.substr(0, s.find(':')) + "\n";
  y += "routes:\n";
  for (const auto& r : routes)
    y += "  - {method: " + r.method + ", path: \"" + r.pattern + "\", scope: \"" + bench_scope(r) + "\"}\n";
  return y;
}

HeaderSet cli_headers(std::string_view token) {
  std::vector<std::pair<std::string, std::string>> list = {
      {"Host", "api.cloud.comwit.io"}, {"User-Agent", "comwit-cli/1.8.2 (linux; amd64)"}, {"Accept", "application/json"}};
  if (!token.empty()) list.emplace_back("Authorization", "Bearer " + std::string(token));
  return HeaderSet(std::move(list));
}

const std::vector<std::string>& table_names() {
  static const std::vector<std::string> names = {"comwit",          "github",           "synthetic/100",
                                                 "synthetic/1000",  "synthetic/10000",  "synthetic/100000"};
  return names;
}

std::size_t route_count(std::string_view name) {
  if (name == "comwit") return 37;
  if (name == "github") return 203;
  constexpr std::string_view kSynthetic = "synthetic/";
  if (!name.starts_with(kSynthetic)) fail("unknown table " + std::string(name));
  return std::stoul(std::string(name.substr(kSynthetic.size())));
}

const Workload& workload(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Workload>, std::less<>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(std::string(name), build_workload(std::string(name))).first;
  return *it->second;
}

const std::vector<std::pair<std::string, SingleRequest>>& comwit_kinds() {
  static const auto kinds = [] {
    const Workload& w = workload("comwit");
    const std::string& full = w.tokens.users[0].token;
    const std::string& reader = w.tokens.users[1].token;
    const std::string app = "/v1/projects/prj_alpha/apps/a004211";
    std::vector<std::pair<std::string, SingleRequest>> out;
    auto add = [&](std::string kind, std::string target, HeaderSet headers, Reason expected) {
      out.emplace_back(std::move(kind), SingleRequest{"GET", std::move(target), std::move(headers), expected});
    };
    add("granted", app, cli_headers(full), Reason::kGranted);
    add("insufficient_scope", app, cli_headers(reader), Reason::kInsufficientScope);
    add("not_a_member", "/v1/projects/prj_zeta/apps/a004211", cli_headers(full), Reason::kNotAMember);
    HeaderSet op = cli_headers(w.operator_token);
    op.pairs.emplace_back("X-Comwit-Actor-User-Id", "usr_alice");
    add("operator", app, HeaderSet(std::move(op.pairs)), Reason::kOperatorBypass);
    add("unauthenticated", app, cli_headers(""), Reason::kMissingToken);
    add("malformed", "/v1/projects/prj_alpha/%2e%2e/status", cli_headers(full), Reason::kMalformedPath);
    add("no_route", app + "/logs", cli_headers(full), Reason::kNoRoute);
    for (const auto& [kind, q] : out) {
      const Decision d = decide(*w.policy, Request{q.method, q.target, q.headers.headers}, *w.resolver, w.operator_secret);
      if (d.reason != q.expected)
        fail("BM_Decide/comwit/" + kind + " decides as " + std::string(reason_name(d.reason)));
    }
    return out;
  }();
  return kinds;
}

}  // namespace scopegate::bench
