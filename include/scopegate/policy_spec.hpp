#pragma once
/// The uncompiled policy: what a front end (the YAML loader, a generated header,
/// a test) builds and `compile()` turns into an immutable CompiledPolicy. Plain
/// data with source positions, so that every error can point at its origin.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopegate {

/// 1-based line and column in the policy file; 0 means "no position known".
struct SourcePos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
  friend auto operator<=>(const SourcePos&, const SourcePos&) = default;
};

/// The methods a policy may declare, in alphabetical order so that iterating a
/// MethodSet yields the `Allow` order of contract section 4. HEAD is absent on
/// purpose: it is always decided as GET and cannot be declared.
enum class Method : std::uint8_t { kConnect, kDelete, kGet, kOptions, kPatch, kPost, kPut, kTrace };
inline constexpr std::size_t kMethodCount = 8;

inline constexpr std::array<std::string_view, kMethodCount> kMethodNames = {
    "CONNECT", "DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"};

constexpr std::string_view method_name(Method m) { return kMethodNames[static_cast<std::size_t>(m)]; }

/// Exact, case-sensitive lookup of a declarable method name.
constexpr std::optional<Method> parse_declared_method(std::string_view name) {
  for (std::size_t i = 0; i < kMethodCount; ++i)
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  return std::nullopt;
}

/// A set of methods as a bitmask; bit i is `Method(i)`.
using MethodSet = std::uint8_t;
constexpr MethodSet method_bit(Method m) { return static_cast<MethodSet>(1u << static_cast<unsigned>(m)); }

/// How a route is guarded.
enum class RouteAuth : std::uint8_t {
  kScope,         ///< a user token needs `scope` (and membership on project routes)
  kPublic,        ///< `auth: none`: decided before any header is read (step 2)
  kOperatorOnly,  ///< only the operator token; user tokens get 403 (step 6)
};

struct RouteSpec {
  Method method = Method::kGet;
  std::string pattern;        ///< `/v1/projects/{projectId}`: literals and `{name}` parameters
  RouteAuth auth = RouteAuth::kScope;
  std::string scope;          ///< required scope; empty unless auth is kScope
  std::string project_param;  ///< parameter whose value is checked for membership; empty: none
  bool hidden = false;        ///< left out of public listings, never out of enforcement
  std::string description;
  SourcePos pos;              ///< the route entry
  SourcePos method_pos;
  SourcePos pattern_pos;
  SourcePos scope_pos;
  SourcePos project_pos;      ///< where `project:` was written, else the pattern
};

/// An operator-only prefix family: every canonical path whose text starts with
/// `prefix` is operator-only, also paths that no route declares.
struct PrefixFamilySpec {
  std::string prefix;
  std::string description;
  SourcePos pos;
};

struct ScopeSpec {
  std::string name;
  std::string description;
  SourcePos pos;
};

/// The user token class: `prefix` followed by one or more characters of
/// `charset`, at most `max_length` characters in all.
struct UserClassSpec {
  std::string description;
  std::string prefix = "cwt_";
  std::string charset = "0-9a-f";  ///< ranges `a-z` and single characters
  std::uint32_t max_length = 256;
  SourcePos pos;
};

/// The operator token class: equal to a secret that the embedding server passes,
/// or else that the environment variable `secret_env` holds.
struct OperatorClassSpec {
  bool present = false;
  std::string description;
  std::string secret_env = "PLATFORM_API_SERVER_TOKEN";
  std::string actor_header = "X-Comwit-Actor-User-Id";
  std::string default_actor = "operator";
  SourcePos pos;
};

/// One declared invariant, checked exhaustively by `policy-check verify`.
struct InvariantSpec {
  std::string kind;                  ///< e.g. `user_never_operator_only`
  std::vector<std::string> values;   ///< arguments, e.g. the exact public routes
  SourcePos pos;
};

struct PolicySpec {
  std::string file;     ///< path used in diagnostics
  int format_version = 1;
  std::string name;
  std::string realm = "comwit";
  std::string project_parameter = "projectId";
  UserClassSpec user;
  OperatorClassSpec operator_class;
  std::vector<ScopeSpec> scopes;
  std::vector<PrefixFamilySpec> operator_prefixes;
  std::vector<RouteSpec> routes;
  std::vector<InvariantSpec> invariants;
};

}  // namespace scopegate
