#pragma once
/// The compiled, immutable policy and `compile()`, which checks a PolicySpec and
/// builds the matcher. Standard library only.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/authorization.hpp"
#include "scopegate/diagnostic.hpp"
#include "scopegate/policy_spec.hpp"
#include "scopegate/detail/charset.hpp"
#include "scopegate/detail/pattern.hpp"
#include "scopegate/detail/route_trie.hpp"

namespace scopegate {

/// Documented bounds on a policy (README "Bounds").
inline constexpr std::size_t kMaxRoutes = 200'000;
inline constexpr std::size_t kMaxPatternBytes = 1024;
inline constexpr std::size_t kMaxPatternSegments = 64;
inline constexpr std::size_t kMaxScopes = 256;  // scopes are interned as bits of a ScopeMask
inline constexpr std::size_t kMaxPrefixFamilies = 256;

/// Whether the paths a route matches lie in an operator-only prefix family.
enum class FamilyMembership : std::uint8_t {
  kNever,   ///< no family's prefix fits the route's leading literals
  kAlways,  ///< a family's prefix is a prefix of the text every matched path starts with
  kMaybe,   ///< a family's prefix reaches into a parameter: the path decides
};

/// A compiled route: the spec's facts plus the text that decisions report.
/// The views point into the policy's own storage, live as long as it, and
/// are each followed by a NUL (the C API returns them as C strings).
struct CompiledRoute {
  Method method = Method::kGet;
  RouteAuth auth = RouteAuth::kScope;
  bool hidden = false;
  /// Step 6 for the paths this route matches, decided at compile time where
  /// its pattern allows, so that most user decisions skip the prefix test.
  FamilyMembership family = FamilyMembership::kMaybe;
  std::string_view display;  ///< `GET /v1/projects/{projectId}`
  std::string_view scope;    ///< empty unless auth is kScope
  std::uint32_t scope_index = 0;
  /// Index of the project parameter among the pattern's segments; -1: none.
  int project_segment = -1;
  std::size_t spec_index = 0;  ///< index into spec().routes
};

/// The user token class, compiled: `prefix`, then one or more characters of
/// the charset, at most `max_length` characters in all (contract section 2).
class UserTokenClass {
 public:
  /// Nullopt when the spec is not a valid class (empty prefix, bad charset,
  /// max_length not above the prefix length); compile() reports why (SG110).
  static std::optional<UserTokenClass> from_spec(const UserClassSpec& spec) {
    UserTokenClass c;
    if (spec.prefix.empty() || spec.max_length <= spec.prefix.size() || spec.max_length > 4096 ||
        !detail::parse_charset(spec.charset, c.charset_))
      return std::nullopt;
    c.prefix_ = spec.prefix;
    c.max_length_ = spec.max_length;
    c.ranges_ = detail::ByteRanges::of(c.charset_.data());
    if (c.prefix_.size() <= 8) {
      std::memcpy(&c.prefix_word_, c.prefix_.data(), c.prefix_.size());
      std::memset(&c.prefix_mask_, 0xFF, c.prefix_.size());
    }
    c.within_token68_ = std::all_of(c.prefix_.begin(), c.prefix_.end(),
                                    [](char b) { return detail::kToken68.body[static_cast<unsigned char>(b)]; });
    for (unsigned b = 0; b < 256; ++b)
      if (c.charset_[b] && !detail::kToken68.body[b]) c.within_token68_ = false;
    return c;
  }

  bool matches(std::string_view token) const {
    if (token.size() > max_length_ || token.size() <= prefix_.size() || !has_prefix(token)) return false;
    return detail::all_in(token.substr(prefix_.size()), charset_.data(), ranges_);
  }

  /// True when every token of the class is token68, so that a token that
  /// matches the class needs no token68 test of its own.
  bool within_token68() const { return within_token68_; }

 private:
  /// A prefix of up to eight bytes is one masked word compare, when the token
  /// has eight bytes to load.
  bool has_prefix(std::string_view token) const {
    if (prefix_mask_ != 0 && token.size() >= 8) {
      std::uint64_t word;
      std::memcpy(&word, token.data(), 8);
      return (word & prefix_mask_) == prefix_word_;
    }
    return token.starts_with(prefix_);
  }

  std::string prefix_;
  std::uint64_t prefix_word_ = 0;
  std::uint64_t prefix_mask_ = 0;  ///< 0: the prefix is longer than eight bytes
  std::array<bool, 256> charset_{};
  detail::ByteRanges ranges_;
  std::size_t max_length_ = 0;
  bool within_token68_ = false;
};

/// Immutable once built; share as `std::shared_ptr<const CompiledPolicy>`.
/// Every const member is safe to call from any number of threads.
class CompiledPolicy {
 public:
  /// The spec the policy was compiled from. Its routes are held compactly and
  /// rebuilt on the first call (tools make it; deciding never does), so a
  /// server with a large table does not carry a second copy of it.
  inline const PolicySpec& spec() const;
  /// The spec without its routes: settings, classes, scopes, prefix
  /// families and invariants, with nothing to rebuild.
  const PolicySpec& settings() const { return settings_; }
  const std::vector<CompiledRoute>& routes() const { return routes_; }
  const detail::RouteTrie& trie() const { return trie_; }
  const std::vector<std::string>& operator_prefixes() const { return prefixes_; }
  const UserTokenClass& user_class() const { return user_class_; }
  /// The header that attributes operator writes (`X-Comwit-Actor-User-Id`).
  std::string_view actor_header() const { return settings_.operator_class.actor_header; }
  std::string_view default_actor() const { return settings_.operator_class.default_actor; }
  std::string_view realm() const { return settings_.realm; }
  /// The scope names in interning order: bit i of a ScopeMask is scopes()[i].
  const std::vector<std::string>& scopes() const { return scope_names_; }

  /// The interned index of a scope name, or -1 when the policy does not know it.
  int scope_index(std::string_view name) const { return scope_lookup_.find(name); }

  /// True when a canonical path that `route` matched lies in an
  /// operator-only prefix family.
  bool in_operator_family(std::string_view canonical_path, const CompiledRoute& route) const {
    return route.family == FamilyMembership::kAlways ||
           (route.family == FamilyMembership::kMaybe && in_operator_family(canonical_path));
  }

  /// True when the canonical path lies in an operator-only prefix family.
  bool in_operator_family(std::string_view canonical_path) const {
    // Every user decision asks, and most paths lie in no family: a masked
    // compare of the first eight bytes (zero past a shorter path's end),
    // which every path in the family passes, turns nearly all of them away
    // without a memcmp call.
    std::uint64_t head = 0;
    if (canonical_path.size() >= 8)
      std::memcpy(&head, canonical_path.data(), 8);
    else
      std::memcpy(&head, canonical_path.data(), canonical_path.size());
    for (std::size_t i = 0; i < prefixes_.size(); ++i)
      if ((head & prefix_heads_[i].mask) == prefix_heads_[i].word && canonical_path.starts_with(prefixes_[i]))
        return true;
    return false;
  }

 private:
  friend struct CompileAccess;
  /// What spec().routes holds beyond a CompiledRoute, for rebuilding it.
  struct RouteSource {
    std::uint32_t description_offset = 0;  ///< into text_
    std::uint32_t description_length = 0;
    std::uint16_t project_param_offset = 0;  ///< into the route's display; length 0: none
    std::uint16_t project_param_length = 0;
    SourcePos pos;
    SourcePos method_pos;
    SourcePos pattern_pos;
    SourcePos scope_pos;
    SourcePos project_pos;
  };

  PolicySpec settings_;
  std::string text_;  ///< every route's display and description, each ending in a NUL
  std::vector<CompiledRoute> routes_;
  std::vector<RouteSource> sources_;  ///< one per route
  std::vector<std::string> prefixes_;
  /// The first (up to) eight bytes of each prefix and the mask that keeps them.
  struct PrefixHead {
    std::uint64_t word = 0;
    std::uint64_t mask = 0;
  };
  std::vector<PrefixHead> prefix_heads_;  ///< one per prefix
  UserTokenClass user_class_;
  std::vector<std::string> scope_names_;
  detail::StringIndex scope_lookup_;
  detail::RouteTrie trie_;
  mutable std::once_flag spec_once_;
  mutable std::unique_ptr<const PolicySpec> spec_;
};

inline const PolicySpec& CompiledPolicy::spec() const {
  std::call_once(spec_once_, [this] {
    auto full = std::make_unique<PolicySpec>(settings_);
    full->routes.reserve(routes_.size());
    // INVARIANT: a compiled policy keeps every route of its spec, in order.
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      const CompiledRoute& r = routes_[i];
      const RouteSource& s = sources_[i];
      RouteSpec& out = full->routes.emplace_back();
      out.method = r.method;
      out.pattern = r.display.substr(method_name(r.method).size() + 1);
      out.auth = r.auth;
      out.scope = r.scope;
      out.project_param = r.display.substr(s.project_param_offset, s.project_param_length);
      out.hidden = r.hidden;
      out.description = std::string_view(text_).substr(s.description_offset, s.description_length);
      out.pos = s.pos;
      out.method_pos = s.method_pos;
      out.pattern_pos = s.pattern_pos;
      out.scope_pos = s.scope_pos;
      out.project_pos = s.project_pos;
    }
    spec_ = std::move(full);
  });
  return *spec_;
}

/// The result of compiling: a policy only when there are no errors; warnings and
/// notes may accompany a policy.
struct CompileResult {
  std::shared_ptr<const CompiledPolicy> policy;
  std::vector<Diagnostic> diagnostics;  ///< sorted by position
  bool ok() const { return policy != nullptr; }
};

/// Checks a spec (unknown scopes, duplicate and overlapping routes, malformed
/// patterns, missing project parameters, unguarded routes, bounds) and builds
/// the matcher. All errors are reported; with any error no policy is returned.
inline CompileResult compile(PolicySpec spec);

}  // namespace scopegate

#include "scopegate/detail/compile_impl.hpp"
