// The C ABI of include/scopegate/scopegate.h over the C++ library. Every entry
// point catches everything: no exception crosses into C.

#include "scopegate/scopegate.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/engine.hpp"
#include "scopegate/render.hpp"
#include "scopegate/yaml.hpp"

struct scopegate_policy {
  std::shared_ptr<const scopegate::CompiledPolicy> compiled;
  scopegate::OperatorSecret secret;
};

struct scopegate_diagnostics {
  std::vector<scopegate::Diagnostic> items;
  std::vector<std::string> formatted;
};

struct scopegate_decision {
  // INVARIANT: `decision`'s route and scope views point into `policy`, its
  // actor into `actor`; its project lives in the decision itself.
  std::shared_ptr<const scopegate::CompiledPolicy> policy;
  scopegate::Decision decision;
  std::string actor;
  std::string allowed_methods;
  std::string json;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string project;
};

namespace {

std::string_view view(scopegate_str s) { return s.size == 0 ? std::string_view() : std::string_view(s.data, s.size); }

// The diagnostics a caller asked for, or none when it did not ask or there are none.
void hand_out(std::vector<scopegate::Diagnostic> found, scopegate_diagnostics** out) {
  if (out == nullptr) return;
  *out = nullptr;
  if (found.empty()) return;
  auto d = std::make_unique<scopegate_diagnostics>();
  for (const auto& item : found) d->formatted.push_back(item.format());
  d->items = std::move(found);
  *out = d.release();
}

scopegate_policy* finish_load(scopegate::LoadResult loaded, const scopegate_str* operator_secret,
                              scopegate_diagnostics** diagnostics) {
  std::unique_ptr<scopegate_policy> policy;
  if (loaded.ok()) {
    std::string error;
    std::optional<scopegate::OperatorSecret> secret =
        operator_secret ? scopegate::OperatorSecret::make(view(*operator_secret), *loaded.policy, &error)
                        : scopegate::OperatorSecret::from_environment(*loaded.policy, &error);
    if (secret) {
      policy = std::make_unique<scopegate_policy>();
      policy->compiled = std::move(loaded.policy);
      policy->secret = std::move(*secret);
    } else {
      loaded.diagnostics.push_back(scopegate::Diagnostic{"SG900", scopegate::Severity::kError,
                                                         loaded.policy->settings().file, {}, error,
                                                         "pass a token68 secret that is not of the user class", {}});
    }
  }
  hand_out(std::move(loaded.diagnostics), diagnostics);
  return policy.release();
}

// Adapts the C callback; owns the views of one grant for one decision.
class CallbackResolver final : public scopegate::TokenResolver {
 public:
  CallbackResolver(scopegate_resolve_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  std::optional<scopegate::UserGrant> resolve(std::string_view token) const override {
    if (fn_ == nullptr) return std::nullopt;
    scopegate_grant grant{};
    if (fn_(user_data_, scopegate_str{token.data(), token.size()}, &grant) != 1) return std::nullopt;
    scopes_.clear();
    projects_.clear();
    for (std::size_t i = 0; i < grant.scope_count; ++i) scopes_.push_back(view(grant.scopes[i]));
    for (std::size_t i = 0; i < grant.project_count; ++i) projects_.push_back(view(grant.projects[i]));
    return scopegate::UserGrant{view(grant.user_id), scopes_, projects_};
  }

 private:
  scopegate_resolve_fn fn_;
  void* user_data_;
  // Filled by the one resolve() of a decision, which runs on the deciding thread.
  mutable std::vector<std::string_view> scopes_;
  mutable std::vector<std::string_view> projects_;
};

// An empty fact is the contract's null.
const char* nullable(const std::string& fact) { return fact.empty() ? nullptr : fact.c_str(); }

}  // namespace

extern "C" {

const char* scopegate_version(void) { return SCOPEGATE_VERSION; }

scopegate_policy* scopegate_policy_load_file(const char* path, const scopegate_str* operator_secret,
                                             scopegate_diagnostics** diagnostics) {
  if (diagnostics) *diagnostics = nullptr;
  if (path == nullptr) return nullptr;
  try {
    return finish_load(scopegate::load_policy_file(path), operator_secret, diagnostics);
  } catch (...) {
    return nullptr;
  }
}

scopegate_policy* scopegate_policy_load_text(scopegate_str text, const char* file_name,
                                             const scopegate_str* operator_secret, scopegate_diagnostics** diagnostics) {
  if (diagnostics) *diagnostics = nullptr;
  try {
    return finish_load(scopegate::load_policy_text(view(text), file_name ? file_name : "<text>"), operator_secret,
                       diagnostics);
  } catch (...) {
    return nullptr;
  }
}

const char* scopegate_policy_name(const scopegate_policy* policy) {
  return policy ? policy->compiled->settings().name.c_str() : nullptr;
}

size_t scopegate_policy_route_count(const scopegate_policy* policy) {
  return policy ? policy->compiled->routes().size() : 0;
}

void scopegate_policy_free(scopegate_policy* policy) { delete policy; }

size_t scopegate_diagnostics_count(const scopegate_diagnostics* diagnostics) {
  return diagnostics ? diagnostics->items.size() : 0;
}

int scopegate_diagnostics_get(const scopegate_diagnostics* diagnostics, size_t index, scopegate_diagnostic* out) {
  if (diagnostics == nullptr || out == nullptr || index >= diagnostics->items.size()) return 0;
  const scopegate::Diagnostic& d = diagnostics->items[index];
  out->code = d.code.c_str();
  out->severity = static_cast<int>(d.severity);
  out->file = d.file.c_str();
  out->line = d.pos.line;
  out->column = d.pos.column;
  out->message = d.message.c_str();
  out->hint = d.hint.c_str();
  out->related_line = d.related ? d.related->line : 0;
  out->related_column = d.related ? d.related->column : 0;
  return 1;
}

const char* scopegate_diagnostics_format(const scopegate_diagnostics* diagnostics, size_t index) {
  if (diagnostics == nullptr || index >= diagnostics->formatted.size()) return nullptr;
  return diagnostics->formatted[index].c_str();
}

void scopegate_diagnostics_free(scopegate_diagnostics* diagnostics) { delete diagnostics; }

scopegate_decision* scopegate_decide(const scopegate_policy* policy, const scopegate_request* request,
                                     scopegate_resolve_fn resolve, void* user_data) {
  if (policy == nullptr || request == nullptr) return nullptr;
  try {
    std::vector<scopegate::Header> headers;
    headers.reserve(request->header_count);
    for (std::size_t i = 0; i < request->header_count; ++i)
      headers.push_back({view(request->headers[i].name), view(request->headers[i].value)});
    const CallbackResolver resolver(resolve, user_data);
    auto out = std::make_unique<scopegate_decision>();
    out->policy = policy->compiled;
    out->decision = scopegate::decide(*policy->compiled, {view(request->method), view(request->target), headers},
                                      resolver, policy->secret);
    // The actor may point into the request or the grant, which the caller
    // owns: keep a copy and point at it.
    scopegate::Decision& d = out->decision;
    out->actor = std::string(d.actor);
    d.actor = std::string_view(out->actor.data(), out->actor.size());
    out->project = std::string(d.project());
    out->json = scopegate::decision_json(d);
    if (d.reason == scopegate::Reason::kMethodNotAllowed) {
      out->allowed_methods = scopegate::allow_header(d.allowed_methods);
      out->headers.emplace_back("Allow", out->allowed_methods);
    }
    if (std::string www = scopegate::www_authenticate(d, out->policy->realm()); !www.empty())
      out->headers.emplace_back("WWW-Authenticate", std::move(www));
    if (!d.allow()) out->body = scopegate::error_body_json(d);
    return out.release();
  } catch (...) {
    return nullptr;
  }
}

int scopegate_decision_allow(const scopegate_decision* decision) { return decision && decision->decision.allow(); }

int scopegate_decision_status(const scopegate_decision* decision) {
  return decision ? decision->decision.status() : 0;
}

const char* scopegate_decision_reason(const scopegate_decision* decision) {
  // The reason names are string literals: NUL-terminated, static storage.
  return decision ? scopegate::reason_name(decision->decision.reason).data() : nullptr;
}

const char* scopegate_decision_route(const scopegate_decision* decision) {
  // Route texts end in a NUL in the compiled policy, which the decision keeps.
  return decision && decision->decision.has_route() ? decision->decision.route.data() : nullptr;
}

const char* scopegate_decision_required_scope(const scopegate_decision* decision) {
  return decision && !decision->decision.required_scope.empty() ? decision->decision.required_scope.data() : nullptr;
}

const char* scopegate_decision_project(const scopegate_decision* decision) {
  return decision ? nullable(decision->project) : nullptr;
}

const char* scopegate_decision_actor(const scopegate_decision* decision) {
  return decision ? nullable(decision->actor) : nullptr;
}

int scopegate_decision_actor_header_ignored(const scopegate_decision* decision) {
  return decision && decision->decision.actor_header_ignored;
}

const char* scopegate_decision_allowed_methods(const scopegate_decision* decision) {
  return decision && decision->decision.reason == scopegate::Reason::kMethodNotAllowed
             ? decision->allowed_methods.c_str()
             : nullptr;
}

const char* scopegate_decision_json(const scopegate_decision* decision) {
  return decision ? decision->json.c_str() : nullptr;
}

size_t scopegate_decision_header_count(const scopegate_decision* decision) {
  return decision ? decision->headers.size() : 0;
}

int scopegate_decision_header(const scopegate_decision* decision, size_t index, const char** name,
                              const char** value) {
  if (decision == nullptr || index >= decision->headers.size()) return 0;
  if (name) *name = decision->headers[index].first.c_str();
  if (value) *value = decision->headers[index].second.c_str();
  return 1;
}

const char* scopegate_decision_body(const scopegate_decision* decision) {
  return decision && !decision->decision.allow() ? decision->body.c_str() : nullptr;
}

void scopegate_decision_free(scopegate_decision* decision) { delete decision; }

}  // extern "C"
