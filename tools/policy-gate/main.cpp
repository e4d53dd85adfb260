// policy-gate: decides requests for a proxy in front of a server that links
// nothing (nginx auth_request, Envoy ext_authz in HTTP mode). See README.md
// beside this file.

#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "gate.hpp"
#include "raw_server.hpp"
#include "scopegate/watcher.hpp"
#include "scopegate/yaml.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::gate;

constexpr int kExitUsage = 2;

struct Options {
  std::string policy;
  std::string tokens;
  std::string introspect;
  std::string introspect_auth_env;
  std::string listen = "127.0.0.1";
  int port = 9191;
  GateOptions gate;
  IntrospectionOptions introspection;
  long long cache_ttl_seconds = 60;
  long long introspect_timeout_ms = 2000;
  long long watch_interval_ms = 1000;
};

void print_errors(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
}

// Where user tokens come from, and the operator secret that goes with it:
// a tokens file's operator_token (even empty) replaces the environment's.
bool token_source(const Options& opt, const CompiledPolicy& policy, TokenSource& source,
                  std::optional<std::string>& operator_secret) {
  if (!opt.tokens.empty()) {
    TokensResult tokens = load_tokens_file(opt.tokens, policy.settings());
    print_errors(tokens.diagnostics);
    if (!tokens.tokens) return false;
    operator_secret = tokens.tokens->operator_token;
    source.table = std::make_unique<StaticTokenResolver>(std::move(tokens.tokens->users));
    return true;
  }
  IntrospectionOptions io = opt.introspection;
  io.url = opt.introspect;
  io.cache_ttl = std::chrono::seconds(opt.cache_ttl_seconds);
  io.timeout = std::chrono::milliseconds(opt.introspect_timeout_ms);
  if (!opt.introspect_auth_env.empty()) {
    const char* value = std::getenv(opt.introspect_auth_env.c_str());
    if (value == nullptr || *value == '\0') {
      std::cerr << "policy-gate: error: $" << opt.introspect_auth_env << " is not set\n";
      return false;
    }
    io.authorization = value;
  }
  std::string error;
  source.introspector = Introspector::make(std::move(io), &error);
  if (!source.introspector) std::cerr << "policy-gate: error: " << error << '\n';
  return source.introspector != nullptr;
}

int run(const Options& opt) {
  // SIGHUP reloads, SIGINT and SIGTERM stop, all on a thread of their own:
  // neither is safe in a signal handler. Blocked before any thread starts, so
  // that every thread inherits the mask and only the waiter receives them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGINT, SIGTERM}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  LoadResult loaded = load_policy_file(opt.policy);
  print_errors(loaded.diagnostics);
  if (!loaded.ok()) return kExitUsage;
  TokenSource source;
  std::optional<std::string> operator_secret;
  if (!token_source(opt, *loaded.policy, source, operator_secret)) return kExitUsage;

  Metrics metrics;
  Gate gate(opt.gate, operator_secret, std::move(source), metrics);
  std::string error;
  if (!gate.install(loaded.policy, &error)) {
    std::cerr << "policy-gate: error: operator secret: " << error << '\n';
    return kExitUsage;
  }

  // Every version of the file that loads goes in force; one that does not
  // leaves the last good policy in force.
  PolicyHolder holder(loaded.policy);
  auto on_reload = [&](const ReloadEvent& event) {
    std::string why;
    const bool applied = event.applied && gate.install(holder.current(), &why);
    metrics.record_reload(applied);
    if (applied) {
      std::cerr << "policy-gate: " << opt.policy << ": in force, " << gate.policy()->routes().size() << " routes\n";
      return;
    }
    std::cerr << "policy-gate: " << opt.policy << ": refused, the last good policy stays in force\n";
    print_errors(event.diagnostics);
    if (!why.empty()) std::cerr << "policy-gate: operator secret: " << why << '\n';
  };
  PolicyWatcher watcher(opt.policy, holder, on_reload,
                        {.use_inotify = true, .poll_interval = std::chrono::milliseconds(opt.watch_interval_ms)});

  example::RawRequestServer server;
  const int port = opt.port == 0 ? server.bind_to_any_port(opt.listen)
                                 : (server.bind_to_port(opt.listen, opt.port) ? opt.port : -1);
  if (port <= 0) {
    std::cerr << "policy-gate: error: cannot listen on " << opt.listen << ':' << opt.port << '\n';
    return kExitUsage;
  }
  // Every request is answered here, on its raw method, target and headers.
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    gate.handle(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  std::printf("policy-gate: listening on %s:%d\n", opt.listen.c_str(), port);
  std::fflush(stdout);

  std::thread waiter([&] {
    for (int sig = 0; sigwait(&signals, &sig) == 0 && sig == SIGHUP;) watcher.reload();
    server.stop();
  });
  const bool ok = server.listen_after_bind();
  // listen_after_bind returns only after stop(), or on a listening error: in
  // the latter case wake the waiter so that it can be joined.
  if (!ok) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"policy-gate: answers nginx auth_request and Envoy ext_authz (HTTP) requests with scopegate decisions"};
  app.add_option("--policy", opt.policy, "Policy file; reloaded on SIGHUP and when it changes")->required();
  auto* tokens = app.add_option("--tokens", opt.tokens,
                                "Tokens file (contract section 8); its operator_token, when present, is the "
                                "operator secret, else the policy's environment variable ($PLATFORM_API_SERVER_TOKEN)");
  auto* introspect = app.add_option("--introspect", opt.introspect,
                                    "RFC 7662 introspection endpoint for user tokens, http(s)://host[:port]/path");
  tokens->excludes(introspect);
  app.add_option("--introspect-auth-env", opt.introspect_auth_env,
                 "Environment variable holding the Authorization header value sent to the introspection endpoint");
  app.add_option("--projects-claim", opt.introspection.projects_claim,
                 "Introspection claim listing the user's project ids (an array of strings)")
      ->capture_default_str();
  app.add_option("--cache-size", opt.introspection.cache_size, "Introspection answers kept, 1 to 1000000")
      ->capture_default_str();
  app.add_option("--cache-ttl", opt.cache_ttl_seconds,
                 "Seconds an introspection answer is kept, 0 to 3600 (never past the token's exp)")
      ->capture_default_str();
  app.add_option("--introspect-timeout", opt.introspect_timeout_ms, "Milliseconds for one introspection request")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  app.add_option("--listen", opt.listen, "Address to listen on")->capture_default_str();
  app.add_option("--port", opt.port, "Port; 0 picks a free one (printed on stdout)")->capture_default_str();
  app.add_option("--method-header", opt.gate.method_header, "Header with the original method (nginx)")
      ->capture_default_str();
  app.add_option("--uri-header", opt.gate.uri_header, "Header with the original raw request-target (nginx)")
      ->capture_default_str();
  app.add_option("--actor-header", opt.gate.actor_header, "Response header with the actor of an allowed request")
      ->capture_default_str();
  app.add_option("--envoy-prefix", opt.gate.envoy_prefix, "Envoy ext_authz path_prefix")->capture_default_str();
  app.add_option("--watch-interval", opt.watch_interval_ms, "Milliseconds between looks at the policy file")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.footer(
      "Endpoints: /auth (nginx auth_request), <envoy-prefix>/... (Envoy ext_authz), /healthz, /metrics.\n"
      "Exit status: 0 stopped by SIGINT or SIGTERM, 1 the server failed, 2 usage error or a policy, tokens file "
      "or operator secret that does not load.");
  try {
    app.parse(argc, argv);
    if (opt.tokens.empty() == opt.introspect.empty()) throw CLI::RequiredError("--tokens or --introspect");
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return run(opt);
}
