#pragma once
/// The probe plan: concrete requests generated from a policy and the tokens a
/// run holds, plus the requests of the conformance cases, each with the
/// response that the engine's decision requires of a server (contract
/// section 7) and the contract rule it checks.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/decision.hpp"

namespace scopegate::live {

/// Rule labels of generated probes, in the wording of the case files' `rule`
/// so that a difference names the contract rule a server breaks.
namespace rule {
inline constexpr const char* kPublic = "§1 step 2 public";
inline constexpr const char* kMissingToken = "§1 step 4";
inline constexpr const char* kInvalidToken = "§1 step 5";
inline constexpr const char* kOperatorOnly = "§1 step 6 operator-only route";
inline constexpr const char* kNoRoute = "§1 step 7";
inline constexpr const char* kMethodNotAllowed = "§1 step 8";
inline constexpr const char* kInvalidActor = "§1 step 9";
inline constexpr const char* kOperator = "§1 step 10 operator";
inline constexpr const char* kScope = "§1 step 11 scope";
inline constexpr const char* kMembership = "§1 step 12 membership";
inline constexpr const char* kGranted = "§1 step 13 granted";
/// Unauthenticated callers learn nothing about which routes exist.
inline constexpr const char* kAuthBeforeRoute = "§1 steps 4-5 before 7";
inline constexpr const char* kMethodOverride = "§1 step 1b";
inline constexpr const char* kNoImplication = "§2 no scope implies another";
inline constexpr const char* kUserClass = "§2 user class";
inline constexpr const char* kOtherScheme = "§2 other scheme";
inline constexpr const char* kEncodedSlash = "§3 an encoding of / is 400";
inline constexpr const char* kTrailingSlash = "§3 trailing slash makes another path";
inline constexpr const char* kHead = "§4 HEAD is decided as GET";
inline constexpr const char* kMethodCase = "§4 methods are case-sensitive";
inline constexpr const char* kFamily = "§4 prefix family";
inline constexpr const char* kActorNeverTrusted = "§5 the header is never trusted";
inline constexpr const char* kOperatorActor = "§5 operator actor";
}  // namespace rule

/// A user token the run holds.
struct LiveUser {
  std::string token;
  std::string user_id;
  std::vector<std::string> scopes;
  std::vector<std::string> projects;
  /// False for the caller's own token (`--token` or the config file) when the
  /// tokens file does not list it: only probes whose outcome cannot depend on
  /// its scopes and projects are planned for it.
  bool grants_known = true;
};

/// The response a server owes a probe.
struct Expected {
  Reason reason = Reason::kMalformedPath;
  std::string route;                       ///< the decision's route, empty = null
  std::string www_authenticate;            ///< required challenge; empty = none required
  std::vector<std::string> allow_methods;  ///< 405 only
  bool allow() const { return reason_allows(reason); }
  int status() const { return reason_status(reason); }
};

struct Probe {
  std::string id;      ///< `p0042`, in plan order
  std::string rule;    ///< the contract rule the probe checks
  std::string note;    ///< who calls and why the outcome follows
  std::string source;  ///< `generated`, or `conformance/cases/x.yaml:12` for a case
  std::string method;
  std::string target;  ///< raw request-target, sent byte for byte
  std::vector<std::pair<std::string, std::string>> headers;
  Expected expected;
  /// An allowed request that could change data: sent only with --allow-writes.
  bool held_back = false;
};

/// Where the conformance cases are and which of them to replay.
struct CaseSource {
  std::vector<std::string> paths;  ///< case files or folders (every `*.yaml` below, in path order)
  std::string fixtures_dir;        ///< holds the tokens files the cases name
};

struct PlanInput {
  std::vector<LiveUser> users;  ///< the tokens file's users, then the own token
  std::optional<std::string> operator_token;
  /// The caller's project (`--project`, `$COMWIT_PROJECT`, default_project):
  /// the project of the own token's probes.
  std::optional<std::string> project;
  CaseSource cases;
  bool allow_writes = false;
};

struct Plan {
  std::vector<Probe> probes;
  /// Situations that could not be planned, and why (no user lacks a scope, ...).
  std::vector<std::string> notes;
  std::size_t grant_dependent = 0;  ///< dropped: the outcome depends on the own token's unknown grants
  std::size_t unsendable = 0;       ///< case requests that HTTP/1.1 cannot carry as written
  std::size_t duplicates = 0;
};

/// Builds the plan: probes generated from the policy's routes, prefix
/// families and token classes for each situation of the issue (anonymous,
/// each kind of user, the operator with and without an actor header), then
/// the case requests with the fixtures' tokens replaced by the run's own.
/// The expectation of every probe is the engine's decision with the run's
/// tokens. Returns nullopt and sets `error` when a case file or fixture
/// cannot be read.
std::optional<Plan> build_plan(const CompiledPolicy& policy, const PlanInput& input, std::string* error);

/// True for methods that may change data: everything but GET and HEAD.
bool is_write(std::string_view method);

}  // namespace scopegate::live
