#pragma once
// policy-gate's request handling: nginx auth_request subrequests, Envoy
// ext_authz HTTP requests, /healthz and /metrics (README.md beside this file).

#include <httplib.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "introspection.hpp"
#include "metrics.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/tokens.hpp"

namespace scopegate::gate {

struct GateOptions {
  std::string method_header = "X-Original-Method";  ///< nginx: the original method
  std::string uri_header = "X-Original-URI";        ///< nginx: the original raw request-target
  std::string actor_header = "X-Comwit-Actor";      ///< the actor of an allowed request, to the upstream
  std::string envoy_prefix = "/ext_authz";          ///< Envoy's `path_prefix`
};

/// Where user tokens are resolved: exactly one of the two.
struct TokenSource {
  std::unique_ptr<StaticTokenResolver> table;
  std::unique_ptr<Introspector> introspector;
};

/// Thread safety: `handle` runs on every server thread at once; `install` may
/// run on another thread meanwhile (a request decides with the policy it
/// started with, whole).
class Gate {
 public:
  /// `operator_secret`: nullopt takes it from the environment variable that
  /// each policy names.
  Gate(GateOptions options, std::optional<std::string> operator_secret, TokenSource tokens, Metrics& metrics)
      : options_(std::move(options)),
        operator_secret_(std::move(operator_secret)),
        tokens_(std::move(tokens)),
        metrics_(metrics) {}

  /// Puts a newly compiled policy in force. False, with `*error`, when the
  /// operator secret is not valid for it: the policy in force stays.
  bool install(std::shared_ptr<const CompiledPolicy> policy, std::string* error);
  /// The policy in force, or null before the first install.
  std::shared_ptr<const CompiledPolicy> policy() const;

  void handle(const httplib::Request& req, httplib::Response& res);

 private:
  struct Snapshot {
    std::shared_ptr<const CompiledPolicy> policy;
    OperatorSecret secret;
  };
  enum class Mode { kNginx, kEnvoy };

  void decide_and_answer(Mode mode, std::string_view method, std::string_view target,
                         std::span<const Header> headers, httplib::Response& res);

  const GateOptions options_;
  const std::optional<std::string> operator_secret_;
  TokenSource tokens_;
  Metrics& metrics_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace scopegate::gate
