#pragma once
/// Coverage: a policy against an OpenAPI description of the same API. Which
/// documented operations have no rule, which rules document no operation,
/// where the two name a parameter differently, and where they disagree on the
/// guard. Standard library only: a front end (policy-check's OpenAPI reader)
/// fills an ApiDescription. Stable codes SG4xx.

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/diagnostic.hpp"
#include "scopegate/lint.hpp"

namespace scopegate {

/// The tag that marks an operation as operator-only in an OpenAPI description.
inline constexpr std::string_view kOperatorOnlyTag = "operator-only";

/// One documented operation, as far as coverage needs it.
struct ApiOperation {
  std::string method;  ///< upper case: GET, HEAD, ...; empty for a path item that cannot be read (`unusable`)
  std::string path;    ///< the path template as written: `/v1/projects/{projectId}`
  SourcePos pos;       ///< the method key; line 0 when the reader knows no positions
  bool has_security = false;  ///< a `security` applies (the operation's own or the document's)
  bool is_public = false;     ///< that security is `[]` or allows `{}`: no token needed
  std::vector<std::string> scopes;  ///< every scope its security requirements name, sorted, once each
  bool operator_only = false;       ///< tagged kOperatorOnlyTag
  std::string unusable;  ///< why coverage cannot compare it (a `$ref` path item, `{a}.{b}`); empty: usable
};

struct ApiDescription {
  std::string file;  ///< used in diagnostics
  std::vector<ApiOperation> operations;
};

inline constexpr std::array<LintRule, 7> kCoverageRules = {{
    {"SG400", Severity::kError, "the OpenAPI description cannot be read",
     "The file must be one YAML or JSON document with `openapi: 3.x` and a `paths` mapping."},
    {"SG401", Severity::kError, "a documented operation with no rule",
     "The policy has no route of this method and shape, so the gate answers 404, 405 or 403 to a call that "
     "the API description promises. Add the route or drop the operation."},
    {"SG402", Severity::kWarning, "a rule with no documented operation",
     "A route that the API description does not list is reachable but undocumented. Document it, mark it "
     "`hidden: true` (and operator-only) if it is a legacy alias, or drop it."},
    {"SG403", Severity::kWarning, "a parameter named differently in the policy and the description",
     "The route and the operation have the same shape but name a parameter differently; a server built from "
     "the description reads the value under another name. Use one name."},
    {"SG404", Severity::kError, "a guard that differs between the policy and the description",
     "The description's security (scope, public, or the operator-only tag) is not what the policy enforces, so "
     "clients are told one thing and the gate does another. Make them agree."},
    {"SG405", Severity::kWarning, "a hidden route that the description documents",
     "Hidden routes are left out of public listings; documenting one publishes it. Drop the operation or drop "
     "`hidden`."},
    {"SG406", Severity::kWarning, "an operation that coverage cannot compare",
     "A path item given by `$ref`, or a template whose parameter shares a segment with text (`{name}.{ext}`), "
     "cannot be matched to a route; it is left out of the comparison."},
}};

constexpr const LintRule* find_coverage_rule(std::string_view code) {
  for (const auto& r : kCoverageRules)
    if (r.code == code) return &r;
  return nullptr;
}

namespace detail {

/// A path template's segments with parameter names, or nullopt when some
/// segment mixes a parameter with text.
struct TemplateSegment {
  std::string text;  ///< literal text, or the parameter's name
  bool is_param = false;
};

inline std::optional<std::vector<TemplateSegment>> split_template(std::string_view path) {
  std::vector<TemplateSegment> out;
  if (path.empty() || path[0] != '/') return std::nullopt;
  if (path == "/") return out;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const bool braces = seg.find_first_of("{}") != std::string_view::npos;
    if (seg.empty()) return std::nullopt;
    if (braces) {
      if (seg.size() < 3 || seg.front() != '{' || seg.back() != '}' ||
          seg.substr(1, seg.size() - 2).find_first_of("{}") != std::string_view::npos)
        return std::nullopt;
      out.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    } else {
      out.push_back({std::string(seg), false});
    }
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

/// `GET /v1/projects/{}`: method and shape, parameter names erased.
inline std::string shape_key(std::string_view method, const std::vector<TemplateSegment>& segs) {
  std::string key(method);
  key += ' ';
  for (const auto& s : segs) key += s.is_param ? "/{}" : "/" + s.text;
  if (segs.empty()) key += '/';
  return key;
}

inline std::string at_words(const std::string& file, SourcePos pos) {
  if (pos.line == 0) return file;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

}  // namespace detail

/// Compares a compiled policy with an API description. Operations are paired
/// with routes by method and shape (parameter names aside); a HEAD operation
/// pairs with the GET route, since HEAD is decided as GET. Findings about an
/// operation point into the description, findings about a route into the
/// policy; each names the other side's position in its message. Sorted by
/// file and position. Linear in routes plus operations (times log).
inline std::vector<Diagnostic> coverage(const CompiledPolicy& policy, const ApiDescription& api) {
  using detail::TemplateSegment;
  const PolicySpec& spec = policy.spec();
  std::vector<Diagnostic> out;
  auto add = [&](std::string_view code, const std::string& file, SourcePos pos, std::string message,
                 std::string hint) {
    out.push_back(Diagnostic{std::string(code), find_coverage_rule(code)->severity, file, pos, std::move(message),
                             std::move(hint), std::nullopt});
  };

  struct RouteEntry {
    std::size_t spec_index;
    std::vector<TemplateSegment> segments;
    bool documented = false;
  };
  std::map<std::string, RouteEntry> routes;
  for (std::size_t i = 0; i < spec.routes.size(); ++i) {
    const RouteSpec& r = spec.routes[i];
    // INVARIANT: the policy compiled, so every pattern is a valid template.
    auto segs = detail::split_template(r.pattern);
    std::string key = detail::shape_key(method_name(r.method), *segs);
    routes.emplace(std::move(key), RouteEntry{i, std::move(*segs)});
  }

  for (const ApiOperation& op : api.operations) {
    const std::string op_words = op.method + " " + op.path;
    if (!op.unusable.empty()) {
      add("SG406", api.file, op.pos,
          (op.method.empty() ? "path item " + op.path : "operation " + op_words) + " cannot be compared: " +
              op.unusable,
          "write the path item inline with one parameter per segment");
      continue;
    }
    auto segs = detail::split_template(op.path);
    if (!segs) {
      add("SG406", api.file, op.pos, "operation " + op_words + " cannot be compared: its template mixes a "
          "parameter with text in one segment", "give each parameter a segment of its own");
      continue;
    }
    const std::string_view lookup = op.method == "HEAD" ? std::string_view("GET") : std::string_view(op.method);
    auto it = routes.find(detail::shape_key(lookup, *segs));
    if (it == routes.end()) {
      add("SG401", api.file, op.pos, "operation " + op_words + " has no route in " + spec.file,
          "add a route for it to the policy, or drop the operation");
      continue;
    }
    RouteEntry& entry = it->second;
    entry.documented = true;
    const RouteSpec& r = spec.routes[entry.spec_index];
    const std::string route_at = detail::at_words(spec.file, r.pos);
    const std::string route_words = std::string(method_name(r.method)) + " " + r.pattern;

    if (r.hidden)
      add("SG405", spec.file, r.pos,
          "hidden route " + route_words + " is documented as " + op_words + " (" + detail::at_words(api.file, op.pos) +
              ")",
          "drop the operation from the description, or drop `hidden`");

    std::string renamed;
    for (std::size_t k = 0; k < segs->size(); ++k) {
      const auto& a = (*segs)[k];
      const auto& b = entry.segments[k];
      if (!a.is_param || a.text == b.text) continue;
      if (!renamed.empty()) renamed += ", ";
      renamed += "segment " + std::to_string(k + 1) + " is {" + a.text + "} here and {" + b.text + "} in the policy";
    }
    if (!renamed.empty())
      add("SG403", api.file, op.pos, "operation " + op_words + " names parameters differently from route " +
          route_words + " (" + route_at + "): " + renamed, "use the policy's names in the description, or the reverse");

    std::string differs;
    switch (r.auth) {
      case RouteAuth::kPublic:
        if (!op.is_public) differs = "the policy makes it public but the description requires a token";
        break;
      case RouteAuth::kOperatorOnly:
        if (op.is_public) differs = "the policy makes it operator-only but the description makes it public";
        else if (!op.operator_only)
          differs = "the policy makes it operator-only but the description does not tag it '" +
                    std::string(kOperatorOnlyTag) + "'";
        else if (!op.scopes.empty()) differs = "the policy makes it operator-only but the description names scopes";
        break;
      case RouteAuth::kScope:
        if (op.is_public) differs = "the policy requires scope '" + r.scope + "' but the description makes it public";
        else if (op.operator_only)
          differs = "the policy requires scope '" + r.scope + "' but the description tags it '" +
                    std::string(kOperatorOnlyTag) + "'";
        else if (!op.has_security)
          differs = "the policy requires scope '" + r.scope + "' but the description states no security";
        else if (op.scopes != std::vector<std::string>{r.scope}) {
          std::string named;
          for (const auto& s : op.scopes) named += (named.empty() ? "'" : ", '") + s + "'";
          differs = "the policy requires scope '" + r.scope + "' but the description names " +
                    (named.empty() ? std::string("no scope") : named);
        }
        break;
    }
    if (!differs.empty())
      add("SG404", api.file, op.pos, "operation " + op_words + ": " + differs + " (route " + route_at + ")",
          "make the operation's security and tags state what the policy enforces");
  }

  for (const auto& [key, entry] : routes) {
    const RouteSpec& r = spec.routes[entry.spec_index];
    if (entry.documented || r.hidden) continue;
    add("SG402", spec.file, r.pos,
        "route " + std::string(method_name(r.method)) + " " + r.pattern + " has no operation in " + api.file,
        "document it, or mark a legacy alias `hidden: true`");
  }
  sort_diagnostics(out);
  return out;
}

}  // namespace scopegate
