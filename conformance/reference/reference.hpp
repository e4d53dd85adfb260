#pragma once
/// The reference evaluator: a deliberately plain second implementation of
/// contract sections 1-5 (shared/spec/SEMANTICS.md), written to be read rather
/// than to be fast. It shares no matching, parsing or canonicalization code with
/// the engine; it reads only the shared data model (PolicySpec, TokensFile). The
/// conformance runner decides every case with it too, so that a disagreement
/// between engine and cases can be told apart from a wrong case.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/policy_spec.hpp"
#include "scopegate/tokens.hpp"

namespace scopegate::reference {

/// One decision with every fact of contract section 8 as plain values; an empty
/// optional is the contract's null.
struct RefDecision {
  bool allow = false;
  int status = 0;
  std::string reason;
  std::optional<std::string> route;  ///< `GET /v1/projects/{projectId}`
  std::optional<std::string> required_scope;
  std::optional<std::string> project;
  std::optional<std::string> actor;
  bool actor_header_ignored = false;
  std::vector<std::string> allowed_methods;  ///< 405 only, alphabetical
  friend bool operator==(const RefDecision&, const RefDecision&) = default;
};

/// Decides one request by contract sections 1-5. `headers` are (name, value)
/// pairs as received. `operator_secret`: nullopt or empty means the operator
/// class matches nothing. The policy is used as written: nothing is checked or
/// compiled, so a broken policy gives whatever a linear reading of it gives.
/// Pure; cost linear in routes times path length.
RefDecision evaluate(const PolicySpec& policy, std::string_view method, std::string_view target,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const TokensFile& tokens, const std::optional<std::string>& operator_secret);

/// The decision line of contract section 8: every field in the contract's order,
/// `allowed_methods` only for 405, strings JSON-escaped.
std::string to_json(const RefDecision& decision);

}  // namespace scopegate::reference
