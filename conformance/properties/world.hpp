#pragma once
/// What the properties decide against: a policy, its callers and the segment
/// values that requests are built from. The Comwit world is the shipped policy
/// with the conformance tokens fixture; random worlds are generated as
/// PolicySpec values and compiled, so that no loader stands between the
/// generator and the engine.

#include <rapidcheck.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "reference/reference.hpp"
#include "scopegate/compiled_policy.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/policy_spec.hpp"
#include "scopegate/tokens.hpp"

namespace scopegate::properties {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One request as bytes, as a server received it.
struct HttpRequest {
  std::string method;
  std::string target;
  HeaderList headers;
};

/// The callers of a world, built once per tokens file and shared by copies.
struct Callers {
  TokensFile tokens;  ///< `operator_token` is the operator secret; nullopt or empty: none
  std::unique_ptr<StaticTokenResolver> resolver;
  OperatorSecret secret;  ///< as OperatorSecret::make leaves it for this policy
  /// Canonical, non-empty segment values that parameters take in generated
  /// paths: near misses of literals and every project id of the tokens.
  std::vector<std::string> values;
  /// The project ids the tokens' users are members of (a subset of values).
  std::vector<std::string> projects;
};

/// Cheap to copy: the compiled policy (which keeps its spec) and the callers
/// are shared, and both are immutable.
struct World {
  std::string origin;  ///< `comwit` or `random`, for reports
  std::shared_ptr<const CompiledPolicy> policy;
  std::shared_ptr<const Callers> callers;

  const PolicySpec& spec() const { return policy->spec(); }
  const TokensFile& tokens() const { return callers->tokens; }
  const std::vector<std::string>& values() const { return callers->values; }
  const std::vector<std::string>& projects() const { return callers->projects; }
  bool has_operator() const { return callers->secret.present(); }
};

/// policies/comwit.yaml with conformance/fixtures/comwit-tokens.yaml, loaded
/// once. Aborts with the loader's diagnostics when either does not load.
const World& comwit_world();

/// Random policies: route tables over a few literals and parameter names (so
/// that patterns overlap), scoped, public and operator-only routes, hidden
/// aliases, prefix families, project parameters present and absent, two user
/// token classes and two actor headers; and 1-4 users with random scopes
/// (unknown ones included) and memberships. Specs that do not compile are
/// skipped. With `with_operator`, the policy has an operator class and the
/// tokens a secret.
rc::Gen<World> random_world(bool with_operator = false);

/// The same world with other tokens; the compiled policy is shared. Fails the
/// property when the tokens' operator secret is refused (OperatorSecret::make).
World with_tokens(const World& world, TokensFile tokens);

/// The engine's decision as the reference evaluator reports one: text facts
/// empty in the engine are null, `allowed_methods` are names in Allow order.
reference::RefDecision engine_decision(const World& world, const HttpRequest& request);

/// The reference evaluator's decision, handed the secret the engine uses: none
/// when the policy declares no operator class (see world.cpp).
reference::RefDecision reference_decision(const World& world, const HttpRequest& request);

/// The display text of every route of `spec` (`GET /v1/status`), in order.
std::vector<std::string> route_names(const PolicySpec& spec);

/// The route of `spec` whose display text is `display`, or nullptr.
const RouteSpec* route_named(const PolicySpec& spec, const std::string& display);

/// A string in double quotes with `\t`, `\r`, `\n`, `\"`, `\\` and every other
/// byte outside 0x20-0x7E as `\xNN`, so that a counterexample is unambiguous.
std::string quoted(const std::string& bytes);

/// The request as one line: `GET "/v1/x?y" ["Authorization": "Bearer cwt_1"]`.
std::string show_request(const HttpRequest& request);

/// RapidCheck prints counterexamples through these (found by ADL).
void showValue(const World& world, std::ostream& os);
void showValue(const HttpRequest& request, std::ostream& os);

}  // namespace scopegate::properties
