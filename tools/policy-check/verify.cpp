// `policy-check verify`: the invariants a policy declares, checked
// exhaustively, each violation with a request that shows it.

#include "verify.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "load_policy.hpp"

namespace scopegate::cli {

std::vector<Finding> verify_findings(const CompiledPolicy& policy, const analysis::ProbeKit& kit) {
  std::vector<Finding> out;
  const PolicySpec& spec = policy.spec();
  for (analysis::Violation& v : analysis::check_invariants(policy, kit)) {
    Finding f;
    f.code = v.code;
    f.severity = Severity::kError;
    f.file = spec.file;
    f.pos = spec.invariants[v.invariant].pos;
    f.message = "invariant " + spec.invariants[v.invariant].kind + ": " + v.message;
    f.hint = std::move(v.hint);
    f.related = v.related;
    if (v.counterexample)
      f.counterexample = FindingExample{v.counterexample->probe.request_json(), v.counterexample->probe.tokens_json(),
                                        v.counterexample->outcome.line};
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

struct VerifyOptions {
  std::string file;
  Format format = Format::kText;
};

int run_verify(const VerifyOptions& opt) {
  const auto policy = load_policy_or_report(opt.file);
  if (!policy) return kExitUsage;
  const auto kit = probe_kit_or_report(*policy);
  if (!kit) return kExitUsage;
  const std::vector<Finding> findings = verify_findings(*policy, *kit);
  const auto& invariants = policy->spec().invariants;

  switch (opt.format) {
    case Format::kText: {
      const Style style{use_colour(stdout)};
      for (const auto& f : findings) std::cout << format_finding_text(f, style);
      std::size_t broken = 0;
      for (std::size_t i = 0; i < invariants.size(); ++i)
        broken += std::any_of(findings.begin(), findings.end(), [&](const Finding& f) {
          return f.pos == invariants[i].pos;
        });
      if (invariants.empty())
        std::cout << opt.file << ": declares no invariants\n";
      else if (broken == 0)
        std::cout << style.green() << opt.file << ": all " << invariants.size() << " invariants hold" << style.reset()
                  << " (checked exhaustively)\n";
      else
        std::cout << style.red() << opt.file << ": " << broken << " of " << invariants.size() << " invariants violated"
                  << style.reset() << " (" << findings.size() << (findings.size() == 1 ? " finding)\n" : " findings)\n");
      break;
    }
    case Format::kJson: {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& inv : invariants) {
        const bool holds = std::none_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.pos == inv.pos; });
        list.push_back({{"kind", inv.kind}, {"line", inv.pos.line}, {"column", inv.pos.column}, {"holds", holds}});
      }
      nlohmann::ordered_json items = nlohmann::ordered_json::array();
      for (const auto& f : findings) items.push_back(finding_json(f));
      nlohmann::ordered_json doc = {{"file", opt.file}, {"invariants", std::move(list)}, {"findings", std::move(items)}};
      std::cout << doc.dump(2) << '\n';
      break;
    }
    case Format::kSarif:
      std::cout << sarif_log(findings).dump(2) << '\n';
      break;
  }
  std::cout.flush();
  return findings.empty() ? kExitClean : kExitFindings;
}

}  // namespace

void register_verify(CLI::App& app) {
  auto opt = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Prove the policy's declared invariants exhaustively; print a counterexample request for each violation");
  cmd->add_option("file", opt->file, "Policy file")->required()->check(CLI::ExistingFile);
  add_format_option(cmd, opt->format);
  cmd->footer(
      "Invariants (policies/README.md, `invariants:`), each checked over every class of paths the policy treats\n"
      "alike, every declarable method and every kind of caller, each request decided by decide():\n"
      "  user_never_operator_only         SG501  no user is allowed on an operator-only route or prefix family\n"
      "  project_routes_check_membership  SG502  no non-member is allowed on a route under the project parameter\n"
      "  no_write_under_read_scope        SG503  no user holding only ':read' scopes is granted POST/PUT/PATCH/DELETE\n"
      "  public_routes: [\"POST /a\", ...]   SG504  anonymous callers are allowed on exactly these routes\n"
      "  (SG505: an unknown kind or a malformed value.)\n"
      "A counterexample is a `policy-check decide` input line, its tokens file (JSON, also valid YAML) and the\n"
      "decision line that decide returns for it.\n"
      "Colours only on a terminal, never with NO_COLOR set.\n"
      "Exit status: 0 every invariant holds (or none is declared), 1 violations found, 2 usage error or a policy "
      "that does not load.");
  cmd->callback([opt] { set_exit_code(run_verify(*opt)); });
}

}  // namespace scopegate::cli
