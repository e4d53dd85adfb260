#pragma once
/// The reference server's authorization step: scopegate's decide() on the
/// request as received, plus the `--bug` modes, each of which breaks one rule
/// of the contract the way real servers get it wrong, so that the live runner
/// can be shown to catch it.

#include <array>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scopegate/scopegate.hpp"

namespace scopegate::example {

enum class Bug : std::uint8_t {
  kSkipMembership,
  kSkipScope,
  kReadForWrite,
  kUserStatus,
  kNoFamily,
  kTrustActor,
  kDecodeSlash,
  kUpperCwt,
  kUnauth404,
  kHonorOverride,
};

struct BugInfo {
  Bug bug;
  std::string_view name;    ///< the `--bug` value
  std::string_view breaks;  ///< what goes wrong, and the contract rule it breaks
};

inline constexpr std::array<BugInfo, 10> kBugs = {{
    {Bug::kSkipMembership, "skip-membership", "project membership is never checked (§1 step 12)"},
    {Bug::kSkipScope, "skip-scope", "scopes are never checked (§1 step 11)"},
    {Bug::kReadForWrite, "read-for-write", "a resource's read scope also grants its write scope (§2)"},
    {Bug::kUserStatus, "user-status", "user tokens reach GET /v1/status (§1 step 6)"},
    {Bug::kNoFamily, "no-family", "the operator-only prefix families are dropped (§4)"},
    {Bug::kTrustActor, "trust-actor", "the actor header is believed from user tokens (§5)"},
    {Bug::kDecodeSlash, "decode-slash", "%2F is decoded to / before deciding (§3)"},
    {Bug::kUpperCwt, "upper-cwt", "the user token prefix is matched in any case, CWT_ too (§2)"},
    {Bug::kUnauth404, "unauth-404", "unauthenticated callers get 404 on paths with no route (§1 steps 4-5)"},
    {Bug::kHonorOverride, "honor-override", "X-HTTP-Method-Override is obeyed (§1 step 1b)"},
}};

std::optional<Bug> parse_bug(std::string_view name);

/// A request as the authorization step sees it. The Decision that
/// Authorizer::authorize returns refers into it (the actor header, the
/// target), so it must outlive the decision.
struct Inbound {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Header> views;  ///< filled by authorize()
};

/// Immutable after construction; authorize() is safe to call concurrently.
class Authorizer {
 public:
  /// `bugs` empty: a correct server. Fails (nullopt, `error`) only when the
  /// policy without its prefix families does not compile for `no-family`.
  static std::optional<Authorizer> make(std::shared_ptr<const CompiledPolicy> policy, std::vector<UserTokenEntry> users,
                                        OperatorSecret secret, std::set<Bug> bugs, std::string* error);

  /// Decides `in`, after the bug modes have rewritten it if they do.
  Decision authorize(Inbound& in) const;

  const CompiledPolicy& policy() const { return *policy_; }
  /// The member projects of a user id of the tokens file, for list filtering.
  const std::vector<std::string>* projects_of(std::string_view user_id) const;
  /// The token of a user id of the tokens file (`--approve-as`), or nullptr.
  const std::string* token_of(std::string_view user_id) const;

 private:
  Authorizer(std::shared_ptr<const CompiledPolicy> policy, std::vector<UserTokenEntry> users, OperatorSecret secret,
             std::set<Bug> bugs);
  bool has(Bug b) const { return bugs_.count(b) != 0; }

  std::shared_ptr<const CompiledPolicy> policy_;
  std::shared_ptr<const CompiledPolicy> no_family_policy_;  ///< for `no-family` only
  std::vector<UserTokenEntry> users_;
  std::unique_ptr<StaticTokenResolver> resolver_;
  std::unique_ptr<StaticTokenResolver> widened_resolver_;  ///< for `read-for-write`: X:read adds X:write
  OperatorSecret secret_;
  std::set<Bug> bugs_;
};

}  // namespace scopegate::example
