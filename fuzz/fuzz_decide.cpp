// decide() on the shipped Comwit policy with a fuzzed method, target and header
// list (input format: fuzz_support.hpp, TextRequest). Checks inside:
//  - a user token is never allowed on an operator-only path (a route of the
//    decided method, or a prefix family), judged by a plain pattern match here
//    rather than by the engine's trie;
//  - status, reason, allow and the rendered response agree;
//  - the engine and the reference evaluator agree on every field;
//  - HEAD decides as GET; a public decision reads no credential.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "differential.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 16384;

/// `pattern` (from the policy's spec) matches the canonical `path` in full.
bool pattern_matches(std::string_view pattern, std::string_view path) {
  if (pattern == "/" || path == "/") return pattern == path;
  std::size_t p = 1;
  std::size_t q = 1;
  while (true) {
    const std::size_t pe = std::min(pattern.find('/', p), pattern.size());
    const std::size_t qe = std::min(path.find('/', q), path.size());
    const std::string_view ps = pattern.substr(p, pe - p);
    const std::string_view qs = path.substr(q, qe - q);
    const bool param = ps.starts_with('{');
    if (param ? qs.empty() : ps != qs) return false;
    const bool pattern_done = pe == pattern.size();
    const bool path_done = qe == path.size();
    if (pattern_done || path_done) return pattern_done && path_done;
    p = pe + 1;
    q = qe + 1;
  }
}

bool user_token_in(const fuzz::HeaderPairs& headers, const CompiledPolicy& policy) {
  std::string_view value;
  std::size_t count = 0;
  for (const auto& [name, v] : headers) {
    if (!detail::iequals(name, "Authorization")) continue;
    ++count;
    value = v;
  }
  if (count != 1) return false;
  const Authorization a = parse_authorization(value);
  return a.form == AuthorizationForm::kBearer && policy.user_class().matches(a.token);
}

void check_user_never_operator_only(const Decision& d, std::string_view method, const CompiledPolicy& policy) {
  if (!d.allow() || d.reason == Reason::kPublic) return;
  const std::string_view path = d.canonical_path();
  for (const auto& family : policy.spec().operator_prefixes)
    SCOPEGATE_FUZZ_CHECK(!path.starts_with(family.prefix), "a user token is allowed under prefix family '%s'",
                         family.prefix.c_str());
  const std::string_view decided = method == "HEAD" ? "GET" : method;
  for (const RouteSpec& r : policy.spec().routes)
    SCOPEGATE_FUZZ_CHECK(r.auth != RouteAuth::kOperatorOnly || method_name(r.method) != decided ||
                             !pattern_matches(r.pattern, path),
                         "a user token is allowed on operator-only route %s %s", std::string(decided).c_str(),
                         r.pattern.c_str());
}

void check_status_and_reason(const Decision& d, std::string_view realm) {
  const int status = d.status();
  SCOPEGATE_FUZZ_CHECK(status == reason_status(d.reason), "status %d for reason %s", status,
                       std::string(reason_name(d.reason)).c_str());
  SCOPEGATE_FUZZ_CHECK(d.allow() == (status == 200), "allow is %d with status %d", d.allow(), status);
  const std::string line = decision_json(d);
  const std::string head = std::string("{\"allow\": ") + (d.allow() ? "true" : "false") +
                           ", \"status\": " + std::to_string(status) + ", \"reason\": \"" +
                           std::string(reason_name(d.reason)) + "\"";
  SCOPEGATE_FUZZ_CHECK(line.starts_with(head), "decision line '%s' does not start with '%s'", line.c_str(), head.c_str());
  if (!d.allow()) {
    const std::string body = error_body_json(d);
    SCOPEGATE_FUZZ_CHECK(body.starts_with("{\"error\": {\"status\": " + std::to_string(status) + ","),
                         "error body '%s' for status %d", body.c_str(), status);
  }
  const bool challenges = status == 401 || d.reason == Reason::kInsufficientScope || d.reason == Reason::kInvalidRequest;
  SCOPEGATE_FUZZ_CHECK(www_authenticate(d, realm).empty() != challenges, "WWW-Authenticate does not fit reason %s",
                       std::string(reason_name(d.reason)).c_str());
  SCOPEGATE_FUZZ_CHECK((d.reason == Reason::kMethodNotAllowed) == (d.allowed_methods != 0),
                       "allowed methods %u with reason %s", static_cast<unsigned>(d.allowed_methods),
                       std::string(reason_name(d.reason)).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = fuzz::capped(data, size, kMaxInput);
  if (!input) return -1;
  const fuzz::TextRequest req = fuzz::parse_text_request(*input);
  const auto& f = fuzz::ComwitFixture::get();
  const std::optional<std::string> secret(fuzz::kOperatorSecret);
  const Decision d =
      fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, req.method, req.target, req.headers);

  check_status_and_reason(d, f.policy->realm());
  if (user_token_in(req.headers, *f.policy)) check_user_never_operator_only(d, req.method, *f.policy);

  if (req.method == "GET") {
    const Decision head =
        fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, "HEAD", req.target, req.headers);
    SCOPEGATE_FUZZ_CHECK(reference::from_engine(head) == reference::from_engine(d), "HEAD decides otherwise than GET");
  }
  if (d.reason == Reason::kPublic) {
    fuzz::HeaderPairs without_credentials;
    for (const auto& h : req.headers)
      if (!detail::iequals(h.first, "Authorization") && !detail::iequals(h.first, f.policy->actor_header()))
        without_credentials.push_back(h);
    const Decision bare = fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, req.method,
                                            req.target, without_credentials);
    SCOPEGATE_FUZZ_CHECK(bare.reason == Reason::kPublic && bare.route == d.route,
                         "a public decision changes without the credentials");
  }
  return 0;
}
