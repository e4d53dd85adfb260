// `policy-check audit`: the review of one policy in one run: validate and
// lint, verify the declared invariants, coverage against the OpenAPI
// description when there is one, a summary of who may call what, and the
// access matrix.

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "checks.hpp"
#include "commands.hpp"
#include "load_policy.hpp"
#include "matrix.hpp"
#include "scopegate/analysis.hpp"
#include "verify.hpp"

namespace scopegate::cli {
namespace {

using Json = nlohmann::ordered_json;

struct AuditOptions {
  std::string policy;
  std::string openapi;
  Format format = Format::kText;
  bool strict = false;
};

/// `policies/comwit.openapi.yaml` beside `policies/comwit.yaml`, when it exists.
std::string default_openapi(const std::string& policy_file) {
  namespace fs = std::filesystem;
  const fs::path policy(policy_file);
  fs::path spec = policy.parent_path() / (policy.stem().string() + ".openapi.yaml");
  std::error_code ec;
  return fs::is_regular_file(spec, ec) ? spec.string() : std::string();
}

/// Who may call what, by guard.
struct Summary {
  /// Scope -> its routes, in the policy's scope order; `(member of {p})` where membership is checked.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_scope;
  std::vector<std::string> public_routes;
  std::vector<std::string> operator_only;  ///< routes, then `prefix /x*` families
  std::vector<std::string> hidden;
};

Summary summarize(const CompiledPolicy& policy) {
  Summary s;
  for (const auto& scope : policy.scopes()) s.by_scope.emplace_back(scope, std::vector<std::string>{});
  for (const auto& r : policy.routes()) {
    const RouteSpec& spec = policy.spec().routes[r.spec_index];
    switch (r.auth) {
      case RouteAuth::kScope:
        s.by_scope[r.scope_index].second.push_back(std::string(r.display) + (r.project_segment >= 0 ? " (member of {" + spec.project_param + "})"
                                                                          : ""));
        break;
      case RouteAuth::kPublic: s.public_routes.emplace_back(r.display); break;
      case RouteAuth::kOperatorOnly: s.operator_only.emplace_back(r.display); break;
    }
    if (r.hidden) s.hidden.push_back(std::string(r.display) + " (" + std::string(r.auth == RouteAuth::kOperatorOnly
                                                                         ? "operator-only"
                                                                         : "NOT operator-only") + ")");
  }
  for (const auto& p : policy.operator_prefixes()) s.operator_only.push_back("any " + p + "*  (prefix family)");
  return s;
}

struct AuditResult {
  std::vector<Finding> lint;
  std::vector<Finding> verify;
  CoverageReport coverage;
  std::string openapi;  ///< the description compared, empty: none
  std::vector<Finding> all() const {
    std::vector<Finding> out = lint;
    out.insert(out.end(), verify.begin(), verify.end());
    out.insert(out.end(), coverage.findings.begin(), coverage.findings.end());
    return out;
  }
};

/// `1 route`, `2 routes`.
std::string counted(std::size_t n, std::string_view one, std::string_view many = {}) {
  return std::to_string(n) + " " +
         (n == 1 ? std::string(one) : many.empty() ? std::string(one) + "s" : std::string(many));
}

void write_list(std::ostream& out, const std::vector<std::string>& items) {
  if (items.empty()) out << "  (none)\n";
  for (const auto& item : items) out << "  " << item << '\n';
}

void write_text(const CompiledPolicy& policy, const AuditOptions& opt, const AuditResult& result,
                const analysis::AccessMatrix& matrix) {
  const Style style{use_colour(stdout)};
  auto& out = std::cout;
  const PolicySpec& spec = policy.spec();
  auto heading = [&](std::string_view text) { out << '\n' << style.bold() << "== " << text << style.reset() << '\n'; };

  out << style.bold() << "policy " << spec.name << style.reset() << " (" << opt.policy << "): "
      << counted(policy.routes().size(), "route") << ", " << counted(policy.scopes().size(), "scope") << ", "
      << counted(policy.operator_prefixes().size(), "prefix family", "prefix families") << ", "
      << counted(spec.invariants.size(), "invariant") << '\n';

  heading("checks");
  const FindingCounts lint = count_findings(result.lint);
  out << "  validate  " << lint.errors << " errors, " << lint.warnings << " warnings, " << lint.notes
      << " notes (loader and lint)\n";
  if (spec.invariants.empty()) out << "  verify    no invariants declared\n";
  else if (result.verify.empty())
    out << "  verify    " << style.green() << "all " << spec.invariants.size() << " invariants hold" << style.reset()
        << " (checked exhaustively)\n";
  else out << "  verify    " << style.red() << result.verify.size() << " violations" << style.reset() << '\n';
  if (result.openapi.empty()) {
    out << "  coverage  no OpenAPI description (--openapi, or " << std::filesystem::path(opt.policy).stem().string()
        << ".openapi.yaml beside the policy)\n";
  } else {
    const FindingCounts cov = count_findings(result.coverage.findings);
    out << "  coverage  " << result.openapi << ": " << result.coverage.operations << " operations, " << cov.errors
        << " errors, " << cov.warnings << " warnings\n";
  }

  const std::vector<Finding> all = result.all();
  heading("findings");
  if (all.empty()) out << "  (none)\n";
  for (const auto& f : all) out << format_finding_text(f, style);

  const Summary s = summarize(policy);
  heading("routes by scope (a user token needs the scope, and membership where shown)");
  for (const auto& [scope, routes] : s.by_scope) {
    out << "  " << style.bold() << scope << style.reset() << (routes.empty() ? "  (guards no route)" : "") << '\n';
    for (const auto& r : routes) out << "    " << r << '\n';
  }
  heading("public routes (no token; decided before any header is read)");
  write_list(out, s.public_routes);
  heading("operator-only (user tokens get 403)");
  write_list(out, s.operator_only);
  heading("hidden routes (left out of listings, never out of enforcement)");
  write_list(out, s.hidden);

  heading("access matrix (every cell decided by decide())");
  write_matrix(out, policy, matrix, MatrixFormat::kText, style);

  const FindingCounts c = count_findings(all);
  out << '\n' << style.bold() << "result: " << style.reset();
  if (c.errors) out << style.red() << c.errors << " errors" << style.reset();
  else out << style.green() << "no errors" << style.reset();
  out << ", " << c.warnings << " warnings, " << c.notes << " notes\n";
}

void write_json(const CompiledPolicy& policy, const AuditOptions& opt, const AuditResult& result,
                const analysis::AccessMatrix& matrix) {
  Json out;
  out["policy"] = {{"file", opt.policy}, {"name", policy.spec().name}, {"routes", policy.routes().size()}};
  Json findings = Json::array();
  for (const auto& f : result.all()) findings.push_back(finding_json(f));
  out["findings"] = std::move(findings);
  const FindingCounts c = count_findings(result.all());
  out["errors"] = c.errors;
  out["warnings"] = c.warnings;
  out["notes"] = c.notes;
  out["verify"] = {{"invariants", policy.spec().invariants.size()}, {"violations", result.verify.size()}};
  out["coverage"] = result.openapi.empty()
                        ? Json(nullptr)
                        : Json{{"openapi", result.openapi}, {"operations", result.coverage.operations}};
  const Summary s = summarize(policy);
  Json by_scope = Json::object();
  for (const auto& [scope, routes] : s.by_scope) by_scope[scope] = routes;
  out["summary"] = {{"routes_by_scope", std::move(by_scope)},
                    {"public", s.public_routes},
                    {"operator_only", s.operator_only},
                    {"hidden", s.hidden}};
  out["matrix"] = matrix_json(policy, matrix);
  std::cout << out.dump(2) << '\n';
}

int run_audit(const AuditOptions& opt) {
  LoadResult loaded = load_policy_file(opt.policy);
  AuditResult result;
  result.lint = policy_findings(loaded);
  if (!loaded.ok()) {
    // Nothing else can run on a policy that does not load: report why.
    if (opt.format == Format::kSarif) {
      std::cout << sarif_log(result.lint).dump(2) << '\n';
    } else if (opt.format == Format::kJson) {
      Json out;
      out["policy"] = {{"file", opt.policy}, {"name", nullptr}, {"routes", nullptr}};
      out["findings"] = Json::array();
      for (const auto& f : result.lint) out["findings"].push_back(finding_json(f));
      std::cout << out.dump(2) << '\n';
    } else {
      const Style style{use_colour(stdout)};
      for (const auto& f : result.lint) std::cout << format_finding_text(f, style);
      std::cout << opt.policy << ": does not load; verify, coverage and the matrix need a policy that does\n";
    }
    for (const auto& f : result.lint)
      if (f.code == "SG000") return kExitUsage;
    return kExitFindings;
  }
  const CompiledPolicy& policy = *loaded.policy;
  const auto kit = probe_kit_or_report(policy);
  if (!kit) return kExitUsage;
  result.verify = verify_findings(policy, *kit);
  result.openapi = opt.openapi.empty() ? default_openapi(opt.policy) : opt.openapi;
  if (!result.openapi.empty()) {
    result.coverage = openapi_coverage(policy, result.openapi);
    if (!result.coverage.readable) {
      for (const auto& f : result.coverage.findings) std::cerr << format_finding_text(f, Style{});
      return kExitUsage;
    }
  }
  const analysis::AccessMatrix matrix = analysis::access_matrix(policy, *kit);
  switch (opt.format) {
    case Format::kText: write_text(policy, opt, result, matrix); break;
    case Format::kJson: write_json(policy, opt, result, matrix); break;
    case Format::kSarif: std::cout << sarif_log(result.all()).dump(2) << '\n'; break;
  }
  std::cout.flush();
  return findings_exit_status(result.all(), opt.strict);
}

}  // namespace

void register_audit(CLI::App& app) {
  auto opt = std::make_shared<AuditOptions>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "Review a policy: validate and lint, verify invariants, OpenAPI coverage, who may call what, matrix");
  cmd->add_option("file", opt->policy, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--openapi", opt->openapi,
                  "OpenAPI 3 description to check coverage against (default: for x.yaml, x.openapi.yaml beside "
                  "the policy, when it exists)")
      ->check(CLI::ExistingFile);
  add_format_option(cmd, opt->format);
  cmd->add_flag("--strict", opt->strict, "Warnings count as errors for the exit status");
  cmd->footer(
      "text: the checks, every finding, routes by scope, public, operator-only and hidden routes, and the access "
      "matrix. json: the same as data. sarif: the findings alone (SARIF 2.1.0, for code scanning).\n"
      "Codes: SG0xx-SG2xx loader, SG3xx lint (validate --help), SG4xx coverage (coverage --help), SG5xx "
      "invariants (verify --help).\n"
      "Colours only on a terminal; NO_COLOR turns them off.\n"
      "Exit status: 0 no errors (warnings alone are 0 unless --strict), 1 errors found (a policy that does not "
      "load, lint errors, violated invariants, coverage errors), 2 usage error or an unreadable file.");
  cmd->callback([opt] { set_exit_code(run_audit(*opt)); });
}

}  // namespace scopegate::cli
