#pragma once
/// Lint: findings about a policy that compiles but may not say what its author
/// meant. Standard library only. Every rule has a stable code SG3xx; a code is
/// never reused for another meaning.

#include <array>
#include <string_view>
#include <vector>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/diagnostic.hpp"

namespace scopegate {

/// One lint rule: what `policy-check` prints as a rule's documentation and
/// SARIF lists under `rules`.
struct LintRule {
  std::string_view code;
  Severity severity;          ///< the rule's level; SG308 rises to a warning when the two guards differ
  std::string_view summary;   ///< one line, lowercase, no final period
  std::string_view help;      ///< why it matters and how to fix it
};

inline constexpr std::array<LintRule, 10> kLintRules = {{
    {"SG301", Severity::kWarning, "a write method guarded by a read scope",
     "A POST, PUT, PATCH or DELETE route guarded by a ':read' scope lets read-only tokens change data. Guard it "
     "with a write scope."},
    {"SG302", Severity::kWarning, "a read method guarded by a write scope",
     "A GET route guarded by a ':write' scope forces read-only clients to hold a write scope. Guard it with the "
     "matching read scope."},
    {"SG303", Severity::kWarning, "a project route that does not check membership",
     "A route under the project parameter (projectId) whose membership check is turned off (`project: ~`), "
     "points at another parameter, or whose parameter is the project parameter spelled differently lets any "
     "token with the scope reach every project. Check membership of the project parameter."},
    {"SG304", Severity::kWarning, "a scope that no route uses",
     "A declared scope that guards no route is dead weight or a typo of the scope a route meant. Guard a route "
     "with it or drop it."},
    {"SG305", Severity::kError, "a hidden route that is not operator-only",
     "Hidden routes are left out of public listings; one that user tokens (or anyone) can call is an "
     "undocumented grant that reviews and API listings miss. Make it operator-only or drop `hidden`."},
    {"SG306", Severity::kError, "an operator-only prefix family that covers every path of a non-operator route",
     "A scoped route inside an operator-only prefix family is 403 for every user token; a public route inside "
     "one stays public, because step 2 decides before the family is looked at. Move the route, make it "
     "operator-only, or narrow the prefix."},
    {"SG307", Severity::kWarning, "an operator-only prefix family that covers some paths of a non-operator route",
     "Some values of the route's parameters put its path inside an operator-only prefix family, where user "
     "tokens get 403 for those values only. Rename the route's literals or narrow the prefix."},
    {"SG308", Severity::kNote, "one pattern shadows another for some paths",
     "Two routes of one method match some paths in common; at the first position where one has a literal and "
     "the other a parameter, the literal wins (contract section 4). A warning when the two routes are guarded "
     "differently, since the guard then depends on the parameter's value."},
    {"SG309", Severity::kWarning, "one position named differently in sibling routes",
     "Routes that share a parent name the same parameter position differently ({projectId} and {project_id}); "
     "a server then reads one of them under the wrong name. Use one name per position."},
    {"SG310", Severity::kWarning, "a public route that is not a POST under an /auth/ segment",
     "Public routes are decided before any header is read; the only ones the contract needs are sign-in flows "
     "(POST under /auth/). Guard any other route with a scope or make it operator-only."},
}};

/// The rule with code `code`, or nullptr.
constexpr const LintRule* find_lint_rule(std::string_view code) {
  for (const auto& r : kLintRules)
    if (r.code == code) return &r;
  return nullptr;
}

/// Every lint finding for a compiled policy, sorted by position, with the
/// policy file's name (`spec().file`) and positions from its spec. Pure and
/// reentrant. Time grows with the number of routes times the number of prefix
/// families, plus the number of overlapping route pairs (SG308), which is
/// found by walking a shape trie rather than by comparing every pair.
inline std::vector<Diagnostic> lint(const CompiledPolicy& policy);

}  // namespace scopegate

#include "scopegate/detail/lint_impl.hpp"
