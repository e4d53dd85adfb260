// policy-check: the command line over the scopegate library. Thin: parse
// arguments, call the library, print.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"policy-check: audit, validate and exercise scopegate policies", "policy-check"};
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 clean, 1 errors or differences found (or a bad input line for decide), 2 usage or input "
      "error, 3 new access (diff).");
  scopegate::cli::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return scopegate::cli::exit_code();
}
