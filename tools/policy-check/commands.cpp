#include "commands.hpp"

namespace scopegate::cli {
namespace {
int g_exit_code = kExitClean;
}

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void register_commands(CLI::App& app) {
  register_validate(app);
  register_decide(app);
}

}  // namespace scopegate::cli
