#include "baselines.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

namespace scopegate::bench {
namespace {

constexpr std::uint64_t kRouteExists = 1;
constexpr std::uint64_t kOperatorOnly = std::uint64_t{1} << 63;

/// Keeps one baseline per workload for the process, built under a lock.
template <class Baseline>
const Baseline& cached(const Workload& w) {
  static std::mutex mutex;
  static std::map<const Workload*, std::unique_ptr<Baseline>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[&w];
  if (!slot) slot = std::make_unique<Baseline>(w);
  return *slot;
}

/// `/repos/{owner}/{repo}` as `/repos/([^/]+)/([^/]+)`, literals escaped.
std::string regex_source(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{') {
      out += "([^/]+)";
      i = pattern.find('}', i);
    } else {
      if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

/// The capture group (1-based) of parameter `name` in `pattern`; 0 if absent.
int group_of(std::string_view pattern, std::string_view name) {
  if (name.empty()) return 0;
  int group = 0;
  for (std::size_t open = pattern.find('{'); open != std::string_view::npos; open = pattern.find('{', open + 1)) {
    ++group;
    const std::size_t close = pattern.find('}', open);
    if (pattern.substr(open + 1, close - open - 1) == name) return group;
  }
  return 0;
}

}  // namespace

std::uint64_t ScopeBits::route_needs(const CompiledPolicy& policy, const RouteSpec& route) {
  switch (route.auth) {
    case RouteAuth::kPublic: return kRouteExists;
    case RouteAuth::kOperatorOnly: return kRouteExists | kOperatorOnly;
    case RouteAuth::kScope: break;
  }
  const int index = policy.scope_index(route.scope);
  if (index < 0 || index >= 62) {
    std::fprintf(stderr, "scopegate-bench: the baselines take at most 62 scopes\n");
    std::exit(2);
  }
  return kRouteExists | std::uint64_t{1} << (1 + index);
}

std::uint64_t ScopeBits::full_user(const CompiledPolicy& policy) {
  std::uint64_t mask = kRouteExists;
  for (std::size_t i = 0; i < policy.scopes().size() && i < 62; ++i) mask |= std::uint64_t{1} << (1 + i);
  return mask;
}

std::optional<Method> baseline_method(std::string_view m) {
  // One comparison at most, as a hand-written dispatch would do it.
  switch (m.size()) {
    case 3: return m == "GET" ? Method::kGet : m == "PUT" ? std::optional(Method::kPut) : std::nullopt;
    case 4: return m == "POST" ? Method::kPost : m == "HEAD" ? std::optional(Method::kGet) : std::nullopt;
    case 5: return m == "PATCH" ? Method::kPatch : m == "TRACE" ? std::optional(Method::kTrace) : std::nullopt;
    case 6: return m == "DELETE" ? std::optional(Method::kDelete) : std::nullopt;
    case 7: return m == "OPTIONS" ? Method::kOptions : m == "CONNECT" ? std::optional(Method::kConnect) : std::nullopt;
    default: return std::nullopt;
  }
}

Floor::Floor(const Workload& w) {
  for (const BenchRequest& q : w.mix) {
    if (!q.route) continue;
    const RouteSpec& r = w.policy->spec().routes[*q.route];
    needs_[q.target][static_cast<std::size_t>(r.method)] = ScopeBits::route_needs(*w.policy, r);
  }
}

RegexScan::RegexScan(const Workload& w) {
  const auto& routes = w.policy->spec().routes;
  routes_.reserve(routes.size());
  for (const RouteSpec& r : routes)
    routes_.push_back(
        {r.method, std::regex(regex_source(r.pattern)), ScopeBits::route_needs(*w.policy, r), group_of(r.pattern, r.project_param)});
}

Verdict RegexScan::decide(std::string_view method, std::string_view target, std::uint64_t user,
                          std::span<const std::string_view> projects) const {
  const auto m = baseline_method(method);
  if (!m) return Verdict::kNotFound;
  const std::string_view path = target.substr(0, target.find('?'));
  std::match_results<std::string_view::const_iterator> match;
  for (const Entry& e : routes_) {
    if (e.method != *m || !std::regex_match(path.begin(), path.end(), match, e.pattern)) continue;
    if ((e.need & user) != e.need) return Verdict::kDeny;
    if (e.project_group != 0) {
      const auto& project = match[e.project_group];
      const std::string_view value(&*project.first, static_cast<std::size_t>(project.length()));
      if (std::find(projects.begin(), projects.end(), value) == projects.end()) return Verdict::kDeny;
    }
    return Verdict::kAllow;
  }
  return Verdict::kNotFound;
}

const Floor& floor_of(const Workload& w) { return cached<Floor>(w); }
const RegexScan& regex_scan_of(const Workload& w) { return cached<RegexScan>(w); }

}  // namespace scopegate::bench
