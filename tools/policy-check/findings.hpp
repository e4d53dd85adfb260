#pragma once
// Findings, shared by validate, verify, coverage and audit, and their three
// writers (text, JSON, SARIF 2.1.0), so that every command prints a finding the
// same way. verify fills `counterexample`; validate and coverage convert
// Diagnostics. A code's documentation (SARIF `rules[]`) lives in rule_docs()
// in findings.cpp: add a row for every new code.

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "scopegate/diagnostic.hpp"

namespace scopegate::cli {

/// A concrete request that shows a finding, as `policy-check decide` replays it.
struct FindingExample {
  std::string request;   ///< the decide input line (contract section 8)
  std::string tokens;    ///< the tokens file it is decided under (JSON, which is also YAML)
  std::string decision;  ///< the decision line it gets
};

/// One finding: a Diagnostic plus, for invariant violations, a counterexample.
struct Finding {
  std::string code;  ///< stable: SG0xx-SG2xx loader and compile, SG3xx lint, SG4xx coverage
  Severity severity = Severity::kError;
  std::string file;
  SourcePos pos;  ///< line 0: the file as a whole
  std::string message;
  std::string hint;
  std::optional<SourcePos> related;
  std::optional<FindingExample> counterexample;
};

Finding to_finding(const Diagnostic& d);
std::vector<Finding> to_findings(const std::vector<Diagnostic>& diags);

struct FindingCounts {
  std::size_t errors = 0;
  std::size_t warnings = 0;
  std::size_t notes = 0;
};
FindingCounts count_findings(const std::vector<Finding>& findings);

/// The output formats of validate, verify and audit.
enum class Format { kText, kJson, kSarif };
/// `text`, `json`, `sarif`, for CLI11's transform.
const std::map<std::string, Format>& format_names();

/// Adds `--format text|json|sarif` to a subcommand.
void add_format_option(CLI::App* cmd, Format& format);

/// 1 (kExitFindings) when any finding is an error, or with `strict` any is a
/// warning; else 0.
int findings_exit_status(const std::vector<Finding>& findings, bool strict);

/// True when `stream` is a terminal and NO_COLOR is unset or empty
/// (https://no-color.org).
bool use_colour(std::FILE* stream);

/// ANSI styles; empty strings when colour is off.
struct Style {
  bool on = false;
  std::string_view bold() const { return on ? "\x1b[1m" : ""; }
  std::string_view red() const { return on ? "\x1b[1;31m" : ""; }
  std::string_view yellow() const { return on ? "\x1b[1;33m" : ""; }
  std::string_view cyan() const { return on ? "\x1b[1;36m" : ""; }
  std::string_view green() const { return on ? "\x1b[1;32m" : ""; }
  std::string_view dim() const { return on ? "\x1b[2m" : ""; }
  std::string_view reset() const { return on ? "\x1b[0m" : ""; }
  std::string_view severity(Severity s) const {
    return s == Severity::kError ? red() : s == Severity::kWarning ? yellow() : cyan();
  }
};

/// `file:line:col: error[SG104]: message (related line:col); hint`, then the
/// counterexample's lines indented, each line ending in '\n'.
std::string format_finding_text(const Finding& f, const Style& style);

/// `{"code", "severity", "file", "line", "column", "message", "hint",
/// "related": {"line", "column"} | null, "counterexample": {...} | null}`;
/// line and column are null when the finding is about the file as a whole.
nlohmann::ordered_json finding_json(const Finding& f);

/// The SARIF 2.1.0 log of one run of policy-check: `rules[]` documents every
/// known code (kRuleDocs) and any other code that a finding uses.
nlohmann::ordered_json sarif_log(const std::vector<Finding>& findings);

/// The documentation of a code: a one-line summary and a help text.
struct RuleDoc {
  std::string_view code;
  Severity severity;
  std::string_view summary;
  std::string_view help;
};
/// Every documented code, in code order.
const std::vector<RuleDoc>& rule_docs();

}  // namespace scopegate::cli
