// `policy-check coverage`: a policy against an OpenAPI 3 description.

#include <iostream>
#include <memory>
#include <string>

#include "checks.hpp"
#include "commands.hpp"
#include "openapi.hpp"
#include "scopegate/coverage.hpp"

namespace scopegate::cli {

CoverageReport openapi_coverage(const CompiledPolicy& policy, const std::string& spec_path) {
  CoverageReport report;
  OpenApiResult read = read_openapi_file(spec_path);
  report.findings = to_findings(read.diagnostics);
  if (!read.api) return report;
  report.readable = true;
  report.operations = read.api->operations.size();
  std::vector<Finding> found = to_findings(coverage(policy, *read.api));
  report.findings.insert(report.findings.end(), found.begin(), found.end());
  return report;
}

namespace {

struct CoverageOptions {
  std::string policy;
  std::string openapi;
  Format format = Format::kText;
  bool strict = false;
};

int run_coverage(const CoverageOptions& opt) {
  LoadResult loaded = load_policy_file(opt.policy);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  if (!loaded.ok()) return kExitUsage;
  const CoverageReport report = openapi_coverage(*loaded.policy, opt.openapi);
  switch (opt.format) {
    case Format::kText: {
      const Style style{use_colour(stdout)};
      for (const auto& f : report.findings) std::cout << format_finding_text(f, style);
      const FindingCounts c = count_findings(report.findings);
      if (report.readable)
        std::cerr << opt.openapi << ": " << report.operations << " operations against "
                  << loaded.policy->routes().size() << " routes of " << opt.policy << ": " << c.errors
                  << " errors, " << c.warnings << " warnings\n";
      break;
    }
    case Format::kJson: {
      nlohmann::ordered_json out;
      out["policy"] = opt.policy;
      out["openapi"] = opt.openapi;
      out["operations"] = report.operations;
      out["routes"] = loaded.policy->routes().size();
      out["findings"] = nlohmann::ordered_json::array();
      for (const auto& f : report.findings) out["findings"].push_back(finding_json(f));
      std::cout << out.dump(2) << '\n';
      break;
    }
    case Format::kSarif:
      std::cout << sarif_log(report.findings).dump(2) << '\n';
      break;
  }
  if (!report.readable) return kExitUsage;
  return findings_exit_status(report.findings, opt.strict);
}

}  // namespace

void register_coverage(CLI::App& app) {
  auto opt = std::make_shared<CoverageOptions>();
  CLI::App* cmd = app.add_subcommand(
      "coverage", "Compare a policy with an OpenAPI 3 description: undocumented routes, unguarded operations");
  cmd->add_option("file", opt->policy, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--openapi", opt->openapi, "OpenAPI 3 description, YAML or JSON")
      ->required()
      ->check(CLI::ExistingFile);
  add_format_option(cmd, opt->format);
  cmd->add_flag("--strict", opt->strict, "Warnings count as errors for the exit status");
  cmd->footer(
      "Operations pair with routes by method and shape (parameter names aside); HEAD pairs with GET. An "
      "operation is operator-only when tagged 'operator-only', public when its security is [] or allows {}; its "
      "scopes are those its security requirements name. Hidden routes are expected to be absent.\n"
      "Codes: SG400 unreadable description, SG401 operation with no rule, SG402 rule with no operation, SG403 "
      "parameter named differently, SG404 guard differs, SG405 hidden route documented, SG406 operation that "
      "cannot be compared.\n"
      "Exit status: 0 no errors (warnings alone are 0 unless --strict), 1 errors found, 2 usage error, bad "
      "policy or unreadable description.");
  cmd->callback([opt] { set_exit_code(run_coverage(*opt)); });
}

}  // namespace scopegate::cli
