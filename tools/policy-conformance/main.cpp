// policy-conformance: replays the policy against a running server and
// reports every response that differs from the engine's decision.

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "compare.hpp"
#include "credentials.hpp"
#include "probes.hpp"
#include "report.hpp"
#include "scopegate/yaml.hpp"
#include "transport.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::live;

constexpr int kExitPassed = 0;
constexpr int kExitDifferences = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 4;

struct Options {
  std::string base_url = "https://api.cloud.comwit.io";
  std::string policy = "policies/comwit.yaml";
  std::string tokens;
  std::optional<std::string> token;
  std::optional<std::string> project;
  std::vector<std::string> cases;
  bool no_cases = false;
  std::string fixtures = SCOPEGATE_SOURCE_DIR "/conformance/fixtures";
  HttpOptions http;
  bool allow_writes = false;
  std::string pass_status = "2xx,404";
  bool dry_run = false;
  std::string junit;
  std::string json;
};

// The case areas replayed by default: header forms, path bypasses, overrides.
std::vector<std::string> default_cases() {
  std::vector<std::string> out;
  for (const char* area : {"authorization-header", "bypass", "overrides"}) {
    std::string p = std::string(SCOPEGATE_SOURCE_DIR "/conformance/cases/") + area;
    if (std::filesystem::is_directory(p)) out.push_back(p);
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out.flush());
}

// A bar on a terminal only: logs and CI output get the summary alone.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(std::size_t done, std::size_t total) {
    if (!enabled_ || total == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr std::size_t kWidth = 40;
    std::size_t filled = done * kWidth / total;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
                 done, total);
    if (done == total) std::fprintf(stderr, "\r%60s\r", "");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

int run(const Options& opt) {
  std::string error;
  auto origin = origin_of(opt.base_url, &error);
  if (!origin) {
    std::cerr << "policy-conformance: error: " << error << '\n';
    return kExitUsage;
  }
  auto pass = StatusSet::parse(opt.pass_status, &error);
  if (!pass) {
    std::cerr << "policy-conformance: error: " << error << '\n';
    return kExitUsage;
  }
  if (opt.http.rate <= 0 || opt.http.concurrency == 0 || opt.http.timeout <= 0 || opt.http.connect_timeout <= 0) {
    std::cerr << "policy-conformance: error: --rate, --concurrency and the timeouts must be positive\n";
    return kExitUsage;
  }

  LoadResult loaded = load_policy_file(opt.policy);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  if (!loaded.ok()) return kExitUsage;
  const CompiledPolicy& policy = *loaded.policy;
  const std::string user_prefix = policy.spec().user.prefix;
  const std::string& secret_env = policy.spec().operator_class.secret_env;

  PlanInput input;
  input.allow_writes = opt.allow_writes;
  if (!opt.tokens.empty()) {
    TokensResult t = load_tokens_file(opt.tokens, policy.spec());
    if (!t.tokens) {
      for (const auto& d : t.diagnostics) std::cerr << d.format() << '\n';
      return kExitUsage;
    }
    if (t.tokens->operator_token && !t.tokens->operator_token->empty())
      std::cerr << "policy-conformance: warning: " << opt.tokens << ": operator_token is ignored; the operator token is "
                << "read only from $" << secret_env << '\n';
    for (auto& u : t.tokens->users) input.users.push_back({u.token, u.user_id, u.scopes, u.projects, true});
  }
  const std::size_t file_users = input.users.size();

  auto creds = resolve_credentials(opt.token, opt.project, process_env, &error);
  if (!creds) {
    std::cerr << "policy-conformance: error: " << error << '\n';
    return kExitUsage;
  }
  if (creds->token) {
    // Never echo the value: it may be the operator secret pasted by mistake.
    if (!policy.user_class().matches(creds->token->value)) {
      std::cerr << "policy-conformance: error: the token from " << creds->token->source
                << " is not a user token of the policy's class (" << user_prefix << "...); the operator token is read "
                << "only from $" << secret_env << '\n';
      return kExitUsage;
    }
    bool listed = std::any_of(input.users.begin(), input.users.end(),
                              [&](const LiveUser& u) { return u.token == creds->token->value; });
    if (!listed) input.users.push_back({creds->token->value, "", {}, {}, false});
  }
  if (creds->project) input.project = creds->project->value;
  if (policy.spec().operator_class.present) input.operator_token = process_env(secret_env.c_str());
  if (!opt.no_cases) input.cases = {opt.cases.empty() ? default_cases() : opt.cases, opt.fixtures};

  Redactor redactor;
  for (const auto& u : input.users) redactor.add(u.token, user_prefix);
  if (input.operator_token) redactor.add(*input.operator_token);
  std::vector<std::string> secrets;
  for (const auto& u : input.users) secrets.push_back(u.token);
  if (input.operator_token) secrets.push_back(*input.operator_token);

  auto plan = build_plan(policy, input, &error);
  if (!plan) {
    std::cerr << "policy-conformance: error: " << redactor.redact(error) << '\n';
    return kExitUsage;
  }

  HttpOptions http = opt.http;
  http.origin = *origin;
  Settings settings = {
      {"target", http.origin},
      {"policy", opt.policy},
      {"tokens file", opt.tokens.empty() ? "none" : opt.tokens + " (" + std::to_string(file_users) + " users)"},
      {"token", creds->token ? creds->token->value + " from " + creds->token->source : "none"},
      {"project", creds->project ? creds->project->value + " from " + creds->project->source : "none"},
      {"operator token", input.operator_token ? "from $" + secret_env : "none ($" + secret_env + " is not set)"},
      {"case files", input.cases.paths.empty() ? "none" : std::to_string(input.cases.paths.size()) + " paths"},
      {"concurrency", std::to_string(http.concurrency)},
      {"rate", number(http.rate) + " requests/s"},
      {"timeouts", "connect " + number(http.connect_timeout) + " s, total " + number(http.timeout) + " s, " +
                       std::to_string(http.retries) + " retries"},
      {"TLS verification", http.insecure ? "off (--insecure)" : "on"},
      {"writes", opt.allow_writes ? "allowed writes are sent (--allow-writes)" : "allowed writes are held back"},
      {"allowed probes pass on", pass->text()},
  };
  if (opt.dry_run) {
    std::cout << redactor.redact(plan_text(*plan, settings));
    return kExitPassed;
  }

  std::size_t to_send = std::count_if(plan->probes.begin(), plan->probes.end(), [](const Probe& p) { return !p.held_back; });
  std::cout << redactor.redact("policy-conformance: " + std::to_string(to_send) + " probes to " + http.origin + "\n")
            << std::flush;
  ProgressBar bar(isatty(STDERR_FILENO) != 0);
  auto start = std::chrono::steady_clock::now();
  SendOutcome outcome = send_probes(plan->probes, http, [&](std::size_t done, std::size_t total) { bar.update(done, total); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<Verdict> verdicts;
  bool differs = false;
  for (std::size_t i = 0; i < plan->probes.size(); ++i) {
    verdicts.push_back(judge(plan->probes[i], outcome.exchanges[i], *pass, secrets));
    differs |= verdicts.back().kind == Verdict::Kind::kFail || verdicts.back().kind == Verdict::Kind::kError;
  }
  int status = outcome.unreachable ? kExitUnreachable : differs ? kExitDifferences : kExitPassed;
  RunReport report{*plan, outcome, verdicts, seconds, status};

  std::cout << redactor.redact(findings_text(report, http)) << redactor.redact(summary_text(report)) << std::flush;
  if (!opt.json.empty() && !write_file(opt.json, redactor.redact(json_report(report, settings, http)))) {
    std::cerr << "policy-conformance: error: cannot write " << opt.json << '\n';
    return kExitUsage;
  }
  if (!opt.junit.empty() && !write_file(opt.junit, redactor.redact(junit_report(report, http)))) {
    std::cerr << "policy-conformance: error: cannot write " << opt.junit << '\n';
    return kExitUsage;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "Probes a running server with requests generated from a scopegate policy and a tokens file, and reports every "
      "response that differs from the engine's decision (contract section 7)."};
  app.add_option("--base-url", opt.base_url, "Server origin, scheme://host[:port]")->capture_default_str();
  app.add_option("--policy", opt.policy, "Policy file")->capture_default_str();
  app.add_option("--tokens", opt.tokens,
                 "Tokens file (contract section 8) with the users to probe as; its operator_token is ignored");
  app.add_option("--token", opt.token,
                 "Your user token; else the config file's token ($COMWIT_CONFIG, $XDG_CONFIG_HOME/comwit/config.json, "
                 "~/.config/comwit/config.json)");
  app.add_option("--project", opt.project, "Your project; else $COMWIT_PROJECT, else the config file's default_project");
  app.add_option("--cases", opt.cases,
                 "Conformance case files or folders to replay (default: the authorization-header, bypass and overrides "
                 "areas)");
  app.add_flag("--no-cases", opt.no_cases, "Replay no conformance cases");
  app.add_option("--fixtures", opt.fixtures, "Folder of the tokens files the cases name")->capture_default_str();
  app.add_option("--concurrency", opt.http.concurrency, "Requests in flight at once")->capture_default_str();
  app.add_option("--rate", opt.http.rate, "Requests per second, retries included")->capture_default_str();
  app.add_option("--timeout", opt.http.timeout, "Seconds per attempt, connecting included")->capture_default_str();
  app.add_option("--connect-timeout", opt.http.connect_timeout, "Seconds to connect")->capture_default_str();
  app.add_option("--retries", opt.http.retries,
                 "Retries on connection failures, 429 and 503 (honouring Retry-After), with backoff")
      ->capture_default_str();
  app.add_flag("--insecure", opt.http.insecure, "Do not verify the server's TLS certificate");
  app.add_flag("--allow-writes", opt.allow_writes, "Also send the POST, PUT, PATCH and DELETE probes the policy allows");
  app.add_option("--pass-status", opt.pass_status, "Statuses that pass for an allowed probe")->capture_default_str();
  app.add_flag("--dry-run", opt.dry_run, "Print the plan and send nothing");
  app.add_option("--report-junit", opt.junit, "Write a JUnit XML report");
  app.add_option("--report-json", opt.json, "Write a JSON report");
  app.footer(
      "Safe by default: probes the policy allows are sent only for GET and HEAD unless --allow-writes. Writes the policy "
      "denies are always sent: a server that wrongly allows one is exactly the finding.\n"
      "The operator token is read only from $PLATFORM_API_SERVER_TOKEN (the policy's secret_env). Proxies come from "
      "the environment (https_proxy, no_proxy). Tokens are never printed whole.\n"
      "Exit status: 0 every probe passed, 1 a response differs, 2 usage or configuration error, 4 the target could "
      "not be reached.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return run(opt);
}
