#include "world.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "reference/from_engine.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::properties {
namespace {

namespace gen = rc::gen;

// Few literals and parameter names, so that random patterns share prefixes and
// a literal often sits beside a parameter at the same position. `x;y` and `a:b`
// are literals that canonical paths keep as they are.
const std::vector<std::string> kLiterals = {"v1", "a", "b", "projects", "db", "status", "A", "x;y", "a:b", "databases"};
const std::vector<std::string> kParameterNames = {"projectId", "org", "id", "name"};
const std::vector<std::string> kScopes = {"a:read", "a:write", "b:read", "b:write", "c", "d.e"};
// Scope names a token may hold that no policy declares: ignored, never matched.
const std::vector<std::string> kUnknownScopes = {"A:READ", "a:*", "a:read ", "admin"};
// Parameter values: some equal a literal, some differ from one only in case,
// some keep an escape or a `;` in canonical form.
const std::vector<std::string> kValues = {"p1", "p2", "P1", "v1", "a", "db", "projects",
                                          "prj%3Agamma", "x;y", "~u", "1"};
// Valid for both user classes below: token68, and of neither class's shape.
constexpr const char* kOperatorSecret = "op-secret-for-tests";

UserClassSpec comwit_user_class() { return UserClassSpec{}; }

UserClassSpec short_user_class() {
  UserClassSpec c;
  c.prefix = "tok-";
  c.charset = "a-z0-9";
  c.max_length = 12;
  return c;
}

// Parameter names erased: two routes of one method with equal shapes overlap
// (SG103), so the generator keeps the first.
std::string shape_of(const std::string& pattern) {
  std::string shape;
  bool in_param = false;
  for (char c : pattern) {
    if (c == '{') in_param = true;
    if (!in_param) shape += c;
    if (c == '}') {
      in_param = false;
      shape += "{}";
    }
  }
  return shape;
}

rc::Gen<RouteSpec> random_route(std::vector<std::string> scopes, std::string project_parameter) {
  return gen::exec([scopes, project_parameter] {
    RouteSpec r;
    r.method = *gen::weightedElement<Method>(
        {{4, Method::kGet}, {2, Method::kPost}, {1, Method::kPut}, {1, Method::kDelete}, {1, Method::kPatch},
         {1, Method::kOptions}});
    const int segments = *gen::inRange(0, 5);
    std::vector<std::string> params;
    for (int i = 0; i < segments; ++i) {
      r.pattern += '/';
      if (*gen::weightedElement<bool>({{3, false}, {2, true}})) {
        std::string name = *gen::arbitrary<bool>() ? project_parameter : *gen::elementOf(kParameterNames);
        if (std::find(params.begin(), params.end(), name) != params.end()) name += std::to_string(i);
        params.push_back(name);
        r.pattern += '{' + name + '}';
      } else {
        r.pattern += i == 0 && *gen::arbitrary<bool>() ? std::string("v1") : *gen::elementOf(kLiterals);
      }
    }
    if (r.pattern.empty()) r.pattern = "/";
    r.auth = *gen::weightedElement<RouteAuth>(
        {{6, RouteAuth::kScope}, {1, RouteAuth::kPublic}, {2, RouteAuth::kOperatorOnly}});
    if (r.auth == RouteAuth::kScope) r.scope = *gen::elementOf(scopes);
    // A hidden alias is an operator-only route that listings leave out.
    r.hidden = r.auth == RouteAuth::kOperatorOnly && *gen::arbitrary<bool>();
    const bool has_project = std::find(params.begin(), params.end(), project_parameter) != params.end();
    if (has_project && *gen::weightedElement<bool>({{4, true}, {1, false}}))
      r.project_param = project_parameter;
    else if (!params.empty() && *gen::weightedElement<bool>({{3, false}, {1, true}}))
      r.project_param = *gen::elementOf(params);
    return r;
  });
}

// `/` and one or two literals, sometimes cut inside the last one (`/v1/data`)
// or ended by a slash (`/a/`).
rc::Gen<std::string> random_prefix() {
  return gen::exec([] {
    std::string prefix = "/" + *gen::elementOf(kLiterals);
    if (*gen::arbitrary<bool>()) prefix += "/" + *gen::elementOf(kLiterals);
    switch (*gen::inRange(0, 3)) {
      case 0: prefix.resize(std::max<std::size_t>(2, prefix.size() - *gen::inRange<std::size_t>(1, 3))); break;
      case 1: prefix += '/'; break;
      default: break;
    }
    return prefix;
  });
}

rc::Gen<PolicySpec> random_spec(bool with_operator) {
  return gen::exec([with_operator] {
    PolicySpec s;
    s.file = "random-policy";
    s.name = "random";
    s.project_parameter = *gen::weightedElement<std::string>({{3, "projectId"}, {1, "org"}});
    s.user = *gen::weightedOneOf<UserClassSpec>(
        {{3, gen::just(comwit_user_class())}, {1, gen::just(short_user_class())}});
    s.operator_class.present = with_operator || *gen::weightedElement<bool>({{4, true}, {1, false}});
    s.operator_class.actor_header = *gen::element<std::string>("X-Comwit-Actor-User-Id", "X-Actor");
    s.operator_class.default_actor = *gen::element<std::string>("operator", "console");
    std::vector<std::string> scopes;
    for (const auto& name : kScopes)
      if (*gen::arbitrary<bool>()) scopes.push_back(name);
    if (scopes.empty()) scopes.push_back(kScopes.front());
    for (const auto& name : scopes) s.scopes.push_back(ScopeSpec{name, {}, {}});
    for (const auto& prefix : *gen::resize(2, gen::container<std::vector<std::string>>(random_prefix())))
      if (std::none_of(s.operator_prefixes.begin(), s.operator_prefixes.end(),
                       [&](const PrefixFamilySpec& f) { return f.prefix == prefix; }))
        s.operator_prefixes.push_back(PrefixFamilySpec{prefix, {}, {}});
    auto routes = *gen::resize(14, gen::nonEmpty(gen::container<std::vector<RouteSpec>>(
                                       random_route(scopes, s.project_parameter))));
    std::vector<std::pair<Method, std::string>> shapes;
    for (auto& r : routes) {
      std::pair<Method, std::string> key{r.method, shape_of(r.pattern)};
      if (std::find(shapes.begin(), shapes.end(), key) != shapes.end()) continue;
      shapes.push_back(key);
      s.routes.push_back(std::move(r));
    }
    return s;
  });
}

rc::Gen<TokensFile> random_tokens(const PolicySpec& spec, bool with_operator) {
  return gen::exec([spec, with_operator] {
    TokensFile t;
    if (with_operator)
      t.operator_token = kOperatorSecret;
    else
      t.operator_token = *gen::weightedElement<std::optional<std::string>>(
          {{4, std::string(kOperatorSecret)}, {1, std::nullopt}, {1, std::string()}});
    // Token bodies of hex digits fit both user classes.
    const std::vector<std::string> bodies = {"a1", "b2", "c3", "d4"};
    const int users = *gen::inRange(1, 5);
    for (int i = 0; i < users; ++i) {
      UserTokenEntry u;
      u.token = spec.user.prefix + bodies[static_cast<std::size_t>(i)];
      u.user_id = "usr_" + std::to_string(i + 1);
      for (const auto& scope : spec.scopes)
        if (*gen::arbitrary<bool>()) u.scopes.push_back(scope.name);
      if (*gen::weightedElement<bool>({{3, false}, {1, true}})) u.scopes.push_back(*gen::elementOf(kUnknownScopes));
      for (const auto& value : kValues)
        if (*gen::arbitrary<bool>()) u.projects.push_back(value);
      t.users.push_back(std::move(u));
    }
    return t;
  });
}

// The callers behind `tokens` for `policy`; nullptr (and `error` set) when
// OperatorSecret::make refuses the secret.
std::shared_ptr<const Callers> make_callers(const CompiledPolicy& policy, TokensFile tokens, std::string* error) {
  auto secret = OperatorSecret::make(tokens.operator_token.value_or(""), policy, error);
  if (!secret) return nullptr;
  auto c = std::make_shared<Callers>();
  c->secret = std::move(*secret);
  c->resolver = std::make_unique<StaticTokenResolver>(tokens.users);
  c->values = kValues;
  for (const auto& u : tokens.users)
    for (const auto& p : u.projects) {
      if (std::find(c->projects.begin(), c->projects.end(), p) == c->projects.end()) c->projects.push_back(p);
      if (std::find(c->values.begin(), c->values.end(), p) == c->values.end()) c->values.push_back(p);
    }
  c->tokens = std::move(tokens);
  return c;
}

[[noreturn]] void fail_setup(const std::string& what, const std::vector<Diagnostic>& diagnostics) {
  std::cerr << "conformance-properties: " << what << '\n';
  for (const auto& d : diagnostics) std::cerr << d.format() << '\n';
  std::abort();
}

}  // namespace

const World& comwit_world() {
  static const World world = [] {
    World w;
    w.origin = "comwit";
    const std::string root = SCOPEGATE_SOURCE_DIR;
    auto loaded = load_policy_file(root + "/policies/comwit.yaml");
    if (!loaded.ok()) fail_setup("policies/comwit.yaml does not load", loaded.diagnostics);
    w.policy = loaded.policy;
    auto tokens = load_tokens_file(root + "/conformance/fixtures/comwit-tokens.yaml", w.spec());
    if (!tokens.tokens) fail_setup("conformance/fixtures/comwit-tokens.yaml does not load", tokens.diagnostics);
    std::string error;
    w.callers = make_callers(*w.policy, std::move(*tokens.tokens), &error);
    if (!w.callers) fail_setup("conformance/fixtures/comwit-tokens.yaml: " + error, {});
    return w;
  }();
  return world;
}

rc::Gen<World> random_world(bool with_operator) {
  auto compiled = gen::map(random_spec(with_operator), [](PolicySpec spec) { return compile(std::move(spec)).policy; });
  auto compiling = gen::suchThat(compiled, [](const std::shared_ptr<const CompiledPolicy>& p) { return p != nullptr; });
  return gen::mapcat(compiling, [with_operator](const std::shared_ptr<const CompiledPolicy>& policy) {
    return gen::map(random_tokens(policy->spec(), with_operator), [policy](TokensFile tokens) {
      World w;
      w.origin = "random";
      w.policy = policy;
      w.callers = make_callers(*policy, std::move(tokens), nullptr);
      return w;
    });
  });
}

World with_tokens(const World& world, TokensFile tokens) {
  World w = world;
  std::string error;
  w.callers = make_callers(*world.policy, std::move(tokens), &error);
  if (!w.callers) RC_FAIL("the operator secret is refused: " + error);
  return w;
}

reference::RefDecision engine_decision(const World& world, const HttpRequest& request) {
  std::vector<Header> headers;
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  // Converted at once: the decision's views refer to `headers`.
  return reference::from_engine(
      decide(*world.policy, Request{request.method, request.target, headers}, *world.callers->resolver,
             world.callers->secret));
}

reference::RefDecision reference_decision(const World& world, const HttpRequest& request) {
  // A policy without an operator class has no operator token, whatever secret
  // the server passes (policies/README.md, `token_classes`): OperatorSecret::make
  // drops the secret then, and the reference evaluator, which does not read
  // `operator_class.present`, is handed none either. Handed the secret, it
  // decides such a token as the operator's where the engine says 401
  // invalid_token (reported with conformance issue item 4).
  const auto secret = world.spec().operator_class.present ? world.tokens().operator_token : std::nullopt;
  return reference::evaluate(world.spec(), request.method, request.target, request.headers, world.tokens(), secret);
}

std::vector<std::string> route_names(const PolicySpec& spec) {
  std::vector<std::string> names;
  for (const auto& r : spec.routes) names.push_back(std::string(method_name(r.method)) + " " + r.pattern);
  return names;
}

const RouteSpec* route_named(const PolicySpec& spec, const std::string& display) {
  const auto names = route_names(spec);
  const auto at = std::find(names.begin(), names.end(), display);
  return at == names.end() ? nullptr : &spec.routes[static_cast<std::size_t>(at - names.begin())];
}

std::string quoted(const std::string& bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      default:
        if (c < 0x20 || c > 0x7E) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02X", c);
          out += escaped;
        } else {
          out += ch;
        }
    }
  }
  return out + '"';
}

std::string show_request(const HttpRequest& request) {
  std::string out = quoted(request.method) + " " + quoted(request.target) + " [";
  for (std::size_t i = 0; i < request.headers.size(); ++i) {
    if (i != 0) out += ", ";
    out += quoted(request.headers[i].first) + ": " + quoted(request.headers[i].second);
  }
  return out + "]";
}

void showValue(const HttpRequest& request, std::ostream& os) { os << show_request(request); }

// The world in the shape of a policy file and a tokens file, so that a
// counterexample can be turned into a case or a fixture by hand.
void showValue(const World& world, std::ostream& os) {
  const PolicySpec& s = world.spec();
  os << "world " << world.origin << ":\n";
  if (world.origin == "comwit") {
    os << "  policies/comwit.yaml with conformance/fixtures/comwit-tokens.yaml\n";
    return;
  }
  os << "  project_parameter: " << s.project_parameter << "\n";
  os << "  user class: prefix " << quoted(s.user.prefix) << ", charset " << quoted(s.user.charset)
     << ", max_length " << s.user.max_length << "\n";
  if (s.operator_class.present)
    os << "  operator class: actor_header " << s.operator_class.actor_header << ", default_actor "
       << s.operator_class.default_actor << "\n";
  else
    os << "  operator class: none\n";
  os << "  scopes:";
  for (const auto& scope : s.scopes) os << ' ' << scope.name;
  os << "\n  operator_prefixes:";
  for (const auto& f : s.operator_prefixes) os << ' ' << quoted(f.prefix);
  os << "\n  routes:\n";
  for (const auto& r : s.routes) {
    os << "    - {method: " << method_name(r.method) << ", path: \"" << r.pattern << "\"";
    switch (r.auth) {
      case RouteAuth::kScope: os << ", scope: " << r.scope; break;
      case RouteAuth::kPublic: os << ", auth: none"; break;
      case RouteAuth::kOperatorOnly: os << ", operator_only: true"; break;
    }
    os << ", project: " << (r.project_param.empty() ? "~" : r.project_param);
    if (r.hidden) os << ", hidden: true";
    os << "}\n";
  }
  os << "  operator_token: "
     << (world.tokens().operator_token ? quoted(*world.tokens().operator_token) : std::string("(none)")) << "\n";
  os << "  users:\n";
  for (const auto& u : world.tokens().users) {
    os << "    - {token: " << u.token << ", user_id: " << u.user_id << ", scopes: [";
    for (std::size_t i = 0; i < u.scopes.size(); ++i) os << (i ? ", " : "") << quoted(u.scopes[i]);
    os << "], projects: [";
    for (std::size_t i = 0; i < u.projects.size(); ++i) os << (i ? ", " : "") << quoted(u.projects[i]);
    os << "]}\n";
  }
}

}  // namespace scopegate::properties
