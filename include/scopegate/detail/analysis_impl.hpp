#pragma once
// The analysis functions declared in analysis.hpp. Included by it; not a
// public header.

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "scopegate/authorization.hpp"
#include "scopegate/render.hpp"

namespace scopegate::analysis {

namespace detail {

using scopegate::detail::parse_pattern;
using scopegate::detail::ParsedPattern;
using scopegate::detail::PathSegments;

/// Appends `value` unless it is empty or already there.
inline void add_unique(std::vector<std::string>& set, std::string_view value) {
  if (!value.empty() && std::find(set.begin(), set.end(), value) == set.end()) set.emplace_back(value);
}

inline std::string bracket_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

inline void append_json_list(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    scopegate::detail::append_json_string(out, items[i]);
  }
  out += ']';
}

/// The non-empty segments of a canonical path.
inline std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  const PathSegments segs = PathSegments::split(path);
  for (std::size_t i = 0; i < segs.count; ++i)
    if (!segs.items[i].empty()) out.emplace_back(segs.items[i]);
  return out;
}

/// A path for a parsed pattern: parameters take `prj_<i>` at `project_segment`
/// and `x<i>` elsewhere, each followed by `suffix`.
inline std::string concrete_path(const ParsedPattern& parsed, int project_segment, std::string_view suffix) {
  std::string path;
  for (std::size_t i = 0; i < parsed.segments.size(); ++i) {
    path += '/';
    const auto& seg = parsed.segments[i];
    if (!seg.is_param) {
      path += seg.text;
      continue;
    }
    path += static_cast<int>(i) == project_segment ? "prj_" : "x";
    path += std::to_string(i);
    path += suffix;
  }
  return path.empty() ? "/" : path;
}

inline ParsedPattern parse_route_pattern(std::string_view pattern) {
  return parse_pattern(pattern, kMaxPatternBytes, kMaxPatternSegments);
}

/// A pattern reduced to what matching sees, shared by the patterns of every
/// method and policy that have the same shape.
struct Shape {
  std::vector<std::string> literals;  ///< per segment; empty for a parameter
  std::vector<bool> project;          ///< per segment: a project parameter of some route
};

/// The enumeration behind path_classes: a depth-first walk over the segment
/// values that can make a difference, merging prefixes that leave the same
/// patterns alive and the same families undecided. The live patterns are a
/// sorted list of indices, so a step costs what the patterns still matching
/// cost, not what the whole table does.
class PathClassWalker {
 public:
  PathClassWalker(std::vector<Shape> shapes, std::vector<std::string> families)
      : shapes_(std::move(shapes)), families_(std::move(families)) {}

  std::vector<std::string> run() {
    std::vector<std::uint32_t> alive(shapes_.size());
    for (std::size_t i = 0; i < alive.size(); ++i) alive[i] = static_cast<std::uint32_t>(i);
    std::vector<int> fam(families_.size(), 0);
    emit("/", class_key(0, alive, fam));
    walk("", 0, alive, fam);
    return std::move(out_);
  }

 private:
  static constexpr int kInside = -1;
  static constexpr int kOutside = -2;

  /// The state of a family after `appended` (`/segment`) joins the path;
  /// a non-negative state counts the prefix's characters matched so far.
  static int advance(std::string_view family, int state, std::string_view appended) {
    if (state < 0) return state;
    std::string_view rem = family.substr(static_cast<std::size_t>(state));
    if (rem.size() <= appended.size()) return appended.starts_with(rem) ? kInside : kOutside;
    // The path goes on with '/', so the family stays possible only when its
    // text goes on with '/' too.
    if (rem.starts_with(appended) && rem[appended.size()] == '/') return state + static_cast<int>(appended.size());
    return kOutside;
  }

  void emit(std::string path, const std::string& cls) {
    if (classes_.insert(cls).second) out_.push_back(std::move(path));
  }

  std::string class_key(std::size_t depth, const std::vector<std::uint32_t>& alive, const std::vector<int>& fam) const {
    std::string key = "S";
    for (std::uint32_t i : alive)
      if (shapes_[i].literals.size() == depth) key += std::to_string(i) + ',';
    key += 'F';
    for (int f : fam) key += f == kInside ? '1' : '0';
    return key;
  }

  void walk(const std::string& text, std::size_t depth, const std::vector<std::uint32_t>& alive,
            const std::vector<int>& fam) {
    if (depth > 0) {
      emit(text, class_key(depth, alive, fam));
      // A trailing slash: an empty last segment, which no pattern matches.
      std::vector<int> slashed(fam.size());
      for (std::size_t f = 0; f < fam.size(); ++f) slashed[f] = advance(families_[f], fam[f], "/");
      emit(text + "/", class_key(depth, {}, slashed));
    }
    // The root always goes on: a path of one fresh segment stands for the
    // paths that match nothing, which "/" does not when a pattern is "/".
    bool extendable = depth == 0 || std::any_of(fam.begin(), fam.end(), [](int f) { return f >= 0; });
    for (std::size_t k = 0; k < alive.size() && !extendable; ++k)
      extendable = shapes_[alive[k]].literals.size() > depth;
    if (!extendable || depth == PathSegments::kCapacity) return;

    // The segment values that can make a difference here: each literal of a
    // live pattern, each segment a pending family spells out, and for a family
    // whose text ends inside this segment that text and a longer one.
    std::vector<std::string> literals;
    bool project_here = false;
    for (std::uint32_t i : alive) {
      if (shapes_[i].literals.size() <= depth) continue;
      if (shapes_[i].literals[depth].empty()) project_here = project_here || shapes_[i].project[depth];
      else add_unique(literals, shapes_[i].literals[depth]);
    }
    std::vector<std::string> exact;
    std::vector<std::string> partial;  // may hold "" (a family ending in '/')
    for (std::size_t f = 0; f < fam.size(); ++f) {
      if (fam[f] < 0) continue;
      std::string_view rest = std::string_view(families_[f]).substr(static_cast<std::size_t>(fam[f]) + 1);
      std::size_t slash = rest.find('/');
      if (slash != std::string_view::npos) add_unique(exact, rest.substr(0, slash));
      else if (std::find(partial.begin(), partial.end(), rest) == partial.end()) partial.emplace_back(rest);
    }
    // A value extending `base` that equals no literal or spelled-out segment
    // and starts with no partial text that `base` does not start with.
    auto fresh = [&](const std::string& base, std::string_view first_suffix) {
      for (std::string v = base + std::string(first_suffix);; v += '_') {
        bool ok = std::find(literals.begin(), literals.end(), v) == literals.end() &&
                  std::find(exact.begin(), exact.end(), v) == exact.end();
        for (const auto& p : partial) ok = ok && (!v.starts_with(p) || base.starts_with(p));
        if (ok) return v;
      }
    };
    // Fresh values first, so that merged prefixes keep the readable one.
    std::vector<std::string> candidates;
    add_unique(candidates, fresh(project_here ? "prj_" + std::to_string(depth) : "x" + std::to_string(depth), ""));
    for (const auto& v : literals) add_unique(candidates, v);
    for (const auto& v : exact) add_unique(candidates, v);
    for (const auto& t : partial) {
      add_unique(candidates, t);
      add_unique(candidates, fresh(t, "-x"));
    }

    for (const std::string& v : candidates) {
      std::vector<std::uint32_t> next_alive;
      for (std::uint32_t i : alive) {
        if (shapes_[i].literals.size() <= depth) continue;
        const std::string& lit = shapes_[i].literals[depth];
        if (lit.empty() || lit == v) next_alive.push_back(i);
      }
      std::vector<int> next_fam(fam.size());
      const std::string appended = "/" + v;
      for (std::size_t f = 0; f < fam.size(); ++f) next_fam[f] = advance(families_[f], fam[f], appended);
      std::string key = std::to_string(depth + 1) + ':';
      for (std::uint32_t i : next_alive) key += std::to_string(i) + ',';
      for (int f : next_fam) key += ',' + std::to_string(f);
      if (visited_.insert(std::move(key)).second) walk(text + appended, depth + 1, next_alive, next_fam);
    }
  }

  std::vector<Shape> shapes_;
  std::vector<std::string> families_;
  std::set<std::string> visited_;
  std::set<std::string> classes_;
  std::vector<std::string> out_;
};

inline bool is_write_method(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE"; }

/// Route lookup by the display text that decisions report.
class RouteIndex {
 public:
  explicit RouteIndex(const CompiledPolicy& policy) : policy_(policy) {
    for (std::size_t i = 0; i < policy.routes().size(); ++i) by_display_.emplace(policy.routes()[i].display, i);
  }
  const CompiledRoute* find(std::string_view display) const {
    auto it = by_display_.find(std::string(display));
    return it == by_display_.end() ? nullptr : &policy_.routes()[it->second];
  }

 private:
  const CompiledPolicy& policy_;
  std::unordered_map<std::string, std::size_t> by_display_;
};

inline const Observation* find_caller(const std::vector<Observation>& obs, Caller::Kind kind) {
  for (const auto& o : obs)
    if (o.caller.kind == kind) return &o;
  return nullptr;
}

/// `GET /v1/x {scope app:read (member of {projectId})}`
inline std::string route_summary(const CompiledPolicy& policy, const CompiledRoute& r) {
  return std::string(r.display) + " {" + route_guard(policy, r) + "}";
}

}  // namespace detail

inline std::string Caller::describe() const {
  switch (kind) {
    case Kind::kAnonymous: return "anonymous";
    case Kind::kOperator: return "operator";
    case Kind::kOperatorBadActor: return "operator with a malformed actor header";
    case Kind::kUser: break;
  }
  std::string out = scopes.empty() ? "user with no scope" : "user with scopes " + detail::bracket_list(scopes);
  out += projects.empty() ? ", member of no project" : ", member of " + detail::bracket_list(projects);
  return out;
}

inline std::optional<ProbeKit> ProbeKit::make(std::span<const CompiledPolicy* const> policies, std::string* error) {
  // token68 body characters, the plainest first.
  static constexpr std::string_view kBody = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~+/";
  auto token_for = [](std::span<const CompiledPolicy* const> set) -> std::optional<std::string> {
    for (const CompiledPolicy* p : set)
      for (char c : kBody)
        for (std::size_t n : {std::size_t{8}, std::size_t{1}}) {
          std::string t = p->spec().user.prefix + std::string(n, c);
          if (!is_token68(t)) continue;
          if (std::all_of(set.begin(), set.end(), [&](const CompiledPolicy* q) { return q->user_class().matches(t); }))
            return t;
        }
    return std::nullopt;
  };
  ProbeKit kit;
  if (auto common = token_for(policies)) {
    kit.user_tokens_.assign(policies.size(), *common);
  } else {
    for (std::size_t i = 0; i < policies.size(); ++i) {
      auto own = token_for(policies.subspan(i, 1));
      if (!own) {
        if (error)
          *error = "policy '" + policies[i]->spec().file +
                   "': its user token class admits no token that a Bearer header can carry";
        return std::nullopt;
      }
      kit.user_tokens_.push_back(*own);
    }
  }
  for (std::string_view secret : {"op-secret-probe", "OP.SECRET.PROBE", "~op~probe~"}) {
    if (std::none_of(policies.begin(), policies.end(),
                     [&](const CompiledPolicy* p) { return p->user_class().matches(secret); })) {
      kit.operator_secret_ = secret;
      break;
    }
  }
  if (kit.operator_secret_.empty()) {
    if (error) *error = "every operator secret tried has the shape of a user token";
    return std::nullopt;
  }
  for (const CompiledPolicy* p : policies) {
    const auto& op = p->spec().operator_class;
    if (!op.present) continue;
    if (std::none_of(kit.actor_headers_.begin(), kit.actor_headers_.end(),
                     [&](const std::string& h) { return scopegate::detail::iequals(h, op.actor_header); }))
      kit.actor_headers_.push_back(op.actor_header);
  }
  return kit;
}

inline std::string Probe::request_json() const {
  std::string out = "{\"method\": ";
  scopegate::detail::append_json_string(out, method);
  out += ", \"target\": ";
  scopegate::detail::append_json_string(out, target);
  out += ", \"headers\": [";
  for (std::size_t i = 0; i < headers.size(); ++i) {
    out += i ? ", [" : "[";
    scopegate::detail::append_json_string(out, headers[i].first);
    out += ", ";
    scopegate::detail::append_json_string(out, headers[i].second);
    out += ']';
  }
  return out + "]}";
}

inline std::string Probe::tokens_json() const {
  std::string out = "{\"operator_token\": ";
  scopegate::detail::append_json_string(out, tokens.operator_token.value_or(""));
  out += ", \"users\": [";
  for (std::size_t i = 0; i < tokens.users.size(); ++i) {
    const auto& u = tokens.users[i];
    out += i ? ", {\"token\": " : "{\"token\": ";
    scopegate::detail::append_json_string(out, u.token);
    out += ", \"user_id\": ";
    scopegate::detail::append_json_string(out, u.user_id);
    out += ", \"scopes\": ";
    detail::append_json_list(out, u.scopes);
    out += ", \"projects\": ";
    detail::append_json_list(out, u.projects);
    out += '}';
  }
  return out + "]}";
}

inline Probe make_probe(const ProbeKit& kit, std::size_t policy_index, std::string method, std::string target,
                        Caller caller) {
  Probe p;
  p.method = std::move(method);
  p.target = std::move(target);
  p.tokens.operator_token = std::string(kit.operator_secret());
  switch (caller.kind) {
    case Caller::Kind::kAnonymous:
      break;
    case Caller::Kind::kUser: {
      const std::string token(kit.user_token(policy_index));
      p.headers.emplace_back("Authorization", "Bearer " + token);
      p.tokens.users.push_back(UserTokenEntry{token, std::string(ProbeKit::kUserId), caller.scopes, caller.projects, {}});
      break;
    }
    case Caller::Kind::kOperator:
    case Caller::Kind::kOperatorBadActor:
      p.headers.emplace_back("Authorization", "Bearer " + std::string(kit.operator_secret()));
      if (caller.kind == Caller::Kind::kOperatorBadActor)
        for (const auto& h : kit.actor_headers()) p.headers.emplace_back(h, ProbeKit::kMalformedActor);
      break;
  }
  p.caller = std::move(caller);
  return p;
}

inline Outcome run_probe(const CompiledPolicy& policy, const Probe& probe) {
  std::vector<Header> headers;
  headers.reserve(probe.headers.size());
  for (const auto& [name, value] : probe.headers) headers.push_back(Header{name, value});
  StaticTokenResolver resolver(probe.tokens.users);
  std::optional<OperatorSecret> secret = OperatorSecret::make(probe.tokens.operator_token.value_or(""), policy, nullptr);
  const Decision d = decide(policy, Request{probe.method, probe.target, headers}, resolver,
                            secret ? *secret : OperatorSecret{});
  // The decision's views die with the resolver: copy them now.
  Outcome o;
  o.reason = d.reason;
  o.route = d.route;
  o.required_scope = d.required_scope;
  if (d.has_project()) o.project = d.project();
  o.actor = d.actor;
  o.allowed_methods = d.allowed_methods;
  o.line = decision_json(d);
  return o;
}

inline bool same_response(const Outcome& a, const Outcome& b) {
  if (a.reason != b.reason) return false;
  switch (a.reason) {
    case Reason::kInsufficientScope: return a.required_scope == b.required_scope;
    case Reason::kMethodNotAllowed: return a.allowed_methods == b.allowed_methods;
    case Reason::kNotAMember: return a.project == b.project;
    default: return true;
  }
}

inline std::string pattern_path(std::string_view pattern, std::string_view project_parameter) {
  const detail::ParsedPattern parsed = detail::parse_route_pattern(pattern);
  if (!parsed.ok()) return {};
  return detail::concrete_path(parsed, parsed.param_index(project_parameter), "");
}

inline std::string route_path(const CompiledPolicy& policy, std::size_t route) {
  const CompiledRoute& r = policy.routes()[route];
  const detail::ParsedPattern parsed = detail::parse_route_pattern(policy.spec().routes[r.spec_index].pattern);
  // The operator's decision names the route chosen, whatever its guard.
  Principal operator_principal;
  operator_principal.kind = Principal::Kind::kOperator;
  operator_principal.actor = "probe";
  // INVARIANT: once no parameter value equals a literal, this route is the one
  // chosen: any other route of its method that matches has a parameter where
  // this one has a literal, which makes it less specific (contract section 4);
  // literals are finitely long, so the loop ends. A literal that no canonical
  // path can hold (`..;x`) leaves the path malformed whatever the values.
  for (std::string suffix;; suffix += '_') {
    std::string path = detail::concrete_path(parsed, r.project_segment, suffix);
    const Decision d = check(policy, method_name(r.method), path, operator_principal);
    if (d.reason == Reason::kMalformedPath || d.route == r.display) return path;
  }
}

inline std::string family_path(std::string_view prefix) {
  return prefix.ends_with('/') ? std::string(prefix) : std::string(prefix) + "/";
}

inline std::vector<std::string> path_classes(std::span<const CompiledPolicy* const> policies) {
  std::vector<detail::Shape> shapes;
  std::map<std::string, std::size_t> by_shape;
  std::vector<std::string> families;
  for (const CompiledPolicy* p : policies) {
    for (const CompiledRoute& r : p->routes()) {
      const detail::ParsedPattern parsed = detail::parse_route_pattern(p->spec().routes[r.spec_index].pattern);
      auto [it, fresh] = by_shape.emplace(scopegate::detail::pattern_shape(parsed), shapes.size());
      if (fresh) {
        detail::Shape s;
        for (const auto& seg : parsed.segments) {
          s.literals.emplace_back(seg.is_param ? std::string_view() : seg.text);
          s.project.push_back(false);
        }
        shapes.push_back(std::move(s));
      }
      if (r.project_segment >= 0) shapes[it->second].project[static_cast<std::size_t>(r.project_segment)] = true;
    }
    for (const auto& prefix : p->operator_prefixes()) detail::add_unique(families, prefix);
  }
  return detail::PathClassWalker(std::move(shapes), std::move(families)).run();
}

inline std::vector<Caller> callers_for(const ProbeKit& kit, std::span<const CompiledPolicy* const> policies,
                                       std::string_view method, std::string_view path) {
  // A user holding every scope and a member of every segment reaches the
  // route's own checks, so its decisions name the scope and project that matter.
  Caller everything{Caller::Kind::kUser, {}, detail::path_segments(path)};
  for (const CompiledPolicy* p : policies)
    for (const auto& s : p->scopes()) detail::add_unique(everything.scopes, s);
  std::vector<std::string> scopes;
  std::vector<std::string> projects;
  for (std::size_t i = 0; i < policies.size(); ++i) {
    Outcome o = run_probe(*policies[i], make_probe(kit, i, std::string(method), std::string(path), everything));
    detail::add_unique(scopes, o.required_scope);
    detail::add_unique(projects, o.project);
  }
  std::vector<Caller> out;
  out.push_back(Caller{});
  const std::size_t n = scopes.size() + projects.size();
  for (std::size_t mask = 0; mask < (std::size_t{1} << n); ++mask) {
    Caller c{Caller::Kind::kUser, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
      if (!(mask >> i & 1u)) continue;
      if (i < scopes.size()) c.scopes.push_back(scopes[i]);
      else c.projects.push_back(projects[i - scopes.size()]);
    }
    out.push_back(std::move(c));
  }
  out.push_back(Caller{Caller::Kind::kOperator, {}, {}});
  out.push_back(Caller{Caller::Kind::kOperatorBadActor, {}, {}});
  return out;
}

template <class Visit>
void for_each_request(const ProbeKit& kit, std::span<const CompiledPolicy* const> policies, Visit&& visit) {
  for (const std::string& path : path_classes(policies)) {
    for (std::string_view method : kMethodNames) {
      std::vector<Observation> observations;
      for (Caller& caller : callers_for(kit, policies, method, path)) {
        Observation o;
        for (std::size_t i = 0; i < policies.size(); ++i) {
          o.probes.push_back(make_probe(kit, i, std::string(method), path, caller));
          o.outcomes.push_back(run_probe(*policies[i], o.probes.back()));
        }
        o.caller = std::move(caller);
        observations.push_back(std::move(o));
      }
      visit(method, path, observations);
    }
  }
}

inline Caller situation_caller(const CompiledPolicy& policy, const CompiledRoute& route, std::string_view path,
                               Situation s) {
  std::vector<std::string> held =
      route.auth == RouteAuth::kScope ? std::vector<std::string>{std::string(route.scope)} : policy.scopes();
  std::vector<std::string> member;
  if (route.project_segment >= 0)
    member.emplace_back(detail::PathSegments::split(path).items[static_cast<std::size_t>(route.project_segment)]);
  using K = Caller::Kind;
  switch (s) {
    case Situation::kAnonymous: return Caller{};
    case Situation::kUser: return Caller{K::kUser, {}, {}};
    case Situation::kUserMember: return Caller{K::kUser, {}, member};
    case Situation::kUserScope: return Caller{K::kUser, held, {}};
    case Situation::kUserScopeMember: return Caller{K::kUser, held, member};
    case Situation::kOperator: return Caller{K::kOperator, {}, {}};
    case Situation::kOperatorBadActor: return Caller{K::kOperatorBadActor, {}, {}};
  }
  return Caller{};
}

inline std::string route_guard(const CompiledPolicy& policy, const CompiledRoute& route) {
  std::string out;
  switch (route.auth) {
    case RouteAuth::kPublic: out = "public"; break;
    case RouteAuth::kOperatorOnly: out = "operator-only"; break;
    case RouteAuth::kScope:
      out = "scope " + std::string(route.scope);
      if (route.project_segment >= 0)
        out += " (member of {" + policy.spec().routes[route.spec_index].project_param + "})";
      break;
  }
  if (route.hidden) out += " (hidden)";
  return out;
}

inline AccessMatrix access_matrix(const CompiledPolicy& policy, const ProbeKit& kit) {
  AccessMatrix m;
  for (std::size_t i = 0; i < policy.routes().size(); ++i) {
    const CompiledRoute& r = policy.routes()[i];
    const RouteSpec& spec = policy.spec().routes[r.spec_index];
    MatrixRow row;
    row.kind = MatrixRow::Kind::kRoute;
    row.index = i;
    row.method = method_name(r.method);
    row.pattern = spec.pattern;
    row.auth = r.auth;
    row.scope = r.scope;
    if (r.project_segment >= 0) row.project_parameter = spec.project_param;
    row.hidden = r.hidden;
    row.pos = spec.pos;
    row.target = route_path(policy, i);
    for (Situation s : kSituations) {
      if (!situation_applies(r, s)) continue;
      Probe probe = make_probe(kit, 0, row.method, row.target, situation_caller(policy, r, row.target, s));
      Outcome outcome = run_probe(policy, probe);
      row.cells[static_cast<std::size_t>(s)] = MatrixCell{std::move(probe), std::move(outcome)};
    }
    m.rows.push_back(std::move(row));
  }
  const auto& families = policy.spec().operator_prefixes;
  for (std::size_t i = 0; i < families.size(); ++i) {
    MatrixRow row;
    row.kind = MatrixRow::Kind::kFamily;
    row.index = i;
    row.method = "any";
    row.pattern = families[i].prefix + "*";
    row.pos = families[i].pos;
    row.target = family_path(families[i].prefix);
    for (Situation s : kSituations) {
      if (s == Situation::kUserMember || s == Situation::kUserScopeMember) continue;
      Caller caller;
      if (s == Situation::kUser) caller = Caller{Caller::Kind::kUser, {}, {}};
      else if (s == Situation::kUserScope) caller = Caller{Caller::Kind::kUser, policy.scopes(), {}};
      else if (s == Situation::kOperator) caller.kind = Caller::Kind::kOperator;
      else if (s == Situation::kOperatorBadActor) caller.kind = Caller::Kind::kOperatorBadActor;
      Probe probe = make_probe(kit, 0, "GET", row.target, std::move(caller));
      Outcome outcome = run_probe(policy, probe);
      row.cells[static_cast<std::size_t>(s)] = MatrixCell{std::move(probe), std::move(outcome)};
    }
    m.rows.push_back(std::move(row));
  }
  return m;
}

inline std::vector<Violation> check_invariants(const CompiledPolicy& policy, const ProbeKit& kit) {
  constexpr std::string_view kNeverOperatorOnly = "user_never_operator_only";
  constexpr std::string_view kMembership = "project_routes_check_membership";
  constexpr std::string_view kNoWriteUnderRead = "no_write_under_read_scope";
  constexpr std::string_view kPublicRoutes = "public_routes";

  const PolicySpec& spec = policy.spec();
  std::vector<Violation> out;
  std::set<std::pair<std::size_t, std::string>> reported;
  auto report = [&](std::size_t inv, std::string key, Violation v) {
    if (!reported.emplace(inv, std::move(key)).second) return;
    v.invariant = inv;
    if (v.code.empty()) {
      for (const auto& rule : kInvariantRules)
        if (rule.kind == spec.invariants[inv].kind) v.code = rule.code;
    }
    out.push_back(std::move(v));
  };
  auto related = [&](const CompiledRoute* r) -> std::optional<SourcePos> {
    if (!r) return std::nullopt;
    return spec.routes[r->spec_index].pos;
  };

  // Which invariants to check, and the public routes listed, by method and shape.
  struct Listed {
    std::string text;
    Method method;
    std::string pattern;
    std::string shape;
    bool seen = false;
  };
  std::vector<std::size_t> never_operator_only, membership, no_write, public_lists;
  std::vector<std::vector<Listed>> listed;
  for (std::size_t i = 0; i < spec.invariants.size(); ++i) {
    const InvariantSpec& inv = spec.invariants[i];
    if (inv.kind == kNeverOperatorOnly) never_operator_only.push_back(i);
    else if (inv.kind == kMembership) membership.push_back(i);
    else if (inv.kind == kNoWriteUnderRead) no_write.push_back(i);
    else if (inv.kind == kPublicRoutes) public_lists.push_back(i);
    else
      report(i, "", Violation{"SG505", 0, "unknown invariant '" + inv.kind + "'",
                              "known invariants: user_never_operator_only, project_routes_check_membership, "
                              "no_write_under_read_scope, public_routes",
                              std::nullopt, std::nullopt});
    if (inv.kind != kPublicRoutes) continue;
    std::vector<Listed> routes;
    for (const std::string& value : inv.values) {
      const std::size_t space = value.find(' ');
      const auto method = parse_declared_method(std::string_view(value).substr(0, space));
      const std::string pattern = space == std::string::npos ? std::string() : value.substr(space + 1);
      const detail::ParsedPattern parsed = detail::parse_route_pattern(pattern);
      if (!method || !parsed.ok()) {
        report(i, "value " + value,
               Violation{"SG505", 0, "public_routes value '" + value + "' is not a route 'METHOD /pattern'",
                         "write a method and a pattern, e.g. \"POST /v1/auth/device\"", std::nullopt, std::nullopt});
        continue;
      }
      routes.push_back(Listed{value, *method, pattern, scopegate::detail::pattern_shape(parsed)});
    }
    listed.push_back(std::move(routes));
  }
  if (never_operator_only.empty() && membership.empty() && no_write.empty() && public_lists.empty()) return out;

  const detail::RouteIndex index(policy);
  const CompiledPolicy* policies[] = {&policy};
  for_each_request(kit, policies, [&](std::string_view method, const std::string& path,
                                      const std::vector<Observation>& obs) {
    const Observation* op = detail::find_caller(obs, Caller::Kind::kOperator);
    const CompiledRoute* chosen = op ? index.find(op->outcomes[0].route) : nullptr;
    const std::string key = chosen ? std::string(chosen->display) : std::string(method) + " " + path;
    auto counterexample = [](const Observation& o) { return Counterexample{o.probes[0], o.outcomes[0]}; };

    // user_never_operator_only
    std::string family;
    for (const auto& prefix : policy.operator_prefixes())
      if (family.empty() && path.starts_with(prefix)) family = prefix;
    if (!never_operator_only.empty() && ((chosen && chosen->auth == RouteAuth::kOperatorOnly) || !family.empty())) {
      for (const Observation& o : obs) {
        if (!o.caller.is_user() || !o.outcomes[0].allow()) continue;
        std::string where = family.empty() ? "which is operator-only"
                                           : "inside operator-only prefix family '" + family + "'";
        std::string what = chosen ? "route " + std::string(chosen->display) + " (" + route_guard(policy, *chosen) + ")"
                                  : std::string(method) + " " + path;
        for (std::size_t inv : never_operator_only)
          report(inv, key,
                 Violation{{}, 0, "a user token is allowed on " + what + ", " + where,
                           family.empty() ? "make the route operator-only"
                                          : "make the route operator-only or move it out of the prefix family",
                           related(chosen), counterexample(o)});
        break;
      }
    }

    // project_routes_check_membership
    if (!membership.empty() && chosen && chosen->auth != RouteAuth::kOperatorOnly) {
      const detail::ParsedPattern parsed = detail::parse_route_pattern(spec.routes[chosen->spec_index].pattern);
      const int k = parsed.param_index(spec.project_parameter);
      if (k >= 0) {
        const std::string value(detail::PathSegments::split(path).items[static_cast<std::size_t>(k)]);
        for (const Observation& o : obs) {
          const auto& projects = o.caller.projects;
          if (!o.caller.is_user() || !o.outcomes[0].allow() ||
              std::find(projects.begin(), projects.end(), value) != projects.end())
            continue;
          for (std::size_t inv : membership)
            report(inv, key,
                   Violation{{}, 0,
                             "route " + std::string(chosen->display) + " does not check membership of {" + spec.project_parameter +
                                 "}: a user who is not a member of '" + value + "' is allowed",
                             chosen->auth == RouteAuth::kPublic
                                 ? "a public route checks nothing: guard it with a scope"
                                 : "let the route check {" + spec.project_parameter + "}: drop its `project:` key",
                             related(chosen), counterexample(o)});
          break;
        }
      }
    }

    // no_write_under_read_scope
    if (!no_write.empty() && detail::is_write_method(method)) {
      for (const Observation& o : obs) {
        const auto& scopes = o.caller.scopes;
        const bool read_only = !scopes.empty() && std::all_of(scopes.begin(), scopes.end(), [](const std::string& s) {
          return s.ends_with(":read");
        });
        if (!o.caller.is_user() || !read_only || o.outcomes[0].reason != Reason::kGranted) continue;
        const std::string& scope = o.outcomes[0].required_scope;
        for (std::size_t inv : no_write)
          report(inv, key,
                 Violation{{}, 0,
                           "write route " + (chosen ? std::string(chosen->display) : key) + " is guarded by read scope '" + scope + "'",
                           "guard it with a write scope, e.g. '" + scope.substr(0, scope.size() - 5) + ":write'",
                           related(chosen), counterexample(o)});
        break;
      }
    }

    // public_routes: what an anonymous caller is allowed on must be listed.
    if (!public_lists.empty()) {
      const Observation* anon = detail::find_caller(obs, Caller::Kind::kAnonymous);
      const CompiledRoute* open = anon && anon->outcomes[0].allow() ? index.find(anon->outcomes[0].route) : nullptr;
      if (open) {
        const std::string shape = scopegate::detail::pattern_shape(
            detail::parse_route_pattern(spec.routes[open->spec_index].pattern));
        for (std::size_t l = 0; l < public_lists.size(); ++l) {
          bool found = false;
          for (Listed& entry : listed[l]) {
            if (entry.method == open->method && entry.shape == shape) entry.seen = found = true;
          }
          if (!found)
            report(public_lists[l], std::string(open->display),
                   Violation{{}, 0, "route " + std::string(open->display) + " is public but not listed in public_routes",
                             "list \"" + std::string(open->display) + "\" or guard the route", related(open),
                             counterexample(*anon)});
        }
      }
    }
  });

  // public_routes: every listed route must be public.
  for (std::size_t l = 0; l < public_lists.size(); ++l) {
    for (const Listed& entry : listed[l]) {
      if (entry.seen) continue;
      Probe probe = make_probe(kit, 0, std::string(method_name(entry.method)),
                               pattern_path(entry.pattern, spec.project_parameter), Caller{});
      Outcome outcome = run_probe(policy, probe);
      report(public_lists[l], "listed " + entry.text,
             Violation{{}, 0,
                       "listed public route '" + entry.text + "' is not public: an anonymous caller gets " +
                           outcome.summary(),
                       "declare the route with `auth: none` or drop it from the list", std::nullopt,
                       Counterexample{std::move(probe), std::move(outcome)}});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Violation& a, const Violation& b) { return a.invariant < b.invariant; });
  return out;
}

inline PolicyDiff diff_policies(const CompiledPolicy& before, const CompiledPolicy& after, const ProbeKit& kit) {
  PolicyDiff d;
  // Routes, paired by method and shape.
  auto keyed = [](const CompiledPolicy& p) {
    std::map<std::pair<Method, std::string>, const CompiledRoute*> out;
    for (const CompiledRoute& r : p.routes())
      out.emplace(std::pair{r.method, scopegate::detail::pattern_shape(
                                          detail::parse_route_pattern(p.spec().routes[r.spec_index].pattern))},
                  &r);
    return out;
  };
  const auto old_routes = keyed(before);
  const auto new_routes = keyed(after);
  for (const CompiledRoute& r : before.routes()) {
    const std::string was = detail::route_summary(before, r);
    auto it = new_routes.find({r.method, scopegate::detail::pattern_shape(detail::parse_route_pattern(
                                             before.spec().routes[r.spec_index].pattern))});
    if (it == new_routes.end()) {
      d.routes.push_back(RouteChange{RouteChange::Kind::kRemoved, was, {}});
    } else if (std::string now = detail::route_summary(after, *it->second); now != was) {
      d.routes.push_back(RouteChange{RouteChange::Kind::kChanged, was, now});
    }
  }
  for (const CompiledRoute& r : after.routes()) {
    if (!old_routes.contains({r.method, scopegate::detail::pattern_shape(detail::parse_route_pattern(
                                            after.spec().routes[r.spec_index].pattern))}))
      d.routes.push_back(RouteChange{RouteChange::Kind::kAdded, {}, detail::route_summary(after, r)});
  }

  // Prefix families and the settings that decisions depend on.
  for (const auto& p : before.operator_prefixes())
    if (std::find(after.operator_prefixes().begin(), after.operator_prefixes().end(), p) == after.operator_prefixes().end())
      d.prefixes_removed.push_back(p);
  for (const auto& p : after.operator_prefixes())
    if (std::find(before.operator_prefixes().begin(), before.operator_prefixes().end(), p) ==
        before.operator_prefixes().end())
      d.prefixes_added.push_back(p);
  auto setting = [&](std::string name, const std::string& a, const std::string& b) {
    if (a != b) d.settings.push_back(name + " '" + a + "' -> '" + b + "'");
  };
  const PolicySpec& a = before.spec();
  const PolicySpec& b = after.spec();
  setting("user token prefix", a.user.prefix, b.user.prefix);
  setting("user token charset", a.user.charset, b.user.charset);
  setting("user token max_length", std::to_string(a.user.max_length), std::to_string(b.user.max_length));
  setting("operator token class", a.operator_class.present ? "present" : "absent",
          b.operator_class.present ? "present" : "absent");
  setting("operator secret_env", a.operator_class.secret_env, b.operator_class.secret_env);
  setting("operator actor_header", a.operator_class.actor_header, b.operator_class.actor_header);
  setting("operator default_actor", a.operator_class.default_actor, b.operator_class.default_actor);
  setting("realm", a.realm, b.realm);

  // Requests.
  const CompiledPolicy* policies[] = {&before, &after};
  for_each_request(kit, policies, [&](std::string_view, const std::string&, const std::vector<Observation>& obs) {
    d.requests_compared += obs.size();
    for (const Observation& o : obs) {
      const Outcome& was = o.outcomes[0];
      const Outcome& now = o.outcomes[1];
      if (same_response(was, now)) continue;
      auto kind = !was.allow() && now.allow()   ? RequestChange::Kind::kNewlyAllowed
                  : was.allow() && !now.allow() ? RequestChange::Kind::kNewlyDenied
                                                : RequestChange::Kind::kChanged;
      d.requests.push_back(RequestChange{kind, o.probes[1], was, now});
    }
  });
  std::stable_sort(d.requests.begin(), d.requests.end(),
                   [](const RequestChange& x, const RequestChange& y) { return x.kind < y.kind; });
  return d;
}

}  // namespace scopegate::analysis
