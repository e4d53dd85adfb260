#pragma once
/// The decision: contract section 1, one rule per step, deny by default.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/resolver.hpp"

namespace scopegate {

/// The operator token's secret. Compared in constant time; never printed.
class OperatorSecret {
 public:
  /// No secret: the operator class matches nothing.
  OperatorSecret() = default;

  /// A secret passed by the embedding server. Empty means none. Returns nullopt
  /// and sets `error` when the secret is not token68 or has a user token's shape.
  static inline std::optional<OperatorSecret> make(std::string_view secret, const CompiledPolicy& policy,
                                                   std::string* error);

  /// The secret from the environment variable the policy names
  /// (`PLATFORM_API_SERVER_TOKEN`); unset or empty means none.
  static inline std::optional<OperatorSecret> from_environment(const CompiledPolicy& policy, std::string* error);

  bool present() const { return !secret_.empty(); }
  /// Constant-time in the token's content for a given length.
  inline bool matches(std::string_view token) const;

 private:
  std::string secret_;
};

/// Decides one request. Allocates nothing; safe to call concurrently on one
/// policy. `resolver.resolve` is called at most once, only for a token of the
/// user class. See Decision for the lifetime of the views it returns.
inline Decision decide(const CompiledPolicy& policy, const Request& request, const TokenResolver& resolver,
                       const OperatorSecret& secret);

/// Scopes interned as bits of one policy: bit i is `policy.scopes()[i]`.
class ScopeMask {
 public:
  void set(std::size_t index) { words_[index / 64] |= std::uint64_t{1} << (index % 64); }
  bool test(std::size_t index) const { return (words_[index / 64] >> (index % 64)) & 1u; }

 private:
  std::array<std::uint64_t, (kMaxScopes + 63) / 64> words_{};
};

/// A caller the server has already authenticated, for `check`.
struct Principal {
  enum class Kind : std::uint8_t { kAnonymous, kUser, kOperator };
  Kind kind = Kind::kAnonymous;
  /// The user id for a user; for the operator the attributed actor, empty when
  /// the actor header was malformed or repeated.
  std::string_view actor;
  ScopeMask scopes;                            ///< users only: interned with `intern_scopes`
  std::span<const std::string_view> projects; ///< users only: member project ids
  bool actor_header_present = false;           ///< users only: reported as actor_header_ignored

  /// Interns scope names against `policy`; names it does not know are ignored.
  static ScopeMask intern_scopes(const CompiledPolicy& policy, std::span<const std::string_view> names) {
    ScopeMask mask;
    for (auto name : names)
      if (int i = policy.scope_index(name); i >= 0) mask.set(static_cast<std::size_t>(i));
    return mask;
  }
};

/// Decides for a principal already resolved: steps 1, the query half of 1b, 2,
/// then 4 for an anonymous caller or 6 to 13. No header is read. Allocates
/// nothing; safe to call concurrently.
inline Decision check(const CompiledPolicy& policy, std::string_view method, std::string_view target,
                      const Principal& principal);

/// Maximum number of header fields, and bytes of one field's name and value,
/// that a decision accepts; beyond either the request is 400 `invalid_request`.
inline constexpr std::size_t kMaxHeaders = 256;
inline constexpr std::size_t kMaxHeaderBytes = 16384;

}  // namespace scopegate

#include "scopegate/detail/engine_impl.hpp"
