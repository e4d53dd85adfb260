#pragma once
// The subcommands of policy-check. Each registers itself on the app and stores
// its exit status for main() to return.

#include <CLI/CLI.hpp>

namespace scopegate::cli {

/// Exit statuses, documented in `--help` and README.
inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNewAccess = 3;

void register_commands(CLI::App& app);
int exit_code();
void set_exit_code(int code);

void register_decide(CLI::App& app);
void register_validate(CLI::App& app);
void register_matrix(CLI::App& app);
void register_diff(CLI::App& app);
void register_verify(CLI::App& app);
void register_explain(CLI::App& app);
void register_coverage(CLI::App& app);
void register_audit(CLI::App& app);
void register_compile(CLI::App& app);

}  // namespace scopegate::cli
