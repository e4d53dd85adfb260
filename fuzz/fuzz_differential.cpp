// Differential: a small route table built from the fuzz bytes, then one request,
// decided by the engine (compile() and its trie) and by the reference evaluator
// (a linear reading of the same PolicySpec); every field must agree.
//
// Input: the table's bytes up to the first NUL byte, then a request in the text
// format of fuzz_support.hpp (TextRequest), so that conformance requests seed
// it. Every byte sequence describes a valid table shape (choices are taken
// modulo the vocabulary), so mutations rarely fall outside the interesting
// space. The users are the conformance fixture's, so the table uses Comwit's
// scopes and path words.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>

#include "differential.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 4096;
constexpr std::size_t kMaxTableRoutes = 12;

// Literal path words: Comwit's, the conformance fixtures' project ids, and a
// few that stress matching (sub-delims, a dot inside a word, a prefix of
// another word).
constexpr std::string_view kLiterals[] = {
    "v1", "projects", "prj_alpha", "prj_beta", "apps", "databases", "status", "auth", "device",
    "a",  "b",        "a;b",       "x.y",      "~",    "a:b",       "project", "db",   "PRJ_ALPHA"};
constexpr std::string_view kParams[] = {"projectId", "id", "name"};
constexpr std::string_view kScopes[] = {"project:read", "app:read", "app:write", "database:read", "domain:purchase"};

std::string make_pattern(fuzz::ByteReader& in, std::vector<std::string_view>& params) {
  const std::size_t segments = in.below(5);
  std::string pattern;
  for (std::size_t i = 0; i < segments; ++i) {
    pattern += '/';
    const std::size_t choice = in.below(std::size(kLiterals) + std::size(kParams));
    if (choice < std::size(kLiterals)) {
      pattern += kLiterals[choice];
      continue;
    }
    // A parameter name may appear once in a pattern; a repeat becomes the
    // next free name, or a literal when all are taken.
    std::string_view name;
    for (std::size_t k = 0; k < std::size(kParams) && name.empty(); ++k) {
      std::string_view candidate = kParams[(choice - std::size(kLiterals) + k) % std::size(kParams)];
      if (std::find(params.begin(), params.end(), candidate) == params.end()) name = candidate;
    }
    if (name.empty()) {
      pattern += kLiterals[choice % std::size(kLiterals)];
      continue;
    }
    params.push_back(name);
    pattern += '{';
    pattern += name;
    pattern += '}';
  }
  return pattern.empty() ? "/" : pattern;
}

/// The project parameter as the loader sets it: `projectId` when the pattern
/// has it, unless the route opts out or names another parameter.
std::string project_param(fuzz::ByteReader& in, const std::vector<std::string_view>& params) {
  const bool has_project_id = std::find(params.begin(), params.end(), "projectId") != params.end();
  switch (in.below(4)) {
    case 0: return params.empty() ? std::string() : std::string(params.back());  // `project: <other>`
    case 1: return {};                                                            // `project: ~`
    default: return has_project_id ? "projectId" : std::string();
  }
}

PolicySpec make_policy(fuzz::ByteReader& in) {
  PolicySpec spec;
  spec.file = "fuzz.yaml";
  spec.name = "fuzz";
  for (auto s : kScopes) spec.scopes.push_back(ScopeSpec{std::string(s), {}, {}});
  const std::uint8_t flags = in.byte();
  spec.operator_class.present = (flags & 1) == 0;
  const std::size_t families = (flags >> 1) % 3;
  for (std::size_t i = 0; i < families; ++i) {
    std::vector<std::string_view> unused;
    std::string prefix = make_pattern(in, unused);
    // Families cut inside a word too (`/v1/databases` covers `/v1/databases-old`).
    const std::size_t cut = in.below(3);
    if (prefix.size() > 2 + cut) prefix.resize(prefix.size() - cut);
    for (char& c : prefix)
      if (c == '{' || c == '}') c = 'p';
    const bool repeated = std::any_of(spec.operator_prefixes.begin(), spec.operator_prefixes.end(),
                                      [&](const PrefixFamilySpec& f) { return f.prefix == prefix; });
    if (prefix.size() >= 2 && !repeated) spec.operator_prefixes.push_back(PrefixFamilySpec{prefix, {}, {}});
  }
  // Routes whose patterns differ only in parameter names would be SG103; the
  // table skips them, so that compile() succeeds on almost every input.
  std::set<std::pair<Method, std::string>> shapes;
  const std::size_t routes = in.below(kMaxTableRoutes + 1);
  for (std::size_t i = 0; i < routes; ++i) {
    RouteSpec r;
    r.method = static_cast<Method>(in.below(kMethodCount));
    std::vector<std::string_view> params;
    r.pattern = make_pattern(in, params);
    const std::uint8_t auth = in.byte();
    switch (auth % 4) {
      case 0: r.auth = RouteAuth::kPublic; break;
      case 1: r.auth = RouteAuth::kOperatorOnly; break;
      default: r.scope = std::string(kScopes[(auth >> 2) % std::size(kScopes)]); break;
    }
    r.project_param = project_param(in, params);
    r.hidden = (auth & 0x80) != 0;
    r.pos = {static_cast<std::uint32_t>(i + 1), 1};
    const auto parsed = detail::parse_pattern(r.pattern, kMaxPatternBytes, kMaxPatternSegments);
    if (!shapes.emplace(r.method, detail::pattern_shape(parsed)).second) continue;
    spec.routes.push_back(std::move(r));
  }
  return spec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = fuzz::capped(data, size, kMaxInput);
  if (!input) return -1;
  const std::size_t split = std::min(input->find('\0'), input->size());
  fuzz::ByteReader table(input->substr(0, split));
  const fuzz::TextRequest req = fuzz::parse_text_request(input->substr(std::min(split + 1, input->size())));

  CompileResult compiled = compile(make_policy(table));
  SCOPEGATE_FUZZ_CHECK(compiled.ok(), "a generated table does not compile: %s",
                       compiled.diagnostics.empty() ? "(no diagnostic)" : compiled.diagnostics.front().format().c_str());
  const CompiledPolicy& policy = *compiled.policy;

  const auto& f = fuzz::ComwitFixture::get();
  std::optional<std::string> secret_text;
  OperatorSecret secret;
  // The secret is passed only to a policy with an operator class, as a server
  // does; either way some requests use it as a token.
  if (policy.spec().operator_class.present && (table.byte() & 1) == 0) {
    secret_text = std::string(fuzz::kOperatorSecret);
    std::string error;
    secret = *OperatorSecret::make(fuzz::kOperatorSecret, policy, &error);
  }
  fuzz::decide_both(policy, f.tokens, *f.resolver, secret, secret_text, req.method, req.target, req.headers);
  return 0;
}
