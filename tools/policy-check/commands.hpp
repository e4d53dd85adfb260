#pragma once
// The subcommands of policy-check. Each registers itself on the app and stores
// its exit status for main() to return.

#include <CLI/CLI.hpp>

#include <cctype>
#include <map>
#include <string>
#include <utility>

namespace scopegate::cli {

/// Exit statuses, documented in `--help` and README.
inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNewAccess = 3;

/// A CLI11 transform for an option with named choices (`--format`, `--class`):
/// accepts exactly the names in `choices`, in any case, and refuses anything
/// else with a message listing them. CLI::CheckedTransformer would also accept
/// the enumerators' numbers (`--format 2`) and print them in its message.
template <class Enum>
CLI::Validator named_choice(std::map<std::string, Enum> choices) {
  std::string names;
  for (const auto& entry : choices) names += (names.empty() ? "" : ", ") + entry.first;
  return CLI::Validator(
      [choices = std::move(choices), names](std::string& value) -> std::string {
        std::string key = value;
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto it = choices.find(key);
        if (it == choices.end()) return "'" + value + "' is not one of " + names;
        // CLI11 reads an enum from its number.
        value = std::to_string(static_cast<long long>(it->second));
        return {};
      },
      names);
}

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
