#pragma once
// The tables the benchmarks run on and the requests they time (issue 7): the
// Comwit policy, the GitHub REST API route list, and deterministic synthetic
// tables of 100 to 100,000 routes. Every baseline times the same requests.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/scopegate.hpp"

namespace scopegate::bench {

/// One route as a table lists it: `GET /repos/{owner}/{repo}`.
struct RouteLine {
  std::string method;
  std::string pattern;
};

/// `METHOD /pattern` lines, as in bench/data/github-api.txt.
std::vector<RouteLine> parse_route_lines(std::string_view text);

/// The synthetic table of `route_count` routes (a multiple of 10): resources of
/// ten routes each (collection, item, sub-collection, sub-item over GET, POST,
/// PUT, DELETE), half of them under `/<area>/projects/{projectId}/`, in 16
/// areas. The same count always yields the same table, and a larger table
/// starts with the routes of a smaller one. No literal competes with a
/// parameter, so every request has one obvious route.
std::vector<RouteLine> synthetic_routes(std::size_t route_count);

/// A policy in the YAML format of policies/README.md for a plain route table:
/// scope `<first segment>:read` for GET and `<first segment>:write` otherwise,
/// membership on `{projectId}`, the Comwit token classes.
std::string policy_yaml(std::string_view name, const std::vector<RouteLine>& routes);

/// One request of a request set, with the route it was written for.
struct BenchRequest {
  std::string method;
  std::string target;
  /// Index into the policy's routes (spec order); nullopt for the one request
  /// in five whose path no route declares.
  std::optional<std::size_t> route;
};

/// A request's header list in both shapes the benchmarks need. Move-only:
/// `headers` views the strings that `pairs` owns.
struct HeaderSet {
  HeaderSet() = default;
  explicit HeaderSet(std::vector<std::pair<std::string, std::string>> list) : pairs(std::move(list)) {
    for (const auto& [name, value] : pairs) headers.push_back({name, value});
  }
  HeaderSet(HeaderSet&&) noexcept = default;
  HeaderSet& operator=(HeaderSet&&) noexcept = default;

  std::vector<std::pair<std::string, std::string>> pairs;  ///< for the reference evaluator
  std::vector<Header> headers;                             ///< for decide()
};

/// What a CLI sends with a request (Host, User-Agent, Accept), plus
/// `Authorization: Bearer <token>` when `token` is not empty.
HeaderSet cli_headers(std::string_view token);

/// Everything the benchmarks of one table read. Immutable once built, so the
/// threads of a ThreadRange benchmark share it, as servers share one policy.
struct Workload {
  std::string name;  ///< `comwit`, `github`, `synthetic/1000`
  std::string yaml;  ///< the policy text BM_Compile loads
  std::shared_ptr<const CompiledPolicy> policy;

  /// The mix: one request per route (at least 205 for synthetic tables, which
  /// all time 256), with one path in five that no route declares.
  std::vector<BenchRequest> mix;

  TokensFile tokens;  ///< the full user, a reader (first scope only), the operator
  std::unique_ptr<StaticTokenResolver> resolver;
  std::string operator_token;
  OperatorSecret operator_secret;
  HeaderSet full_user_headers;  ///< Authorization of the user with every scope and the projects

  /// The full user as check() takes it: every scope, member of kProjects.
  Principal full_user;

  /// The projects every request set's `{projectId}` values come from; the full
  /// user is a member of all of them.
  static constexpr std::string_view kProjects[] = {"prj_alpha", "prj_beta", "prj_gamma"};
};

/// The names of every table, in the order benchmarks are registered.
const std::vector<std::string>& table_names();

/// The route count a table name implies (37 for comwit, N for synthetic/N);
/// the plot's x axis.
std::size_t route_count(std::string_view name);

/// The workload of a table, built on first use and kept for the process:
/// thread-safe. Aborts with a message when the policy fails to load or a
/// request does not decide as the request set says it should.
const Workload& workload(std::string_view name);

/// One Comwit request of a single kind for BM_Decide/comwit/<kind>.
struct SingleRequest {
  std::string method;
  std::string target;
  HeaderSet headers;
  Reason expected;
};

/// The kinds of BM_Decide/comwit/<kind>, each checked against its reason.
const std::vector<std::pair<std::string, SingleRequest>>& comwit_kinds();

}  // namespace scopegate::bench
