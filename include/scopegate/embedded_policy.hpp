#pragma once
/// A policy compiled into the program: the constant tables that
/// `policy-check compile FILE --emit-cpp OUT.hpp` generates, and `to_spec()`,
/// which turns them into the PolicySpec that compile() takes. A server that
/// embeds its policy this way links no YAML parser. Standard library only.
///
/// The tables mirror PolicySpec field for field, positions included, so that
/// the compiled policy, its diagnostics and its lint findings are those of the
/// file it came from. They are literal types: a generated header defines them
/// `inline constexpr`, with no code run before main().

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/policy_spec.hpp"

namespace scopegate::embedded {

struct Scope {
  std::string_view name;
  std::string_view description;
  SourcePos pos;
};

struct PrefixFamily {
  std::string_view prefix;
  std::string_view description;
  SourcePos pos;
};

struct Route {
  Method method = Method::kGet;
  std::string_view pattern;
  RouteAuth auth = RouteAuth::kScope;
  std::string_view scope;
  std::string_view project_param;
  bool hidden = false;
  std::string_view description;
  SourcePos pos;
  SourcePos method_pos;
  SourcePos pattern_pos;
  SourcePos scope_pos;
  SourcePos project_pos;
};

struct Invariant {
  std::string_view kind;
  std::span<const std::string_view> values;
  SourcePos pos;
};

struct UserClass {
  std::string_view description;
  std::string_view prefix;
  std::string_view charset;
  std::uint32_t max_length = 0;
  SourcePos pos;
};

struct OperatorClass {
  bool present = false;
  std::string_view description;
  std::string_view secret_env;
  std::string_view actor_header;
  std::string_view default_actor;
  SourcePos pos;
};

/// One policy's tables; the views refer to static storage.
struct Policy {
  std::string_view file;  ///< the source file's name, for diagnostics
  int format_version = 1;
  std::string_view name;
  std::string_view realm;
  std::string_view project_parameter;
  UserClass user;
  OperatorClass operator_class;
  std::span<const Scope> scopes;
  std::span<const PrefixFamily> operator_prefixes;
  std::span<const Route> routes;
  std::span<const Invariant> invariants;
};

/// The PolicySpec the tables describe; compile() it to decide with it.
/// Linear in the size of the policy; allocates the spec's strings.
/// A field added to PolicySpec must be added here and to the generator too;
/// tests/embedded_policy compares the whole spec with the loaded one.
inline PolicySpec to_spec(const Policy& p) {
  auto text = [](std::string_view v) { return std::string(v); };
  PolicySpec spec;
  spec.file = text(p.file);
  spec.format_version = p.format_version;
  spec.name = text(p.name);
  spec.realm = text(p.realm);
  spec.project_parameter = text(p.project_parameter);
  spec.user = {.description = text(p.user.description),
               .prefix = text(p.user.prefix),
               .charset = text(p.user.charset),
               .max_length = p.user.max_length,
               .pos = p.user.pos};
  const OperatorClass& op = p.operator_class;
  spec.operator_class = {.present = op.present,
                         .description = text(op.description),
                         .secret_env = text(op.secret_env),
                         .actor_header = text(op.actor_header),
                         .default_actor = text(op.default_actor),
                         .pos = op.pos};
  for (const Scope& s : p.scopes)
    spec.scopes.push_back({.name = text(s.name), .description = text(s.description), .pos = s.pos});
  for (const PrefixFamily& f : p.operator_prefixes)
    spec.operator_prefixes.push_back({.prefix = text(f.prefix), .description = text(f.description), .pos = f.pos});
  spec.routes.reserve(p.routes.size());
  for (const Route& r : p.routes)
    spec.routes.push_back({.method = r.method,
                           .pattern = text(r.pattern),
                           .auth = r.auth,
                           .scope = text(r.scope),
                           .project_param = text(r.project_param),
                           .hidden = r.hidden,
                           .description = text(r.description),
                           .pos = r.pos,
                           .method_pos = r.method_pos,
                           .pattern_pos = r.pattern_pos,
                           .scope_pos = r.scope_pos,
                           .project_pos = r.project_pos});
  for (const Invariant& i : p.invariants)
    spec.invariants.push_back(
        {.kind = text(i.kind), .values = std::vector<std::string>(i.values.begin(), i.values.end()), .pos = i.pos});
  return spec;
}

}  // namespace scopegate::embedded
