// The YAML loader on any bytes, read both as a policy and as a tokens file:
// either a result or positioned errors, never a crash, in time linear in the
// input (libFuzzer's -timeout and -rss_limit_mb bound the rest). Checks:
//  - a policy comes back exactly when no error does, and errors are sorted,
//    one line each, with a stable code and a position inside the text;
//  - a loaded policy compiles again from its own spec, and every route of it
//    decides like the reference evaluator on a path its pattern matches;
//  - a tokens file comes back exactly when no error does, with every token of
//    the user class and none listed twice.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>

#include "differential.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 64 * 1024;
constexpr std::size_t kMaxRoutesDecided = 64;

void check_diagnostics(const std::vector<Diagnostic>& diags, std::string_view file, std::string_view text) {
  const auto lines = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);
  for (std::size_t i = 0; i < diags.size(); ++i) {
    const Diagnostic& d = diags[i];
    const std::string line = d.format();
    SCOPEGATE_FUZZ_CHECK(d.file == file, "diagnostic names file '%s'", d.file.c_str());
    SCOPEGATE_FUZZ_CHECK(d.code.size() == 5 && d.code.starts_with("SG") &&
                             std::all_of(d.code.begin() + 2, d.code.end(), [](char c) { return c >= '0' && c <= '9'; }),
                         "bad code in '%s'", line.c_str());
    SCOPEGATE_FUZZ_CHECK(!d.message.empty() && line.find_first_of("\r\n") == std::string::npos,
                         "empty or multi-line message: '%s'", line.c_str());
    SCOPEGATE_FUZZ_CHECK(d.pos.line <= lines && (d.pos.line == 0) == (d.pos.column == 0),
                         "position outside a %u-line text: '%s'", lines, line.c_str());
    SCOPEGATE_FUZZ_CHECK(!d.related || d.related->line <= lines, "second position outside a %u-line text: '%s'",
                         lines, line.c_str());
    if (i > 0)
      SCOPEGATE_FUZZ_CHECK(!(d.pos < diags[i - 1].pos), "diagnostics out of order at '%s'", line.c_str());
  }
}

/// A concrete path for a pattern: every parameter becomes its own name.
std::string path_for(std::string_view pattern) {
  std::string path;
  for (char c : pattern)
    if (c != '{' && c != '}') path += c;
  return path;
}

void check_policy(const std::shared_ptr<const CompiledPolicy>& policy) {
  CompileResult again = compile(policy->spec());
  SCOPEGATE_FUZZ_CHECK(again.ok(), "a loaded policy does not compile again: %s",
                       again.diagnostics.empty() ? "" : again.diagnostics.front().format().c_str());
  std::string error;
  std::optional<OperatorSecret> secret = OperatorSecret::make(fuzz::kOperatorSecret, *policy, &error);
  std::optional<std::string> secret_text;
  // A fuzzed user class may give the fixture's secret a user token's shape.
  if (!secret) secret = OperatorSecret();
  else if (secret->present()) secret_text = std::string(fuzz::kOperatorSecret);
  const TokensFile no_users;
  const StaticTokenResolver resolver({});
  const fuzz::HeaderPairs as_operator = {{"Authorization", "Bearer " + std::string(fuzz::kOperatorSecret)}};
  const auto& routes = policy->spec().routes;
  for (std::size_t i = 0; i < routes.size() && i < kMaxRoutesDecided; ++i) {
    const std::string method(method_name(routes[i].method));
    const std::string path = path_for(routes[i].pattern);
    fuzz::decide_both(*policy, no_users, resolver, *secret, secret_text, method, path, as_operator);
    fuzz::decide_both(*policy, no_users, resolver, *secret, secret_text, method, path, {});
  }
}

void check_tokens(const TokensResult& r, const CompiledPolicy& policy) {
  SCOPEGATE_FUZZ_CHECK(r.tokens.has_value() == !has_errors(r.diagnostics), "tokens and errors disagree");
  if (!r.tokens) return;
  std::set<std::string_view> seen;
  for (const auto& u : r.tokens->users) {
    SCOPEGATE_FUZZ_CHECK(policy.user_class().matches(u.token), "accepted token '%s' is not of the user class",
                         u.token.c_str());
    SCOPEGATE_FUZZ_CHECK(seen.insert(u.token).second, "token '%s' accepted twice", u.token.c_str());
    SCOPEGATE_FUZZ_CHECK(!u.user_id.empty(), "a user without a user id");
  }
  if (r.tokens->operator_token && !r.tokens->operator_token->empty()) {
    std::string error;
    SCOPEGATE_FUZZ_CHECK(OperatorSecret::make(*r.tokens->operator_token, policy, &error).has_value(),
                         "an accepted operator_token is refused as a secret: %s", error.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::capped(data, size, kMaxInput);
  if (!text) return -1;

  LoadResult loaded = load_policy_text(*text, "fuzz.yaml");
  SCOPEGATE_FUZZ_CHECK(loaded.ok() == !has_errors(loaded.diagnostics), "policy and errors disagree");
  check_diagnostics(loaded.diagnostics, "fuzz.yaml", *text);
  SpecResult parsed = parse_policy_text(*text, "fuzz.yaml");
  SCOPEGATE_FUZZ_CHECK(parsed.spec.has_value() == !has_errors(parsed.diagnostics), "spec and errors disagree");
  if (!parsed.spec) SCOPEGATE_FUZZ_CHECK(!loaded.ok(), "a policy that does not parse loads");
  if (loaded.ok()) check_policy(loaded.policy);

  const auto& f = fuzz::ComwitFixture::get();
  TokensResult tokens = parse_tokens_text(*text, "fuzz-tokens.yaml", f.policy->spec());
  check_diagnostics(tokens.diagnostics, "fuzz-tokens.yaml", *text);
  check_tokens(tokens, *f.policy);
  return 0;
}
