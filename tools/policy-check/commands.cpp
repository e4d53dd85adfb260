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
  register_matrix(app);
  register_diff(app);
  register_verify(app);
  register_explain(app);
  register_coverage(app);
  register_audit(app);
  register_compile(app);
}

}  // namespace scopegate::cli
