// `policy-check validate`: loader errors, positioned, for each file.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::cli {
namespace {

int run_validate(const std::vector<std::string>& files) {
  int status = kExitClean;
  for (const auto& file : files) {
    LoadResult loaded = load_policy_file(file);
    for (const auto& d : loaded.diagnostics) std::cout << d.format() << '\n';
    if (!loaded.ok()) status = kExitFindings;
    else std::cerr << file << ": ok, " << loaded.policy->routes().size() << " routes\n";
  }
  return status;
}

}  // namespace

void register_validate(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("validate", "Check policy files; print every error with its position");
  cmd->add_option("files", *files, "Policy files")->required()->check(CLI::ExistingFile);
  cmd->footer("Exit status: 0 no errors, 1 errors found, 2 usage error.");
  cmd->callback([files] { set_exit_code(run_validate(*files)); });
}

}  // namespace scopegate::cli
