#include "gate.hpp"

#include <chrono>
#include <vector>

#include "scopegate/detail/ascii.hpp"
#include "scopegate/render.hpp"

namespace scopegate::gate {
namespace {

void answer_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

// A fault of the deployment, not of the request: nginx turns it into a 500.
void misconfigured(httplib::Response& res, const std::string& why) {
  std::string body = "{\"error\": {\"status\": 500, \"code\": \"gate_misconfigured\", \"message\": ";
  detail::append_json_string(body, why);
  answer_json(res, 500, body + "}}");
}

}  // namespace

bool Gate::install(std::shared_ptr<const CompiledPolicy> policy, std::string* error) {
  std::optional<OperatorSecret> secret = operator_secret_ ? OperatorSecret::make(*operator_secret_, *policy, error)
                                                          : OperatorSecret::from_environment(*policy, error);
  if (!secret) return false;
  metrics_.set_routes(policy->routes().size());
  snapshot_.store(std::make_shared<const Snapshot>(Snapshot{std::move(policy), std::move(*secret)}),
                  std::memory_order_release);
  return true;
}

std::shared_ptr<const CompiledPolicy> Gate::policy() const {
  auto s = snapshot_.load(std::memory_order_acquire);
  return s ? s->policy : nullptr;
}

void Gate::handle(const httplib::Request& req, httplib::Response& res) {
  const std::string& target = req.target;
  if (target == "/healthz") {
    auto p = policy();
    std::string body = "{\"status\": \"ok\", \"policy\": ";
    detail::append_json_string(body, p->settings().name);
    answer_json(res, 200, body + ", \"routes\": " + std::to_string(p->routes().size()) + "}");
    return;
  }
  if (target == "/metrics") {
    res.status = 200;
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
    return;
  }

  // The headers the decision sees: every header as received, less the two
  // that carry nginx's original method and target.
  std::vector<Header> headers;
  headers.reserve(req.headers.size());
  std::vector<std::string_view> methods, targets;
  for (const auto& [name, value] : req.headers) {
    if (detail::iequals(name, options_.method_header)) methods.push_back(value);
    else if (detail::iequals(name, options_.uri_header)) targets.push_back(value);
    else headers.push_back({name, value});
  }

  if (target == "/auth") {
    // One of each, set by the proxy itself; anything else is its configuration's fault.
    if (methods.size() != 1 || targets.size() != 1) {
      misconfigured(res, "an auth request needs exactly one " + options_.method_header + " and one " +
                             options_.uri_header + " header");
      return;
    }
    decide_and_answer(Mode::kNginx, methods[0], targets[0], headers, res);
    return;
  }
  const std::string& prefix = options_.envoy_prefix;
  if (target.starts_with(prefix) && (target.size() == prefix.size() || target[prefix.size()] == '/' ||
                                     target[prefix.size()] == '?')) {
    // Envoy sends the original method, and the original :path after its
    // path_prefix; every header of the request, when configured to.
    std::vector<Header> all;
    for (const auto& [name, value] : req.headers) all.push_back({name, value});
    decide_and_answer(Mode::kEnvoy, req.method, std::string_view(target).substr(prefix.size()), all, res);
    return;
  }
  answer_json(res, 404,
              "{\"error\": {\"status\": 404, \"code\": \"not_found\", \"message\": \"policy-gate answers /auth, " +
                  prefix + "/..., /healthz and /metrics\"}}");
}

void Gate::decide_and_answer(Mode mode, std::string_view method, std::string_view target,
                             std::span<const Header> headers, httplib::Response& res) {
  const auto snapshot = snapshot_.load(std::memory_order_acquire);
  const CompiledPolicy& policy = *snapshot->policy;
  const RequestResolver resolver(tokens_.table.get(), tokens_.introspector.get());
  const auto started = std::chrono::steady_clock::now();
  const Decision d = decide(policy, Request{method, target, headers}, resolver, snapshot->secret);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  if (resolver.introspected()) {
    metrics_.record_introspection(resolver.cache_hit());
    metrics_.set_cache_entries(tokens_.introspector->cache_entries());
  }
  // The token could not be checked: neither allow nor call it invalid.
  if (resolver.unavailable()) {
    metrics_.record_unavailable();
    answer_json(res, 503,
                "{\"error\": {\"status\": 503, \"code\": \"introspection_unavailable\", \"message\": \"the token "
                "cannot be checked now\"}}");
    return;
  }
  metrics_.record(d.reason, elapsed);

  res.set_header("X-Scopegate-Reason", std::string(reason_name(d.reason)));
  if (d.allow()) {
    res.status = 200;
    if (!d.actor.empty()) res.set_header(options_.actor_header, std::string(d.actor));
    return;
  }
  // Section 7: the challenge, the Allow list and the error body.
  if (std::string challenge = www_authenticate(d, policy.realm()); !challenge.empty())
    res.set_header("WWW-Authenticate", challenge);
  if (d.reason == Reason::kMethodNotAllowed) res.set_header("Allow", allow_header(d.allowed_methods));
  const std::string body = error_body_json(d);
  if (mode == Mode::kNginx) {
    // auth_request passes on 401 and 403 only, turns any other status into a
    // 500 and drops the body: the real status and the body travel in headers
    // for the nginx configuration to answer with (examples/nginx).
    res.status = d.status() == 401 ? 401 : 403;
    res.set_header("X-Scopegate-Status", std::to_string(d.status()));
    res.set_header("X-Scopegate-Body", body);
    return;
  }
  answer_json(res, d.status(), body);
}

}  // namespace scopegate::gate
