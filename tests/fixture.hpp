#pragma once
// Shared by the unit tests: the Comwit policy of contract section 6 built in
// code (no YAML), a fixed set of tokens, and Facts, a decision copied into plain
// values so that a table row can state every field the contract's section 8
// reports and doctest can print both sides of a mismatch.

#include <doctest/doctest.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/scopegate.hpp"

namespace sgtest {

using namespace scopegate;

inline constexpr std::string_view kOperatorSecret = "op-secret-for-tests";

/// The nine scopes of the seed, in its order.
inline const std::vector<std::string>& comwit_scopes() {
  static const std::vector<std::string> scopes = {"project:read", "database:read", "database:write",
                                                  "app:read",     "app:write",     "app:deploy",
                                                  "domain:read",  "domain:write",  "domain:purchase"};
  return scopes;
}

struct RouteRow {
  Method method;
  std::string pattern;
  RouteAuth auth = RouteAuth::kScope;
  std::string scope;
  bool hidden = false;
};

/// A route spec at `line`: the project parameter is `projectId` whenever the
/// pattern has it (contract section 4: that makes a project route).
inline RouteSpec route_spec(const RouteRow& r, std::uint32_t line) {
  RouteSpec s;
  s.method = r.method;
  s.pattern = r.pattern;
  s.auth = r.auth;
  s.scope = r.scope;
  s.hidden = r.hidden;
  if (r.pattern.find("{projectId}") != std::string::npos) s.project_param = "projectId";
  s.pos = {line, 5};
  s.method_pos = {line, 13};
  s.pattern_pos = {line + 1, 13};
  s.scope_pos = {line + 2, 12};
  return s;
}

/// The route table of contract section 6, in its order.
inline const std::vector<RouteRow>& comwit_routes() {
  using M = Method;
  constexpr auto kPublic = RouteAuth::kPublic;
  constexpr auto kOp = RouteAuth::kOperatorOnly;
  static const std::vector<RouteRow> rows = {
      {M::kPost, "/v1/auth/device", kPublic, ""},
      {M::kPost, "/v1/auth/device/token", kPublic, ""},
      {M::kGet, "/v1/projects", RouteAuth::kScope, "project:read"},
      {M::kGet, "/v1/projects/{projectId}", RouteAuth::kScope, "project:read"},
      {M::kGet, "/v1/projects/{projectId}/databases", RouteAuth::kScope, "database:read"},
      {M::kGet, "/v1/projects/{projectId}/databases/{databaseId}", RouteAuth::kScope, "database:read"},
      {M::kPost, "/v1/projects/{projectId}/databases", RouteAuth::kScope, "database:write"},
      {M::kGet, "/v1/projects/{projectId}/apps", RouteAuth::kScope, "app:read"},
      {M::kGet, "/v1/projects/{projectId}/apps/{appId}", RouteAuth::kScope, "app:read"},
      {M::kGet, "/v1/projects/{projectId}/apps/{appId}/builds", RouteAuth::kScope, "app:read"},
      {M::kGet, "/v1/projects/{projectId}/apps/{appId}/builds/{buildId}", RouteAuth::kScope, "app:read"},
      {M::kGet, "/v1/projects/{projectId}/apps/{appId}/env", RouteAuth::kScope, "app:read"},
      {M::kGet, "/v1/projects/{projectId}/apps/{appId}/domains", RouteAuth::kScope, "app:read"},
      {M::kPost, "/v1/projects/{projectId}/apps", RouteAuth::kScope, "app:write"},
      {M::kDelete, "/v1/projects/{projectId}/apps/{appId}", RouteAuth::kScope, "app:write"},
      {M::kPut, "/v1/projects/{projectId}/apps/{appId}/env", RouteAuth::kScope, "app:write"},
      {M::kPost, "/v1/projects/{projectId}/apps/{appId}/domains", RouteAuth::kScope, "app:write"},
      {M::kDelete, "/v1/projects/{projectId}/apps/{appId}/domains/{hostname}", RouteAuth::kScope, "app:write"},
      {M::kPost, "/v1/projects/{projectId}/apps/{appId}/deploy", RouteAuth::kScope, "app:deploy"},
      {M::kPost, "/v1/projects/{projectId}/apps/{appId}/rollback", RouteAuth::kScope, "app:deploy"},
      {M::kGet, "/v1/projects/{projectId}/domains", RouteAuth::kScope, "domain:read"},
      {M::kGet, "/v1/projects/{projectId}/domains/{domain}", RouteAuth::kScope, "domain:read"},
      {M::kGet, "/v1/projects/{projectId}/domains/{domain}/records", RouteAuth::kScope, "domain:read"},
      {M::kPost, "/v1/projects/{projectId}/domains", RouteAuth::kScope, "domain:write"},
      {M::kPost, "/v1/projects/{projectId}/domains/{domain}/records", RouteAuth::kScope, "domain:write"},
      {M::kPut, "/v1/projects/{projectId}/domains/{domain}/records/{recordId}", RouteAuth::kScope, "domain:write"},
      {M::kDelete, "/v1/projects/{projectId}/domains/{domain}/records/{recordId}", RouteAuth::kScope, "domain:write"},
      {M::kPost, "/v1/projects/{projectId}/domains/{domain}/purchase", RouteAuth::kScope, "domain:purchase"},
      {M::kGet, "/v1/status", kOp, ""},
      {M::kGet, "/v1/databases", kOp, ""},
      {M::kPost, "/v1/databases", kOp, ""},
      {M::kGet, "/v1/databases/{databaseId}", kOp, ""},
      {M::kDelete, "/v1/databases/{databaseId}", kOp, ""},
      {M::kGet, "/v1/apps/{appId}", kOp, "", true},
      {M::kPost, "/v1/apps/{appId}/deploy", kOp, "", true},
      {M::kGet, "/v1/project/{projectId}", kOp, "", true},
      {M::kGet, "/v1/projects/{projectId}/db", kOp, "", true},
  };
  return rows;
}

/// A policy with the given scopes, routes and operator-only prefix families;
/// the operator class is present. Scope i is declared at line 10 + i, prefix i
/// at line 50 + i, route i at line 100 + 3i.
inline PolicySpec make_spec(const std::vector<std::string>& scopes, const std::vector<RouteRow>& routes,
                            const std::vector<std::string>& prefixes = {}) {
  PolicySpec spec;
  spec.file = "test.yaml";
  spec.name = "test";
  spec.user.pos = {3, 3};
  spec.operator_class.present = true;
  spec.operator_class.pos = {6, 3};
  for (std::size_t i = 0; i < scopes.size(); ++i)
    spec.scopes.push_back({scopes[i], "", {static_cast<std::uint32_t>(10 + i), 5}});
  for (std::size_t i = 0; i < prefixes.size(); ++i)
    spec.operator_prefixes.push_back({prefixes[i], "", {static_cast<std::uint32_t>(50 + i), 5}});
  for (std::size_t i = 0; i < routes.size(); ++i)
    spec.routes.push_back(route_spec(routes[i], static_cast<std::uint32_t>(100 + 3 * i)));
  return spec;
}

inline PolicySpec comwit_spec() {
  PolicySpec spec = make_spec(comwit_scopes(), comwit_routes(), {"/v1/databases"});
  spec.file = "comwit.yaml";
  spec.name = "comwit";
  return spec;
}

/// Compiles a spec that the test expects to be valid.
inline std::shared_ptr<const CompiledPolicy> compile_ok(PolicySpec spec) {
  CompileResult r = compile(std::move(spec));
  std::string found;
  for (const auto& d : r.diagnostics) found += d.format() + "\n";
  INFO(found);
  REQUIRE(r.ok());
  return r.policy;
}

/// The users of the engine tests. Tokens are `cwt_` and lowercase hex.
inline std::vector<UserTokenEntry> comwit_users() {
  std::vector<UserTokenEntry> users = {
      // The example user of contract section 8.
      {"cwt_0123abcd", "usr_alice", {"project:read", "app:read"}, {"prj_alpha"}, {}},
      {"cwt_f00d", "usr_full", comwit_scopes(), {"prj_alpha", "prj_beta"}, {}},
      {"cwt_0ff1ce", "usr_outsider", comwit_scopes(), {"prj_beta"}, {}},
      {"cwt_e0e0", "usr_empty", {}, {"prj_alpha"}, {}},
      // Near misses of `app:read`: none of them grants it.
      {"cwt_c0c0", "usr_near", {"App:read", "app:*", "app", "app:read ", "*", "admin"}, {"prj_alpha"}, {}},
      // app:write does not imply app:read.
      {"cwt_add", "usr_writer", {"app:write"}, {"prj_alpha"}, {}},
      // Member of a project whose id needs an escape in a path.
      {"cwt_e5c", "usr_escaped", {"app:read"}, {"prj%3Aalpha"}, {}},
      // Known to the resolver but of no token class: the class check comes first.
      {"CWT_0123", "usr_upper_prefix", comwit_scopes(), {"prj_alpha"}, {}},
      {"cwt_ABCD", "usr_upper_hex", comwit_scopes(), {"prj_alpha"}, {}},
      {"cwt_xyz", "usr_not_hex", comwit_scopes(), {"prj_alpha"}, {}},
      {"cwt_", "usr_prefix_only", comwit_scopes(), {"prj_alpha"}, {}},
      {"cwt_" + std::string(252, 'a'), "usr_256", comwit_scopes(), {"prj_alpha"}, {}},
      {"cwt_" + std::string(253, 'a'), "usr_257", comwit_scopes(), {"prj_alpha"}, {}},
  };
  // cwt_1<i>: only scope i; cwt_2<i>: every scope but i. Both members of prj_alpha.
  const auto& all = comwit_scopes();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string hex(1, "0123456789abcdef"[i]);
    std::vector<std::string> others;
    for (std::size_t j = 0; j < all.size(); ++j)
      if (j != i) others.push_back(all[j]);
    users.push_back({"cwt_1" + hex, "usr_only_" + hex, {all[i]}, {"prj_alpha"}, {}});
    users.push_back({"cwt_2" + hex, "usr_but_" + hex, others, {"prj_alpha"}, {}});
  }
  return users;
}

inline std::string only_scope_token(std::size_t scope_index) {
  return std::string("cwt_1") + "0123456789abcdef"[scope_index];
}
inline std::string all_but_scope_token(std::size_t scope_index) {
  return std::string("cwt_2") + "0123456789abcdef"[scope_index];
}
inline std::string only_scope_user(std::size_t scope_index) {
  return std::string("usr_only_") + "0123456789abcdef"[scope_index];
}
inline std::string all_but_scope_user(std::size_t scope_index) {
  return std::string("usr_but_") + "0123456789abcdef"[scope_index];
}

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::pair<std::string, std::string> bearer(std::string_view token) {
  return {"Authorization", "Bearer " + std::string(token)};
}
inline std::pair<std::string, std::string> actor_header(std::string_view value) {
  return {"X-Comwit-Actor-User-Id", std::string(value)};
}

/// A decision as plain values; nullopt is the contract's null.
struct Facts {
  bool allow = false;
  int status = 0;
  std::string reason;
  std::optional<std::string> route;
  std::optional<std::string> required_scope;
  std::optional<std::string> project;
  std::optional<std::string> actor;
  bool actor_header_ignored = false;
  std::string allowed_methods;  ///< the Allow value; empty unless 405

  friend bool operator==(const Facts&, const Facts&) = default;

  // Fluent setters, so that an expected row reads like the contract's table.
  Facts with_route(std::string v) const { Facts f = *this; f.route = std::move(v); return f; }
  Facts with_scope(std::string v) const { Facts f = *this; f.required_scope = std::move(v); return f; }
  Facts with_project(std::string v) const { Facts f = *this; f.project = std::move(v); return f; }
  Facts with_actor(std::string v) const { Facts f = *this; f.actor = std::move(v); return f; }
  Facts ignored() const { Facts f = *this; f.actor_header_ignored = true; return f; }
  Facts with_allowed(std::string v) const { Facts f = *this; f.allowed_methods = std::move(v); return f; }
};

/// Every status of the contract is tied to one reason; allow is exactly 200.
inline Facts want(int status, std::string reason) {
  Facts f;
  f.allow = status == 200;
  f.status = status;
  f.reason = std::move(reason);
  return f;
}

inline std::ostream& operator<<(std::ostream& os, const Facts& f) {
  auto opt = [&](const std::optional<std::string>& v) -> std::string { return v ? '"' + *v + '"' : "null"; };
  return os << "{allow " << (f.allow ? "true" : "false") << ", " << f.status << " " << f.reason
            << ", route " << opt(f.route) << ", scope " << opt(f.required_scope) << ", project " << opt(f.project)
            << ", actor " << opt(f.actor) << ", ignored " << (f.actor_header_ignored ? "true" : "false")
            << ", allowed [" << f.allowed_methods << "]}";
}

inline Facts facts_of(const Decision& d) {
  Facts f;
  f.allow = d.allow();
  f.status = d.status();
  f.reason = std::string(reason_name(d.reason));
  if (d.has_route()) f.route = std::string(d.route);
  if (!d.required_scope.empty()) f.required_scope = std::string(d.required_scope);
  if (d.has_project()) f.project = std::string(d.project());
  if (!d.actor.empty()) f.actor = std::string(d.actor);
  f.actor_header_ignored = d.actor_header_ignored;
  if (d.reason == Reason::kMethodNotAllowed) f.allowed_methods = allow_header(d.allowed_methods);
  return f;
}

inline std::vector<Header> header_views(const Headers& headers) {
  std::vector<Header> out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out;
}

/// A compiled policy, a resolver and an operator secret: one deciding server.
struct Harness {
  std::shared_ptr<const CompiledPolicy> policy;
  StaticTokenResolver resolver;
  OperatorSecret secret;

  explicit Harness(PolicySpec spec, std::vector<UserTokenEntry> users = comwit_users(),
                   std::string_view operator_secret = kOperatorSecret)
      : policy(compile_ok(std::move(spec))), resolver(std::move(users)) {
    std::string error;
    std::optional<OperatorSecret> s = OperatorSecret::make(operator_secret, *policy, &error);
    INFO(error);
    REQUIRE(s.has_value());
    secret = *s;
  }

  Decision decide(std::string_view method, std::string_view target, const std::vector<Header>& headers) const {
    return scopegate::decide(*policy, Request{method, target, headers}, resolver, secret);
  }

  Facts facts(std::string_view method, std::string_view target, const Headers& headers = {}) const {
    const std::vector<Header> views = header_views(headers);
    return facts_of(decide(method, target, views));
  }
};

/// The Comwit harness, built once: compiling is the slow part of a test.
inline const Harness& comwit() {
  static const Harness h(comwit_spec());
  return h;
}

}  // namespace sgtest
