// reference-server: the Comwit API over in-memory data, with scopegate as its
// authorization step. See README.md beside this file.

#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "authorizer.hpp"
#include "comwit_api.hpp"
#include "raw_server.hpp"
#include "scopegate/yaml.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::example;

constexpr int kExitUsage = 2;

struct Options {
  std::string policy = "policies/comwit.yaml";
  std::string tokens;
  int port = 0;
  std::string approve_as;
  std::vector<std::string> bugs;
};

// Section 7: the denial's status, challenge, Allow list and error body.
void deny(const CompiledPolicy& policy, const Decision& d, httplib::Response& res) {
  res.status = d.status();
  if (auto challenge = www_authenticate(d, policy.realm()); !challenge.empty()) res.set_header("WWW-Authenticate", challenge);
  if (d.reason == Reason::kMethodNotAllowed) res.set_header("Allow", allow_header(d.allowed_methods));
  res.set_content(error_body_json(d), "application/json");
}

int run(const Options& opt) {
  LoadResult loaded = load_policy_file(opt.policy);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  if (!loaded.ok()) return kExitUsage;
  TokensResult tokens = load_tokens_file(opt.tokens, loaded.policy->settings());
  for (const auto& d : tokens.diagnostics) std::cerr << d.format() << '\n';
  if (!tokens.tokens) return kExitUsage;

  // Contract section 8: an operator_token in the tokens file (even empty)
  // replaces the environment's secret.
  std::string error;
  auto secret = tokens.tokens->operator_token ? OperatorSecret::make(*tokens.tokens->operator_token, *loaded.policy, &error)
                                              : OperatorSecret::from_environment(*loaded.policy, &error);
  if (!secret) {
    std::cerr << "reference-server: error: operator secret: " << error << '\n';
    return kExitUsage;
  }
  std::set<Bug> bugs;
  for (const auto& name : opt.bugs) {
    auto bug = parse_bug(name);
    if (!bug) {
      std::cerr << "reference-server: error: unknown --bug \"" << name << "\"\n";
      return kExitUsage;
    }
    bugs.insert(*bug);
  }
  std::vector<std::string> projects;
  for (const auto& u : tokens.tokens->users)
    for (const auto& p : u.projects)
      if (std::find(projects.begin(), projects.end(), p) == projects.end()) projects.push_back(p);

  auto authorizer = Authorizer::make(loaded.policy, tokens.tokens->users, *secret, bugs, &error);
  if (!authorizer) {
    std::cerr << "reference-server: error: " << error << '\n';
    return kExitUsage;
  }
  std::optional<std::string> approved;
  if (!opt.approve_as.empty()) {
    const std::string* token = authorizer->token_of(opt.approve_as);
    if (!token) {
      std::cerr << "reference-server: error: --approve-as \"" << opt.approve_as << "\" is no user_id of " << opt.tokens << '\n';
      return kExitUsage;
    }
    approved = *token;
  }

  // SIGINT and SIGTERM stop the server from a thread of their own: stop() is
  // not safe in a signal handler. Blocked before any thread starts, so that
  // every thread inherits the mask and only the waiter receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  RawRequestServer server;
  const int port = opt.port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", opt.port) ? opt.port : -1);
  if (port <= 0) {
    std::cerr << "reference-server: error: cannot listen on 127.0.0.1:" << opt.port << '\n';
    return kExitUsage;
  }
  ComwitApi api(projects, approved, "http://127.0.0.1:" + std::to_string(port) + "/device");

  // Every request is decided here, on the raw method, target and headers;
  // nothing is left for httplib's own router.
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    Inbound in{req.method, req.target, {req.headers.begin(), req.headers.end()}, {}};
    Decision d = authorizer->authorize(in);
    if (!d.allow()) {
      deny(authorizer->policy(), d, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    ApiCall call{d.route, d.canonical_path(), req.body, d.actor,
                 d.reason == Reason::kGranted ? authorizer->projects_of(d.actor) : nullptr};
    ApiReply reply = api.handle(call);
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    if (!reply.body.empty()) res.set_content(reply.body, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });

  for (Bug b : bugs)
    for (const auto& info : kBugs)
      if (info.bug == b) std::cerr << "reference-server: broken on purpose (--bug " << info.name << "): " << info.breaks << '\n';
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  bool ok = server.listen_after_bind();
  // listen_after_bind returns only after stop(), or on a listening error: in
  // the latter case wake the waiter so that it can be joined.
  if (!ok) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"The Comwit API over in-memory data, with scopegate deciding every request on its raw request-target"};
  app.add_option("--policy", opt.policy, "Policy file")->capture_default_str();
  app.add_option("--tokens", opt.tokens, "Tokens file (contract section 8); its operator_token, when present, is the "
                                         "operator secret, else $PLATFORM_API_SERVER_TOKEN")
      ->required();
  app.add_option("--port", opt.port, "Port on 127.0.0.1; 0 picks a free one")->capture_default_str();
  app.add_option("--approve-as", opt.approve_as, "Device-flow polling yields this user's token (a user_id of --tokens)");
  std::string bug_help = "Break one rule on purpose (repeatable):";
  for (const auto& b : kBugs) bug_help += "\n  " + std::string(b.name) + ": " + std::string(b.breaks);
  app.add_option("--bug", opt.bugs, bug_help);
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
