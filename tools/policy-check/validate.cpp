// `policy-check validate`: loader errors and lint findings, positioned, for
// each file.

#include "checks.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "scopegate/lint.hpp"

namespace scopegate::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  Format format = Format::kText;
  bool strict = false;
};

struct FileSummary {
  std::string file;
  std::size_t routes = 0;
  bool loaded = false;
};

int run_validate(const ValidateOptions& opt) {
  std::vector<Finding> findings;
  std::vector<FileSummary> files;
  bool unreadable = false;
  for (const auto& file : opt.files) {
    LoadResult loaded = load_policy_file(file);
    std::vector<Finding> found = policy_findings(loaded);
    for (const auto& f : found) unreadable = unreadable || f.code == "SG000";
    files.push_back({file, loaded.ok() ? loaded.policy->routes().size() : 0, loaded.ok()});
    findings.insert(findings.end(), found.begin(), found.end());
  }

  switch (opt.format) {
    case Format::kText: {
      const Style style{use_colour(stdout)};
      for (const auto& f : findings) std::cout << format_finding_text(f, style);
      for (const auto& s : files) {
        std::vector<Finding> own;
        for (const auto& f : findings)
          if (f.file == s.file) own.push_back(f);
        const FindingCounts c = count_findings(own);
        std::cerr << s.file << ": ";
        if (s.loaded) std::cerr << s.routes << " routes, ";
        std::cerr << c.errors << " errors, " << c.warnings << " warnings, " << c.notes << " notes\n";
      }
      break;
    }
    case Format::kJson: {
      nlohmann::ordered_json out;
      out["files"] = nlohmann::ordered_json::array();
      for (const auto& s : files)
        out["files"].push_back({{"file", s.file},
                                {"loaded", s.loaded},
                                {"routes", s.loaded ? nlohmann::ordered_json(s.routes) : nullptr}});
      out["findings"] = nlohmann::ordered_json::array();
      for (const auto& f : findings) out["findings"].push_back(finding_json(f));
      const FindingCounts c = count_findings(findings);
      out["errors"] = c.errors;
      out["warnings"] = c.warnings;
      out["notes"] = c.notes;
      std::cout << out.dump(2) << '\n';
      break;
    }
    case Format::kSarif:
      std::cout << sarif_log(findings).dump(2) << '\n';
      break;
  }
  if (unreadable) return kExitUsage;
  return findings_exit_status(findings, opt.strict);
}

}  // namespace

std::vector<Finding> policy_findings(const LoadResult& loaded) {
  std::vector<Finding> out = to_findings(loaded.diagnostics);
  if (loaded.ok()) {
    std::vector<Finding> linted = to_findings(lint(*loaded.policy));
    out.insert(out.end(), linted.begin(), linted.end());
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
      return a.pos != b.pos ? a.pos < b.pos : a.code < b.code;
    });
  }
  return out;
}

void register_validate(CLI::App& app) {
  auto opt = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check policy files: loader errors and lint findings (SG3xx), each with its position");
  cmd->add_option("files", opt->files, "Policy files")->required()->check(CLI::ExistingFile);
  add_format_option(cmd, opt->format);
  cmd->add_flag("--strict", opt->strict, "Warnings count as errors for the exit status");
  cmd->footer(
      "Lint codes: SG301 write method under a read scope, SG302 read method under a write scope, SG303 project "
      "route without membership, SG304 unused scope, SG305 hidden route not operator-only, SG306/SG307 prefix "
      "family covering a non-operator route (all/some paths), SG308 shadowed pattern, SG309 one position named "
      "differently, SG310 public route not POST under /auth/.\n"
      "Colours only on a terminal; NO_COLOR turns them off.\n"
      "Exit status: 0 no errors (warnings and notes alone are 0 unless --strict), 1 errors found, 2 usage error "
      "or an unreadable file.");
  cmd->callback([opt] { set_exit_code(run_validate(*opt)); });
}

}  // namespace scopegate::cli
