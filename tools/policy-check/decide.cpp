// `policy-check decide`: JSON lines in, decision lines out (contract section 8).

#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "request_line.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/render.hpp"
#include "scopegate/tokens.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::cli {
namespace {

struct DecideOptions {
  std::string policy = "policies/comwit.yaml";
  std::string tokens;
};

int run_decide(const DecideOptions& opt) {
  LoadResult loaded = load_policy_file(opt.policy);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  if (!loaded.ok()) return kExitUsage;
  const CompiledPolicy& policy = *loaded.policy;

  TokensFile tokens;
  if (!opt.tokens.empty()) {
    TokensResult t = load_tokens_file(opt.tokens, policy.spec());
    for (const auto& d : t.diagnostics) std::cerr << d.format() << '\n';
    if (!t.tokens) return kExitUsage;
    tokens = std::move(*t.tokens);
  }
  std::string secret_error;
  std::optional<OperatorSecret> secret = tokens.operator_token
                                             ? OperatorSecret::make(*tokens.operator_token, policy, &secret_error)
                                             : OperatorSecret::from_environment(policy, &secret_error);
  if (!secret) {
    std::cerr << "policy-check: error: " << secret_error << '\n';
    return kExitUsage;
  }
  StaticTokenResolver resolver(std::move(tokens.users));

  int status = kExitClean;
  std::string line;
  for (std::size_t number = 1; std::getline(std::cin, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    RequestLine parsed = parse_request_line(line);
    if (!parsed.request) {
      std::string out = "{\"error\": ";
      detail::append_json_string(out, "line " + std::to_string(number) + ": " + parsed.error);
      std::cout << out << "}\n";
      status = kExitFindings;
      continue;
    }
    Decision d = decide(policy, parsed.request->view(), resolver, *secret);
    std::cout << decision_json(d) << '\n';
  }
  std::cout.flush();
  return status;
}

}  // namespace

void register_decide(CLI::App& app) {
  auto opt = std::make_shared<DecideOptions>();
  CLI::App* cmd = app.add_subcommand("decide", "Decide JSON-lines requests from stdin, one decision line out each");
  cmd->add_option("--policy", opt->policy, "Policy file")->capture_default_str();
  cmd->add_option("--tokens", opt->tokens, "Tokens file (contract section 8); its operator_token replaces "
                                          "$PLATFORM_API_SERVER_TOKEN");
  cmd->footer(
      "Input lines: {\"method\": \"GET\", \"target\": \"/v1/projects\", \"headers\": [[\"Authorization\", "
      "\"Bearer cwt_...\"]]}\n"
      "Output: one line per input line, in order: the decision line of contract section 8, or {\"error\": \"line N: "
      "...\"} for a line that is not a request.\n"
      "Exit status: 0 every line decided, 1 some line was not a request (an {\"error\"} line was written), 2 usage "
      "error, or a bad policy, tokens file or operator secret.");
  cmd->callback([opt] { set_exit_code(run_decide(*opt)); });
}

}  // namespace scopegate::cli
