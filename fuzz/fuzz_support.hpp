#pragma once
// Shared by the fuzz targets: the invariant check, a reader that turns fuzz
// bytes into structured choices, and the Comwit fixtures that several targets
// decide against. Both the libFuzzer build and the replay build use it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/scopegate.hpp"
#include "scopegate/yaml.hpp"

/// Reports a broken invariant and aborts, which both libFuzzer and the replay
/// main count as a finding (libFuzzer then saves the input as a crash file).
#define SCOPEGATE_FUZZ_CHECK(cond, ...)                                                    \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                   \
      std::fputc('\n', stderr);                                                            \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)

namespace scopegate::fuzz {

/// Input as text. Every target drops inputs above its cap (RE2's fuzzer does the
/// same) so that time goes into variety, not into long inputs.
inline std::optional<std::string_view> capped(const std::uint8_t* data, std::size_t size, std::size_t cap) {
  if (size > cap) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

/// Consumes fuzz bytes as choices. Past the end every choice is 0, so any
/// input, even an empty one, describes a whole structure.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : rest_(bytes) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  /// A number in [0, n); n must be at most 256.
  std::size_t below(std::size_t n) { return n == 0 ? 0 : byte() % n; }

 private:
  std::string_view rest_;
};

/// A request written as text, the input format of fuzz_decide and the request
/// half of fuzz_differential: the method on the first line, the raw target on
/// the second, then one header a line as `Name: value` (the value is the text
/// after the first `:`, less one space; a line without `:` is a name with an
/// empty value). Text, so that conformance cases seed it and a crash reads.
struct TextRequest {
  std::string_view method;
  std::string_view target;
  std::vector<std::pair<std::string, std::string>> headers;
};

inline TextRequest parse_text_request(std::string_view text) {
  TextRequest r;
  auto next_line = [&text]() {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
  };
  r.method = next_line();
  r.target = next_line();
  while (!text.empty()) {
    std::string_view line = next_line();
    const std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    r.headers.emplace_back(name, value);
  }
  return r;
}

/// The secret of the conformance fixtures' operator.
inline constexpr std::string_view kOperatorSecret = "op-secret-for-tests";

/// The shipped Comwit policy and the conformance users, loaded once. The files
/// are found through SCOPEGATE_SOURCE_DIR, which the build defines.
struct ComwitFixture {
  std::shared_ptr<const CompiledPolicy> policy;
  TokensFile tokens;
  std::unique_ptr<StaticTokenResolver> resolver;
  OperatorSecret secret;

  static const ComwitFixture& get() {
    static const ComwitFixture fixture = load();
    return fixture;
  }

 private:
  static ComwitFixture load() {
    ComwitFixture f;
    const std::string root = SCOPEGATE_SOURCE_DIR;
    LoadResult loaded = load_policy_file(root + "/policies/comwit.yaml");
    if (!loaded.ok()) fail("policies/comwit.yaml", loaded.diagnostics);
    f.policy = loaded.policy;
    TokensResult tokens = load_tokens_file(root + "/conformance/fixtures/comwit-tokens.yaml", f.policy->spec());
    if (!tokens.tokens) fail("conformance/fixtures/comwit-tokens.yaml", tokens.diagnostics);
    f.tokens = *tokens.tokens;
    f.resolver = std::make_unique<StaticTokenResolver>(f.tokens.users);
    std::string error;
    std::optional<OperatorSecret> secret = OperatorSecret::make(kOperatorSecret, *f.policy, &error);
    if (!secret) fail(error.c_str(), {});
    f.secret = *secret;
    return f;
  }

  [[noreturn]] static void fail(const char* what, const std::vector<Diagnostic>& diags) {
    std::fprintf(stderr, "fuzz fixture: cannot load %s\n", what);
    for (const auto& d : diags) std::fprintf(stderr, "  %s\n", d.format().c_str());
    std::abort();
  }
};

}  // namespace scopegate::fuzz
