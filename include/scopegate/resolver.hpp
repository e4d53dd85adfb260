#pragma once
/// What the embedding server supplies: the facts behind a user token.

#include <optional>
#include <span>
#include <string_view>

namespace scopegate {

/// What a resolved user token grants. The views are owned by the resolver and
/// must stay valid for the decision and for as long as the Decision is used.
struct UserGrant {
  std::string_view user_id;
  std::span<const std::string_view> scopes;    ///< names, compared exactly; unknown ones ignored
  std::span<const std::string_view> projects;  ///< member project ids, compared exactly
};

/// Implemented by the server. `resolve` is called at most once per decision,
/// only for a token of the user class; it must be safe to call from every thread
/// that decides. Return nullopt for an unknown or revoked token.
class TokenResolver {
 public:
  virtual ~TokenResolver() = default;
  virtual std::optional<UserGrant> resolve(std::string_view token) const = 0;
};

}  // namespace scopegate
