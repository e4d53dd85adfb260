#pragma once
/// Exhaustive, offline analysis of compiled policies by enumeration: the access
/// matrix, the invariants that `policy-check verify` proves and the exact
/// difference that `policy-check diff` reports. Standard library only.
///
/// The decision space is finite. For one method, a canonical path behaves in a
/// policy according to the set of patterns that match it and the prefix
/// families that contain it; a caller matters only as anonymous, the operator
/// (with or without a malformed actor header) or a user holding or lacking the
/// chosen route's scope and being a member of its project or not. So a finite
/// set of concrete requests covers every behaviour, and each of them is decided
/// by the real `decide()`: nothing here re-derives a rule of the contract.
///
/// The building blocks are public so that other tools (the live conformance
/// runner, an audit) can replay the same requests against a server:
///  - `ProbeKit` holds the credentials of probes: a user token of each policy's
///    user class and an operator secret that no user class admits;
///  - `Caller` is who calls, concretely: the exact scopes and projects of a user;
///  - `make_probe` turns (method, target, caller) into a `Probe`: the request
///    with its headers and the tokens table (contract section 8) that makes it
///    mean what the caller says. `Probe::request_json` and `Probe::tokens_json`
///    are the input line and tokens file of `policy-check decide`;
///  - `run_probe` decides a probe with `decide()` and copies the decision out;
///  - `route_path`, `family_path` and `path_classes` give the concrete paths.
///
/// Nothing reads the environment: the operator secret is always the kit's.
/// Every function is reentrant and may run concurrently on shared policies.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/diagnostic.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/tokens.hpp"

namespace scopegate::analysis {

/// Who calls, concretely. A user holds exactly `scopes` and is a member of
/// exactly `projects`; the other kinds ignore both.
struct Caller {
  enum class Kind : std::uint8_t {
    kAnonymous,         ///< no Authorization header
    kUser,              ///< a known user token of the policy's user class
    kOperator,          ///< the operator token, no actor header
    kOperatorBadActor,  ///< the operator token with a malformed actor header
  };
  Kind kind = Kind::kAnonymous;
  std::vector<std::string> scopes;
  std::vector<std::string> projects;

  bool is_user() const { return kind == Kind::kUser; }
  /// `anonymous`, `user with scopes [app:read], member of [prj_2]`, `operator`,
  /// `operator with a malformed actor header`.
  inline std::string describe() const;
  friend bool operator==(const Caller&, const Caller&) = default;
};

/// The callers of one row of the access matrix, relative to its route.
/// "+scope" means holding the route's scope; for a public or operator-only
/// route, which has none, it means holding every scope the policy declares.
/// "+member" means being a member of the project the path names; the two
/// member situations apply to project routes only. Users without "+member"
/// are members of no project.
enum class Situation : std::uint8_t {
  kAnonymous,
  kUser,             ///< no scope at all
  kUserMember,       ///< no scope, member of the route's project
  kUserScope,        ///< the route's scope
  kUserScopeMember,  ///< the route's scope and member of its project
  kOperator,
  kOperatorBadActor,
};
inline constexpr std::size_t kSituationCount = 7;
inline constexpr std::array<Situation, kSituationCount> kSituations = {
    Situation::kAnonymous, Situation::kUser,     Situation::kUserMember,      Situation::kUserScope,
    Situation::kUserScopeMember, Situation::kOperator, Situation::kOperatorBadActor};

/// A column heading: `user +scope +member`.
inline constexpr std::string_view situation_label(Situation s) {
  constexpr std::array<std::string_view, kSituationCount> kLabels = {
      "anonymous", "user", "user +member", "user +scope", "user +scope +member", "operator", "operator, bad actor"};
  return kLabels[static_cast<std::size_t>(s)];
}

/// A stable identifier for JSON and CSV: `user_scope_member`.
inline constexpr std::string_view situation_key(Situation s) {
  constexpr std::array<std::string_view, kSituationCount> kKeys = {
      "anonymous", "user", "user_member", "user_scope", "user_scope_member", "operator", "operator_bad_actor"};
  return kKeys[static_cast<std::size_t>(s)];
}

/// True when the situation exists for the route: the member ones need a
/// project route.
inline bool situation_applies(const CompiledRoute& route, Situation s) {
  return route.project_segment >= 0 || (s != Situation::kUserMember && s != Situation::kUserScopeMember);
}

/// The credentials every probe uses, chosen once for a set of policies.
class ProbeKit {
 public:
  /// The user id of every probe user.
  static constexpr std::string_view kUserId = "usr_probe";
  /// A comma-joined actor header value: malformed by contract section 5.
  static constexpr std::string_view kMalformedActor = "usr_a,usr_b";

  /// Picks a user token that every policy's user class admits (else one per
  /// policy) and an operator secret that none admits. Returns nullopt and sets
  /// `error` when some policy's user class admits no token that a Bearer
  /// header can carry (token68).
  static inline std::optional<ProbeKit> make(std::span<const CompiledPolicy* const> policies, std::string* error);
  static std::optional<ProbeKit> make(const CompiledPolicy& policy, std::string* error) {
    const CompiledPolicy* one[] = {&policy};
    return make(one, error);
  }

  /// The user token for policy `i` of the span given to make().
  std::string_view user_token(std::size_t i) const { return user_tokens_[i]; }
  std::string_view operator_secret() const { return operator_secret_; }
  /// Every distinct actor header of the policies' operator classes.
  const std::vector<std::string>& actor_headers() const { return actor_headers_; }

 private:
  std::vector<std::string> user_tokens_;
  std::string operator_secret_;
  std::vector<std::string> actor_headers_;
};

/// One concrete request and the tokens table that gives it its meaning.
struct Probe {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  TokensFile tokens;  ///< the kit's operator secret and, for a user caller, that one user
  Caller caller;

  /// The request as a `policy-check decide` input line.
  inline std::string request_json() const;
  /// The tokens table as JSON, which is also a valid YAML tokens file.
  inline std::string tokens_json() const;
};

/// The probe for `caller` calling `method target`, for policy `policy_index`
/// of the kit. Anonymous: no header. User: `Authorization: Bearer <token>`
/// and a tokens table with that one user. Operator: the secret, and for a
/// bad actor also every actor header of the kit with kMalformedActor.
inline Probe make_probe(const ProbeKit& kit, std::size_t policy_index, std::string method, std::string target,
                        Caller caller);

/// A decision copied into owned values.
struct Outcome {
  Reason reason = Reason::kMalformedPath;
  std::string route;           ///< empty = null
  std::string required_scope;  ///< empty = null
  std::string project;         ///< empty = null
  std::string actor;           ///< empty = null
  MethodSet allowed_methods = 0;
  std::string line;  ///< the decision line of contract section 8

  bool allow() const { return reason_allows(reason); }
  int status() const { return reason_status(reason); }
  /// `403 insufficient_scope`
  std::string summary() const { return std::to_string(status()) + " " + std::string(reason_name(reason)); }
};

/// Decides the probe with `decide()`: its tokens table as the resolver, its
/// operator token as the secret (never the environment).
inline Outcome run_probe(const CompiledPolicy& policy, const Probe& probe);

/// True when a server would answer both the same: the same reason, and for
/// reasons whose response names more, the same scope (WWW-Authenticate), the
/// same methods (Allow) or the same project (body).
inline bool same_response(const Outcome& a, const Outcome& b);

/// A request that shows a property failing, with the decision it received.
struct Counterexample {
  Probe probe;
  Outcome outcome;
};

/// A path that a pattern matches: the project parameter's value is `prj_<i>`,
/// any other parameter's `x<i>`, where i is the segment's index. Empty for a
/// malformed pattern.
inline std::string pattern_path(std::string_view pattern, std::string_view project_parameter);

/// A path on which `policy.routes()[route]` is the route chosen for its
/// method: pattern_path with the values lengthened until no literal equals one.
inline std::string route_path(const CompiledPolicy& policy, std::size_t route);

/// A path inside the prefix family that no route matches (it ends in `/`).
inline std::string family_path(std::string_view prefix);

/// One representative canonical path per class of paths that every given
/// policy treats alike: equal sets of matching patterns (of any method, from
/// any of the policies) and of containing prefix families. Parameter values
/// are distinct per segment, so membership of each is independent. Exhaustive:
/// every canonical path falls in the class of one returned path. The walk
/// visits each distinct set of still-matching patterns once per depth, so the
/// count and the cost grow with the routes (a class or two per route and
/// family in practice), not with the number of possible paths.
inline std::vector<std::string> path_classes(std::span<const CompiledPolicy* const> policies);

/// The callers that can be decided differently on `method path` by any of the
/// policies: anonymous, the operator with and without a malformed actor
/// header, and users holding every subset of the scopes, and being members of
/// every subset of the projects, that the policies' decisions for a user with
/// every scope name (contract: a user's decision depends on nothing else).
inline std::vector<Caller> callers_for(const ProbeKit& kit, std::span<const CompiledPolicy* const> policies,
                                       std::string_view method, std::string_view path);

/// Every caller of every method on every class of paths, each decided by every
/// policy: at most 8 methods x (classes) x 19 callers decisions per policy
/// (Comwit: 1,006 requests; 10,000 routes: about 150,000, some seconds). `visit(method, path, observations)` is called once per (method,
/// path class) with one Observation per caller of callers_for.
struct Observation {
  Caller caller;
  std::vector<Probe> probes;      ///< one per policy (they differ only if the token must)
  std::vector<Outcome> outcomes;  ///< one per policy
};
template <class Visit>
void for_each_request(const ProbeKit& kit, std::span<const CompiledPolicy* const> policies, Visit&& visit);

/// The caller of a matrix situation on `path` (a path that `route` matches).
inline Caller situation_caller(const CompiledPolicy& policy, const CompiledRoute& route, std::string_view path,
                               Situation s);

/// The access matrix: every route, then every prefix family, against every
/// situation.
struct MatrixCell {
  Probe probe;
  Outcome outcome;
};
struct MatrixRow {
  enum class Kind : std::uint8_t { kRoute, kFamily };
  Kind kind = Kind::kRoute;
  std::size_t index = 0;         ///< into routes() or operator_prefixes()
  std::string method;            ///< `GET`; `any` for a family (probed with GET)
  std::string pattern;           ///< the route's pattern, or the family's prefix and `*`
  RouteAuth auth = RouteAuth::kOperatorOnly;
  std::string scope;             ///< empty unless auth is kScope
  std::string project_parameter; ///< the membership parameter; empty: none
  bool hidden = false;
  SourcePos pos;
  std::string target;            ///< the probed path
  std::array<std::optional<MatrixCell>, kSituationCount> cells;  ///< empty where the situation does not apply
};
struct AccessMatrix {
  std::vector<MatrixRow> rows;
};
inline AccessMatrix access_matrix(const CompiledPolicy& policy, const ProbeKit& kit);

/// The codes of `policy-check verify`: one per invariant kind, and one for an
/// invariant that cannot be checked. Stable, like every SG code.
struct InvariantRule {
  std::string_view code;
  std::string_view kind;  ///< the invariant kind; empty for SG505
  Severity severity;
  std::string_view summary;  ///< one line, lowercase, no final period
  std::string_view help;     ///< what the invariant means and how to fix a violation
};
inline constexpr std::array<InvariantRule, 5> kInvariantRules = {{
    {"SG501", "user_never_operator_only", Severity::kError, "a user token is allowed on an operator-only path",
     "Invariant user_never_operator_only: no user token is allowed on a method and path whose chosen route is "
     "operator-only or that lies in an operator-only prefix family. A public route inside a prefix family breaks "
     "it, since public routes are decided before any token is read. Make the route operator-only or move it."},
    {"SG502", "project_routes_check_membership", Severity::kError, "a project route lets non-members in",
     "Invariant project_routes_check_membership: on every route that is not operator-only and whose pattern has "
     "the project parameter, a user who is not a member of that project is denied. Let the route check the "
     "project parameter (drop `project: ~` or a `project:` naming another parameter); a public route cannot."},
    {"SG503", "no_write_under_read_scope", Severity::kError, "a write request is granted on a read scope",
     "Invariant no_write_under_read_scope: no user whose scopes all end in ':read' is granted a POST, PUT, PATCH "
     "or DELETE request. Guard the route with a write scope."},
    {"SG504", "public_routes", Severity::kError, "the public routes differ from the declared list",
     "Invariant public_routes: the routes on which an anonymous caller is allowed are exactly the listed ones "
     "(method and pattern, parameter names aside). List the route, guard it, or make the listed route public."},
    {"SG505", "", Severity::kError, "an invariant that cannot be checked",
     "An unknown invariant kind, or a public_routes value that is not 'METHOD /pattern'."},
}};

/// One failed invariant of `spec().invariants`. Violations of one invariant
/// are reported once per route (or per path when no route is chosen).
struct Violation {
  std::string_view code;      ///< from kInvariantRules
  std::size_t invariant = 0;  ///< index into spec().invariants
  std::string message;
  std::string hint;
  std::optional<SourcePos> related;  ///< the route involved, when there is one
  std::optional<Counterexample> counterexample;
};

/// Checks every declared invariant exhaustively (over path_classes and
/// callers_for of every declarable method). The kinds, exactly:
///  - `user_never_operator_only`: no user is allowed on a method and path
///    whose chosen route is operator-only or that lies in a prefix family;
///  - `project_routes_check_membership`: on a method and path whose chosen
///    route is not operator-only and whose pattern has the project parameter,
///    no user who is not a member of that parameter's value is allowed;
///  - `no_write_under_read_scope`: no user whose scopes all end in `:read`
///    is granted a POST, PUT, PATCH or DELETE request;
///  - `public_routes`: the routes on which an anonymous caller is allowed are
///    exactly the listed ones (method and pattern, parameter names aside).
/// An unknown kind or a value that is not `METHOD /pattern` is a violation
/// without a counterexample.
inline std::vector<Violation> check_invariants(const CompiledPolicy& policy, const ProbeKit& kit);

/// A route-level change between two policies; routes are paired by method and
/// pattern with parameter names aside.
struct RouteChange {
  enum class Kind : std::uint8_t { kAdded, kRemoved, kChanged };
  Kind kind = Kind::kChanged;
  std::string before;  ///< `GET /v1/x {scope app:read}`; empty when added
  std::string after;   ///< empty when removed
};

/// One (method, path class, caller) whose response changes.
struct RequestChange {
  enum class Kind : std::uint8_t { kNewlyAllowed, kNewlyDenied, kChanged };
  Kind kind = Kind::kChanged;
  Probe probe;  ///< the request as the new policy decides it
  Outcome before;
  Outcome after;
};

struct PolicyDiff {
  std::vector<RouteChange> routes;
  std::vector<std::string> prefixes_added;
  std::vector<std::string> prefixes_removed;
  std::vector<std::string> settings;        ///< token classes and realm: `realm "a" -> "b"`
  std::vector<RequestChange> requests;      ///< newly allowed first, then newly denied, then other changes
  std::size_t requests_compared = 0;

  bool new_access() const {
    return !requests.empty() && requests.front().kind == RequestChange::Kind::kNewlyAllowed;
  }
  bool empty() const {
    return routes.empty() && prefixes_added.empty() && prefixes_removed.empty() && settings.empty() &&
           requests.empty();
  }
};

/// The exact semantic difference from `before` to `after`: every declarable
/// method on every path class of both policies, for every caller of
/// callers_for, decided by both. `kit` must be made from {&before, &after}.
inline PolicyDiff diff_policies(const CompiledPolicy& before, const CompiledPolicy& after, const ProbeKit& kit);

/// `public`, `operator-only` or `scope app:read`, with ` (member of {projectId})`
/// when the route checks membership and ` (hidden)` when hidden.
inline std::string route_guard(const CompiledPolicy& policy, const CompiledRoute& route);

}  // namespace scopegate::analysis

#include "scopegate/detail/analysis_impl.hpp"
