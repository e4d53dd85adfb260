#include "findings.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "commands.hpp"
#include "scopegate/analysis.hpp"
#include "scopegate/coverage.hpp"
#include "scopegate/lint.hpp"

#ifndef SCOPEGATE_VERSION
#error "the build passes SCOPEGATE_VERSION"
#endif

namespace scopegate::cli {
namespace {

using Json = nlohmann::ordered_json;

/// The loader's and compile()'s codes (policies/README.md, "Error codes").
constexpr RuleDoc kLoaderDocs[] = {
    {"SG000", Severity::kError, "the file cannot be read", "Check the path and its permissions."},
    {"SG001", Severity::kError, "not one YAML document",
     "A syntax error, a second document, an alias, a tag or a repeated key. Fix the YAML at the position given."},
    {"SG002", Severity::kError, "unknown key or invariant kind",
     "The hint lists the keys allowed here (policies/README.md)."},
    {"SG003", Severity::kError, "wrong type or missing required key",
     "A value of the wrong type, a missing required key, an empty name, `method` beside `methods`, `auth` other "
     "than `none`, or invariant values where none belong."},
    {"SG004", Severity::kError, "file larger than its bound", "Policies are at most 32 MiB, tokens files 4 MiB."},
    {"SG005", Severity::kError, "unsupported format version", "Only `scopegate: 1` exists."},
    {"SG101", Severity::kError, "a route names an undeclared scope", "Declare it under `scopes:` or fix the name."},
    {"SG102", Severity::kError, "the same method and pattern twice", "Drop one of the two routes."},
    {"SG103", Severity::kError, "two routes of one method match the same paths",
     "Patterns that differ only in parameter names (`/a/{id}`, `/a/{name}`) match the same paths. Drop one."},
    {"SG104", Severity::kError, "malformed pattern",
     "Write segments as literals or {name} parameters separated by single '/'."},
    {"SG105", Severity::kError, "the membership parameter is not in the pattern",
     "Add the parameter to the pattern or drop `project:`."},
    {"SG106", Severity::kError, "a route neither public, nor operator-only, nor scoped",
     "Add `scope:`, `auth: none` or `operator_only: true`."},
    {"SG107", Severity::kError, "unknown method",
     "Methods are case-sensitive and HEAD cannot be declared (it is decided as GET)."},
    {"SG108", Severity::kError, "a secret written into the policy",
     "A policy holds no secret: name the environment variable with `secret_env`."},
    {"SG109", Severity::kError, "contradictory route auth",
     "A route is exactly one of public, operator-only or scoped."},
    {"SG110", Severity::kError, "bad token class or realm", "See `token_classes` in policies/README.md."},
    {"SG111", Severity::kError, "bad or repeated prefix family", "A prefix starts with '/' and is declared once."},
    {"SG112", Severity::kError, "a bound exceeded", "See the bounds in policies/README.md."},
    {"SG113", Severity::kError, "a scope declared twice", "Drop one declaration."},
    {"SG114", Severity::kError, "a scope name with characters outside letters, digits and ':_-.'",
     "Rename the scope."},
    {"SG201", Severity::kError, "a user token that matches no token class",
     "Tokens file: every user token has the policy's user class shape."},
    {"SG202", Severity::kError, "a token listed twice", "Tokens file: list each token once."},
    {"SG203", Severity::kError, "a user without token or user_id", "Tokens file: give every user both."},
    {"SG204", Severity::kError, "unknown key in a tokens file", "Keys: operator_token, users, token, user_id, "
                                                                 "scopes, projects."},
    {"SG205", Severity::kError, "wrong type in a tokens file, or an empty user_id", "See the tokens file format."},
    {"SG206", Severity::kError, "an operator_token that is not token68 or has a user token's shape",
     "Choose another operator secret."},
};

std::string_view level(Severity s) { return severity_name(s); }

/// A relative path as a URI reference; an absolute one as a `file:` URI.
std::string to_uri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = path.starts_with('/') ? "file://" : "";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// FNV-1a, 64 bits: a stable fingerprint of a finding that survives line moves.
std::string fingerprint(const Finding& f) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string* part : {&f.code, &f.file, &f.message}) {
    for (char c : *part) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;
    h *= 0x100000001b3ull;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 15];
  return out;
}

Json region(SourcePos pos) {
  // A finding about the whole file points at its start: code scanning wants a line.
  const std::uint32_t line = pos.line ? pos.line : 1;
  const std::uint32_t column = pos.line ? pos.column : 1;
  return Json{{"startLine", line}, {"startColumn", column}, {"endLine", line}, {"endColumn", column + 1}};
}

Json physical_location(const std::string& file, SourcePos pos) {
  return Json{{"artifactLocation", {{"uri", to_uri(file)}}}, {"region", region(pos)}};
}

Json example_json(const FindingExample& e) {
  return Json{{"request", e.request}, {"tokens", e.tokens}, {"decision", e.decision}};
}

}  // namespace

Finding to_finding(const Diagnostic& d) {
  return Finding{d.code, d.severity, d.file, d.pos, d.message, d.hint, d.related, std::nullopt};
}

std::vector<Finding> to_findings(const std::vector<Diagnostic>& diags) {
  std::vector<Finding> out;
  out.reserve(diags.size());
  for (const auto& d : diags) out.push_back(to_finding(d));
  return out;
}

FindingCounts count_findings(const std::vector<Finding>& findings) {
  FindingCounts c;
  for (const auto& f : findings) {
    switch (f.severity) {
      case Severity::kError: ++c.errors; break;
      case Severity::kWarning: ++c.warnings; break;
      case Severity::kNote: ++c.notes; break;
    }
  }
  return c;
}

const std::map<std::string, Format>& format_names() {
  static const std::map<std::string, Format> names = {
      {"text", Format::kText}, {"json", Format::kJson}, {"sarif", Format::kSarif}};
  return names;
}

void add_format_option(CLI::App* cmd, Format& format) {
  cmd->add_option("--format", format, "Output format: text (default), json or sarif (SARIF 2.1.0)")
      ->transform(named_choice(format_names()))
      ->option_text("text|json|sarif");
}

int findings_exit_status(const std::vector<Finding>& findings, bool strict) {
  const FindingCounts c = count_findings(findings);
  return c.errors != 0 || (strict && c.warnings != 0) ? kExitFindings : kExitClean;
}

bool use_colour(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return isatty(fileno(stream)) != 0;
}

std::string format_finding_text(const Finding& f, const Style& style) {
  std::string out(style.bold());
  out += f.file;
  if (f.pos.line != 0) out += ":" + std::to_string(f.pos.line) + ":" + std::to_string(f.pos.column);
  out += ":";
  out += style.reset();
  out += " ";
  out += style.severity(f.severity);
  out += severity_name(f.severity);
  out += "[" + f.code + "]";
  out += style.reset();
  out += ": " + f.message;
  if (f.related && f.related->line != 0)
    out += " (" + std::to_string(f.related->line) + ":" + std::to_string(f.related->column) + ")";
  if (!f.hint.empty()) out += "; " + f.hint;
  out += '\n';
  if (f.counterexample) {
    out += "    request:  " + f.counterexample->request + "\n";
    out += "    tokens:   " + f.counterexample->tokens + "\n";
    out += "    decision: " + f.counterexample->decision + "\n";
  }
  return out;
}

nlohmann::ordered_json finding_json(const Finding& f) {
  Json j;
  j["code"] = f.code;
  j["severity"] = severity_name(f.severity);
  j["file"] = f.file;
  j["line"] = f.pos.line ? Json(f.pos.line) : Json(nullptr);
  j["column"] = f.pos.line ? Json(f.pos.column) : Json(nullptr);
  j["message"] = f.message;
  j["hint"] = f.hint;
  j["related"] = f.related && f.related->line ? Json{{"line", f.related->line}, {"column", f.related->column}}
                                              : Json(nullptr);
  j["counterexample"] = f.counterexample ? example_json(*f.counterexample) : Json(nullptr);
  return j;
}

const std::vector<RuleDoc>& rule_docs() {
  static const std::vector<RuleDoc> docs = [] {
    std::vector<RuleDoc> all(std::begin(kLoaderDocs), std::end(kLoaderDocs));
    for (const auto& r : kLintRules) all.push_back({r.code, r.severity, r.summary, r.help});
    for (const auto& r : kCoverageRules) all.push_back({r.code, r.severity, r.summary, r.help});
    for (const auto& r : analysis::kInvariantRules) all.push_back({r.code, r.severity, r.summary, r.help});
    return all;
  }();
  return docs;
}

nlohmann::ordered_json sarif_log(const std::vector<Finding>& findings) {
  Json rules = Json::array();
  std::map<std::string, std::size_t, std::less<>> index;
  auto add_rule = [&](std::string_view code, Severity severity, std::string_view summary, std::string_view help) {
    index.emplace(std::string(code), rules.size());
    rules.push_back(Json{{"id", code},
                         {"shortDescription", {{"text", summary}}},
                         {"fullDescription", {{"text", help}}},
                         {"help", {{"text", help}}},
                         {"defaultConfiguration", {{"level", level(severity)}}},
                         {"properties", {{"tags", {code < "SG300" ? "correctness" : "security"}}}}});
  };
  for (const auto& doc : rule_docs()) add_rule(doc.code, doc.severity, doc.summary, doc.help);
  for (const auto& f : findings)
    if (!index.contains(f.code)) add_rule(f.code, f.severity, f.code, "No documentation for this code yet.");

  Json results = Json::array();
  for (const auto& f : findings) {
    Json r;
    r["ruleId"] = f.code;
    r["ruleIndex"] = index.find(f.code)->second;
    r["level"] = level(f.severity);
    r["message"] = {{"text", f.hint.empty() ? f.message : f.message + "; " + f.hint}};
    r["locations"] = Json::array({Json{{"physicalLocation", physical_location(f.file, f.pos)}}});
    if (f.related && f.related->line != 0)
      r["relatedLocations"] = Json::array({Json{{"id", 1},
                                                {"physicalLocation", physical_location(f.file, *f.related)},
                                                {"message", {{"text", "related"}}}}});
    r["partialFingerprints"] = {{"scopegateFinding/v1", fingerprint(f)}};
    if (f.counterexample) r["properties"] = {{"counterexample", example_json(*f.counterexample)}};
    results.push_back(std::move(r));
  }

  Json driver;
  driver["name"] = "policy-check";
  driver["version"] = SCOPEGATE_VERSION;
#ifdef SCOPEGATE_INFORMATION_URI
  driver["informationUri"] = SCOPEGATE_INFORMATION_URI;
#endif
  driver["rules"] = std::move(rules);
  Json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);
  Json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = Json::array({std::move(run)});
  return log;
}

}  // namespace scopegate::cli
