#pragma once
// lint(): the rules of kLintRules. Included by lint.hpp; not a public header.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/detail/ascii.hpp"
#include "scopegate/detail/pattern.hpp"

namespace scopegate::detail {

constexpr bool is_write_method(Method m) {
  return m == Method::kPost || m == Method::kPut || m == Method::kPatch || m == Method::kDelete;
}

/// `{projectId}`, `{project_id}` and `{project-id}` name one thing for a
/// reader: compared without case, `_` and `-`.
inline std::string loose_name(std::string_view name) {
  std::string out;
  for (char c : name)
    if (c != '_' && c != '-') out += ascii_lower(c);
  return out;
}

/// How a route is guarded, in words: `public`, `operator-only`, `scope 'app:read'`.
inline std::string guard_words(const RouteSpec& r) {
  switch (r.auth) {
    case RouteAuth::kPublic: return "public";
    case RouteAuth::kOperatorOnly: return "operator-only";
    case RouteAuth::kScope: break;
  }
  std::string out = "scope '" + r.scope + "'";
  if (!r.project_param.empty()) out += " and membership of {" + r.project_param + "}";
  return out;
}

inline std::string route_words(const RouteSpec& r) { return std::string(method_name(r.method)) + " " + r.pattern; }

/// The pattern text of segments [from, end), each preceded by '/'.
inline std::string pattern_tail(const ParsedPattern& p, std::size_t from) {
  std::string out;
  for (std::size_t k = from; k < p.segments.size(); ++k) {
    out += '/';
    if (p.segments[k].is_param) out += "{" + std::string(p.segments[k].text) + "}";
    else out += p.segments[k].text;
  }
  return out;
}

enum class FamilyCover : std::uint8_t { kNone, kSome, kAll };

struct FamilyOverlap {
  FamilyCover cover = FamilyCover::kNone;
  std::string example;  ///< a path of the route inside the family; parameters left free stay `{name}`
};

/// Which paths of a pattern start with `prefix` (contract section 4: a family
/// covers every canonical path whose text starts with its prefix). All of
/// them when the prefix ends before the pattern's first parameter; some when
/// a parameter must take a value that the prefix dictates.
inline FamilyOverlap family_overlap(const ParsedPattern& p, std::string_view prefix) {
  FamilyOverlap out;
  std::size_t i = 0;
  bool constrained = false;  // some parameter had to take the prefix's text
  auto covered = [&](std::size_t rest_from) {
    out.cover = constrained ? FamilyCover::kSome : FamilyCover::kAll;
    out.example += pattern_tail(p, rest_from);
    return out;
  };
  for (std::size_t k = 0; k < p.segments.size(); ++k) {
    if (i >= prefix.size()) return covered(k);
    if (prefix[i] != '/') return {};
    ++i;
    out.example += '/';
    const PatternSegment& seg = p.segments[k];
    if (!seg.is_param) {
      const std::size_t n = std::min(seg.text.size(), prefix.size() - i);
      if (prefix.substr(i, n) != seg.text.substr(0, n)) return {};
      i += n;
      out.example += seg.text;
      if (n < seg.text.size()) return covered(k + 1);
      continue;
    }
    const std::size_t slash = prefix.find('/', i);
    const std::string_view take = prefix.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (take.empty() && slash == std::string_view::npos) {
      // The prefix ends right before this parameter: every value is inside.
      out.example += "{" + std::string(seg.text) + "}";
      return covered(k + 1);
    }
    if (take.empty()) return {};  // a parameter never takes an empty segment
    constrained = true;
    out.example += take;
    i += take.size();
  }
  if (i >= prefix.size()) return covered(p.segments.size());
  return {};
}

/// Patterns as a trie of shapes: one node per sequence of literal/parameter
/// choices, so routes whose patterns differ only in parameter names share a
/// node. Two nodes of equal depth whose edges agree wherever both are literal
/// are reached by some common path; that is how shadowing is found without
/// comparing every pair of routes.
class ShapeTrie {
 public:
  struct ParamName {
    std::string_view name;
    std::size_t first_route;  ///< spec index of the first route that uses it here
    std::size_t segment;      ///< 0-based segment index
    std::size_t count;        ///< routes that use it here
  };
  struct Node {
    std::map<std::string_view, std::uint32_t> literals;
    std::uint32_t param = kNoIndex;
    std::vector<std::size_t> routes;  ///< spec indices of routes ending here
    std::vector<ParamName> names;     ///< names given to the parameter edge into this node
  };

  ShapeTrie() { nodes_.emplace_back(); }

  void add(std::size_t route, const ParsedPattern& p) {
    std::uint32_t node = 0;
    for (std::size_t k = 0; k < p.segments.size(); ++k) {
      const PatternSegment& seg = p.segments[k];
      if (!seg.is_param) {
        auto [it, inserted] = nodes_[node].literals.try_emplace(seg.text, static_cast<std::uint32_t>(nodes_.size()));
        if (inserted) nodes_.emplace_back();
        node = it->second;
        continue;
      }
      if (nodes_[node].param == kNoIndex) {
        nodes_[node].param = static_cast<std::uint32_t>(nodes_.size());
        nodes_.emplace_back();
      }
      node = nodes_[node].param;
      auto& names = nodes_[node].names;
      auto it = std::find_if(names.begin(), names.end(), [&](const ParamName& n) { return n.name == seg.text; });
      if (it == names.end()) names.push_back({seg.text, route, k, 1});
      else ++it->count;
    }
    nodes_[node].routes.push_back(route);
  }

  const std::vector<Node>& nodes() const { return nodes_; }

  /// Calls `visit(a, b)` once for every unordered pair of distinct nodes that
  /// some path reaches both of.
  template <class Visit>
  void for_each_overlap(Visit&& visit) const {
    self(0, visit);
  }

 private:
  template <class Visit>
  void self(std::uint32_t a, Visit& visit) const {
    const Node& n = nodes_[a];
    for (const auto& [text, child] : n.literals) {
      self(child, visit);
      if (n.param != kNoIndex) pair(child, n.param, visit);
    }
    if (n.param != kNoIndex) self(n.param, visit);
  }

  template <class Visit>
  void pair(std::uint32_t a, std::uint32_t b, Visit& visit) const {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    if (!x.routes.empty() && !y.routes.empty()) visit(a, b);
    for (const auto& [text, child] : x.literals) {
      if (auto it = y.literals.find(text); it != y.literals.end()) pair(child, it->second, visit);
      if (y.param != kNoIndex) pair(child, y.param, visit);
    }
    if (x.param != kNoIndex) {
      for (const auto& [text, child] : y.literals) pair(x.param, child, visit);
      if (y.param != kNoIndex) pair(x.param, y.param, visit);
    }
  }

  std::vector<Node> nodes_;
};

class Linter {
 public:
  explicit Linter(const CompiledPolicy& policy) : policy_(policy), spec_(policy.spec()) {
    parsed_.reserve(spec_.routes.size());
    for (std::size_t i = 0; i < spec_.routes.size(); ++i) {
      // INVARIANT: the policy compiled, so every pattern parses.
      parsed_.push_back(parse_pattern(spec_.routes[i].pattern, kMaxPatternBytes, kMaxPatternSegments));
      trie_.add(i, parsed_.back());
    }
  }

  std::vector<Diagnostic> run() {
    for (std::size_t i = 0; i < spec_.routes.size(); ++i) {
      method_and_scope(i);
      membership(i);
      hidden(i);
      families(i);
      public_route(i);
    }
    unused_scopes();
    shadowing();
    sibling_names();
    sort_diagnostics(out_);
    return std::move(out_);
  }

 private:
  void add(std::string_view code, SourcePos pos, std::string message, std::string hint,
           std::optional<SourcePos> related = std::nullopt, std::optional<Severity> severity = std::nullopt) {
    const LintRule* rule = find_lint_rule(code);
    out_.push_back(Diagnostic{std::string(code), severity.value_or(rule->severity), spec_.file, pos,
                              std::move(message), std::move(hint), related});
  }

  bool scope_declared(std::string_view name) const { return policy_.scope_index(name) >= 0; }

  /// `app:read` for `app:write` and the reverse, when the policy declares it.
  std::string counterpart(const std::string& scope, std::string_view from, std::string_view to) const {
    std::string other = scope.substr(0, scope.size() - from.size()) + std::string(to);
    return scope_declared(other) ? other : std::string();
  }

  // SG301, SG302.
  void method_and_scope(std::size_t i) {
    const RouteSpec& r = spec_.routes[i];
    if (r.auth != RouteAuth::kScope) return;
    const SourcePos at = r.scope_pos.line ? r.scope_pos : r.pos;
    if (is_write_method(r.method) && r.scope.ends_with(":read")) {
      std::string better = counterpart(r.scope, ":read", ":write");
      add("SG301", at,
          "route " + route_words(r) + " is a write method guarded by read scope '" + r.scope + "'",
          better.empty() ? "guard it with a write scope" : "guard it with '" + better + "'");
    } else if (r.method == Method::kGet && r.scope.ends_with(":write")) {
      std::string better = counterpart(r.scope, ":write", ":read");
      add("SG302", at,
          "route " + route_words(r) + " is a read method guarded by write scope '" + r.scope + "'",
          better.empty() ? "guard it with a read scope" : "guard it with '" + better + "'");
    }
  }

  // SG303.
  void membership(std::size_t i) {
    const RouteSpec& r = spec_.routes[i];
    if (r.auth != RouteAuth::kScope) return;
    const std::string& project = spec_.project_parameter;
    const ParsedPattern& p = parsed_[i];
    const SourcePos at = r.project_pos.line ? r.project_pos : r.pattern_pos;
    if (p.param_index(project) >= 0) {
      if (r.project_param == project) return;
      if (r.project_param.empty())
        add("SG303", at, "project route " + route_words(r) + " does not check membership of {" + project + "}",
            "drop `project: ~` so that membership of {" + project + "} is checked");
      else
        add("SG303", at,
            "project route " + route_words(r) + " checks membership of {" + r.project_param + "}, not {" + project +
                "}",
            "drop `project:` so that membership of {" + project + "} is checked");
      return;
    }
    if (!r.project_param.empty()) return;
    const std::string wanted = loose_name(project);
    for (const auto& seg : p.segments) {
      if (!seg.is_param || loose_name(seg.text) != wanted) continue;
      add("SG303", r.pattern_pos,
          "parameter {" + std::string(seg.text) + "} of route " + route_words(r) +
              " is spelled like the project parameter {" + project + "} but no membership is checked",
          "rename it {" + project + "}");
      return;
    }
  }

  // SG305.
  void hidden(std::size_t i) {
    const RouteSpec& r = spec_.routes[i];
    if (!r.hidden || r.auth == RouteAuth::kOperatorOnly) return;
    add("SG305", r.pos,
        "hidden route " + route_words(r) + " is " +
            (r.auth == RouteAuth::kPublic ? "public" : "open to user tokens with " + guard_words(r)) +
            ", not operator-only",
        "set `operator_only: true` or drop `hidden`");
  }

  // SG306, SG307.
  void families(std::size_t i) {
    const RouteSpec& r = spec_.routes[i];
    if (r.auth == RouteAuth::kOperatorOnly) return;
    for (const auto& f : spec_.operator_prefixes) {
      FamilyOverlap o = family_overlap(parsed_[i], f.prefix);
      if (o.cover == FamilyCover::kNone) continue;
      const bool is_public = r.auth == RouteAuth::kPublic;
      if (o.cover == FamilyCover::kAll) {
        add("SG306", r.pos,
            std::string(is_public ? "public" : "scoped") + " route " + route_words(r) +
                " lies inside operator-only prefix family '" + f.prefix + "'" +
                (is_public ? "; it stays public, since step 2 decides before the family"
                           : "; every user token gets 403 on it"),
            "make the route operator-only, move it out of the family, or narrow the prefix", f.pos);
      } else {
        add("SG307", r.pos,
            "paths of route " + route_words(r) + " such as '" + o.example +
                "' lie inside operator-only prefix family '" + f.prefix + "'" +
                (is_public ? "; they stay public, since step 2 decides before the family"
                           : "; user tokens get 403 on them"),
            "rename the route's literals or narrow the prefix", f.pos);
      }
    }
  }

  // SG310.
  void public_route(std::size_t i) {
    const RouteSpec& r = spec_.routes[i];
    if (r.auth != RouteAuth::kPublic) return;
    const auto& segs = parsed_[i].segments;
    bool under_auth = false;
    for (std::size_t k = 0; k + 1 < segs.size(); ++k)
      under_auth = under_auth || (!segs[k].is_param && segs[k].text == "auth");
    const bool post = r.method == Method::kPost;
    if (post && under_auth) return;
    std::string what = !post && !under_auth ? "neither a POST nor under an /auth/ segment"
                       : !post             ? "not a POST"
                                           : "not under an /auth/ segment";
    add("SG310", r.pos, "public route " + route_words(r) + " is " + what,
        "keep public routes to sign-in flows (POST under /auth/); guard this one with a scope or make it "
        "operator-only");
  }

  // SG304.
  void unused_scopes() {
    std::set<std::string_view> used;
    for (const auto& r : spec_.routes)
      if (r.auth == RouteAuth::kScope) used.insert(r.scope);
    for (const auto& s : spec_.scopes)
      if (!used.contains(s.name))
        add("SG304", s.pos, "scope '" + s.name + "' guards no route", "guard a route with it or drop it");
  }

  /// The route that wins the paths two overlapping patterns share: at the
  /// first position where one has a literal and the other a parameter, the
  /// literal wins (contract section 4).
  struct Shadow {
    std::size_t winner;
    std::size_t loser;
    std::size_t segment;
    std::string example;
  };

  Shadow shadow_of(std::size_t a, std::size_t b) const {
    const auto& sa = parsed_[a].segments;
    const auto& sb = parsed_[b].segments;
    std::optional<Shadow> out;
    for (std::size_t k = 0; k < sa.size() && !out; ++k)
      if (sa[k].is_param != sb[k].is_param) out = Shadow{sa[k].is_param ? b : a, sa[k].is_param ? a : b, k, {}};
    // INVARIANT: the two shapes differ (equal shapes are SG103), so `out` is set.
    const auto& win = parsed_[out->winner].segments;
    const auto& lose = parsed_[out->loser].segments;
    for (std::size_t k = 0; k < win.size(); ++k) {
      out->example += '/';
      if (!win[k].is_param) out->example += win[k].text;
      else if (!lose[k].is_param) out->example += lose[k].text;
      else out->example += "{" + std::string(lose[k].text) + "}";
    }
    return *out;
  }

  static bool same_guard(const RouteSpec& a, const RouteSpec& b) {
    return a.auth == b.auth && a.scope == b.scope && a.project_param.empty() == b.project_param.empty();
  }

  // SG308.
  void shadowing() {
    const auto& nodes = trie_.nodes();
    trie_.for_each_overlap([&](std::uint32_t x, std::uint32_t y) {
      for (std::size_t a : nodes[x].routes) {
        for (std::size_t b : nodes[y].routes) {
          if (spec_.routes[a].method != spec_.routes[b].method) continue;
          const Shadow s = shadow_of(a, b);
          const RouteSpec& winner = spec_.routes[s.winner];
          const RouteSpec& loser = spec_.routes[s.loser];
          const auto& lit = parsed_[s.winner].segments[s.segment];
          const auto& par = parsed_[s.loser].segments[s.segment];
          std::string message = "route " + route_words(loser) + " is shadowed by " + route_words(winner) +
                                " on paths like '" + s.example + "': at segment " + std::to_string(s.segment + 1) +
                                " literal '" + std::string(lit.text) + "' beats parameter {" +
                                std::string(par.text) + "}";
          const bool differ = !same_guard(winner, loser);
          if (differ) message += "; the two are guarded differently (" + guard_words(winner) + " against " +
                                 guard_words(loser) + ")";
          add("SG308", loser.pos, std::move(message),
              differ ? "give both routes the same guard, or rename the literal so that no path matches both"
                     : "nothing to do if this is meant; otherwise rename the literal",
              winner.pos, differ ? std::optional(Severity::kWarning) : std::nullopt);
        }
      }
    });
  }

  // SG309.
  void sibling_names() {
    for (const auto& node : trie_.nodes()) {
      if (node.names.size() < 2) continue;
      const auto& first = node.names.front();
      const RouteSpec& first_route = spec_.routes[first.first_route];
      for (std::size_t n = 1; n < node.names.size(); ++n) {
        const auto& other = node.names[n];
        const RouteSpec& r = spec_.routes[other.first_route];
        std::string message = "parameter {" + std::string(other.name) + "} at segment " +
                              std::to_string(other.segment + 1) + " of " + route_words(r) + " is {" +
                              std::string(first.name) + "} in sibling route " + route_words(first_route);
        if (other.count > 1) message += " (" + std::to_string(other.count) + " routes use {" + std::string(other.name) + "})";
        add("SG309", r.pattern_pos, std::move(message),
            "name one position one way: rename {" + std::string(other.name) + "} to {" + std::string(first.name) +
                "}",
            first_route.pattern_pos);
      }
    }
  }

  const CompiledPolicy& policy_;
  const PolicySpec& spec_;
  std::vector<ParsedPattern> parsed_;
  ShapeTrie trie_;
  std::vector<Diagnostic> out_;
};

}  // namespace scopegate::detail

namespace scopegate {

inline std::vector<Diagnostic> lint(const CompiledPolicy& policy) { return detail::Linter(policy).run(); }

}  // namespace scopegate
