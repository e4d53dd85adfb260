// The documented bounds (fuzz/README.md, "Bounds"), each at its limit and one
// past it: what is within a bound works, what is past it is refused with its
// code and never crashes or half-loads.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scopegate/scopegate.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scopegate;

PolicySpec base_spec() {
  PolicySpec spec;
  spec.file = "bounds.yaml";
  spec.name = "bounds";
  spec.scopes.push_back(ScopeSpec{"app:read", {}, {}});
  return spec;
}

RouteSpec scoped_route(Method method, std::string pattern, std::uint32_t line = 1) {
  RouteSpec r;
  r.method = method;
  r.pattern = std::move(pattern);
  r.scope = "app:read";
  r.pos = {line, 5};
  return r;
}

/// The codes of a compile, in order; empty when it compiled cleanly.
std::vector<std::string> codes(const std::vector<Diagnostic>& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags) out.push_back(d.code);
  return out;
}

const std::vector<std::string> kOk;
const std::vector<std::string> kSG112 = {"SG112"};

/// A fixed user with app:read, for decisions on the test policies.
struct Caller {
  StaticTokenResolver resolver{std::vector<UserTokenEntry>{{"cwt_a11ce", "usr_alice", {"app:read"}, {}, {}}}};
  OperatorSecret secret;

  Decision decide_on(const CompiledPolicy& policy, std::string_view method, std::string_view target,
                     const std::vector<Header>& headers) const {
    return decide(policy, Request{method, target, headers}, resolver, secret);
  }
};

const Header kUserToken{"Authorization", "Bearer cwt_a11ce"};

}  // namespace

TEST_CASE("bounds: a policy file is at most kMaxPolicyBytes (32 MiB)") {
  const std::string policy =
      "scopegate: 1\nname: big\nscopes: {app:read: read}\nroutes:\n  - {method: GET, path: /a, scope: app:read}\n";
  std::string pattern = (fs::temp_directory_path() / "scopegate-bounds-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  const fs::path dir = pattern;
  const fs::path file = dir / "policy.yaml";

  SUBCASE("a file of exactly the bound loads") {
    // Padded with one long comment: the bound is on bytes, whatever they hold.
    std::string text = policy + "#";
    text.resize(kMaxPolicyBytes, 'x');
    text.back() = '\n';
    std::ofstream(file, std::ios::binary) << text;
    REQUIRE(fs::file_size(file) == kMaxPolicyBytes);
    LoadResult r = load_policy_file(file.string());
    CHECK(codes(r.diagnostics) == kOk);
    CHECK(r.ok());
  }
  SUBCASE("one byte more is SG004, refused before it is read") {
    { std::ofstream(file, std::ios::binary) << policy; }
    fs::resize_file(file, kMaxPolicyBytes + 1);  // sparse: nothing is written
    LoadResult r = load_policy_file(file.string());
    CHECK_FALSE(r.ok());
    CHECK(codes(r.diagnostics) == std::vector<std::string>{"SG004"});
  }
  fs::remove_all(dir);
}

TEST_CASE("bounds: a 100,000-route policy loads and compiles; more than kMaxRoutes (200,000) is SG112") {
  SUBCASE("100,000 routes from YAML, and the last one decides") {
    constexpr int kRoutes = 100'000;
    std::string text = "scopegate: 1\nname: big\nscopes: {app:read: read}\nroutes:\n";
    text.reserve(static_cast<std::size_t>(kRoutes) * 64);
    for (int i = 0; i < kRoutes; ++i)
      text += "  - {method: GET, path: \"/r" + std::to_string(i) + "/{id}\", scope: app:read}\n";
    LoadResult r = load_policy_text(text, "big.yaml");
    CHECK(codes(r.diagnostics) == kOk);
    REQUIRE(r.ok());
    CHECK(r.policy->routes().size() == static_cast<std::size_t>(kRoutes));
    const Caller caller;
    const Decision d = caller.decide_on(*r.policy, "GET", "/r99999/x", {kUserToken});
    CHECK(d.reason == Reason::kGranted);
    CHECK(d.route == "GET /r99999/{id}");
  }
  SUBCASE("kMaxRoutes + 1 routes: SG112 at the first route past the bound, no policy") {
    PolicySpec spec = base_spec();
    spec.routes.reserve(kMaxRoutes + 1);
    for (std::uint32_t i = 0; i <= kMaxRoutes; ++i)
      spec.routes.push_back(scoped_route(Method::kGet, "/r" + std::to_string(i), i + 1));
    CompileResult r = compile(std::move(spec));
    CHECK_FALSE(r.ok());
    REQUIRE(codes(r.diagnostics) == kSG112);
    CHECK(r.diagnostics[0].pos.line == kMaxRoutes + 1);
  }
}

TEST_CASE("bounds: a pattern is at most kMaxPatternBytes (1024) and kMaxPatternSegments (64)") {
  auto compile_one = [](std::string pattern) {
    PolicySpec spec = base_spec();
    spec.routes.push_back(scoped_route(Method::kGet, std::move(pattern)));
    return compile(std::move(spec));
  };
  const std::string at_bytes = "/" + std::string(kMaxPatternBytes - 1, 'a');
  std::string at_segments;
  for (std::size_t i = 0; i < kMaxPatternSegments; ++i) at_segments += "/s";

  CHECK(codes(compile_one(at_bytes).diagnostics) == kOk);
  CHECK(codes(compile_one(at_bytes + "a").diagnostics) == kSG112);
  CompileResult deepest = compile_one(at_segments);
  CHECK(codes(deepest.diagnostics) == kOk);
  CHECK(codes(compile_one(at_segments + "/s").diagnostics) == kSG112);

  // The deepest pattern still matches, and a path one segment deeper does not.
  REQUIRE(deepest.ok());
  const Caller caller;
  CHECK(caller.decide_on(*deepest.policy, "GET", at_segments, {kUserToken}).reason == Reason::kGranted);
  CHECK(caller.decide_on(*deepest.policy, "GET", at_segments + "/s", {kUserToken}).reason == Reason::kNoRoute);
}

TEST_CASE("bounds: scopes and prefix families, kMaxScopes (256) and kMaxPrefixFamilies (256) each") {
  PolicySpec scopes = base_spec();
  for (std::size_t i = 1; i < kMaxScopes; ++i) scopes.scopes.push_back(ScopeSpec{"s" + std::to_string(i), {}, {}});
  CHECK(codes(compile(scopes).diagnostics) == kOk);
  scopes.scopes.push_back(ScopeSpec{"one-more", {}, {}});
  CHECK(codes(compile(scopes).diagnostics) == kSG112);

  PolicySpec families = base_spec();
  for (std::size_t i = 0; i < kMaxPrefixFamilies; ++i)
    families.operator_prefixes.push_back(PrefixFamilySpec{"/f" + std::to_string(i), {}, {}});
  CHECK(codes(compile(families).diagnostics) == kOk);
  families.operator_prefixes.push_back(PrefixFamilySpec{"/one-more", {}, {}});
  CHECK(codes(compile(families).diagnostics) == kSG112);
}

TEST_CASE("bounds: a request path is at most 4096 bytes as received; the query is not counted") {
  PolicySpec spec = base_spec();
  spec.routes.push_back(scoped_route(Method::kGet, "/{id}"));
  CompileResult r = compile(std::move(spec));
  REQUIRE(r.ok());
  const Caller caller;
  const std::string at_bound = "/" + std::string(kMaxTargetPathBytes - 1, 'a');
  // Escapes count as received: three bytes each, though they decode to one.
  const std::string escaped = "/" + std::string(kMaxTargetPathBytes - 4, 'a') + "%61";

  struct Row {
    std::string target;
    Reason want;
  };
  const std::vector<Row> rows = {
      {at_bound, Reason::kGranted},                                          // exactly 4096
      {at_bound + "a", Reason::kMalformedPath},                              // 4097
      {escaped, Reason::kGranted},                                           // 4096 with an escape
      {escaped + "a", Reason::kMalformedPath},                               // 4097 with an escape
      {at_bound + "?" + std::string(3 * kMaxTargetPathBytes, 'q'), Reason::kGranted},  // a long query
  };
  for (const Row& row : rows) {
    INFO("target of ", row.target.size(), " bytes");
    const Decision d = caller.decide_on(*r.policy, "GET", row.target, {kUserToken});
    CHECK(d.reason == row.want);
  }
}

TEST_CASE("bounds: a decision takes at most kMaxHeaders (256) fields of kMaxHeaderBytes (16384) each") {
  PolicySpec spec = base_spec();
  spec.routes.push_back(scoped_route(Method::kGet, "/a"));
  RouteSpec open = scoped_route(Method::kGet, "/open");
  open.auth = RouteAuth::kPublic;
  open.scope.clear();
  spec.routes.push_back(open);
  CompileResult r = compile(std::move(spec));
  REQUIRE(r.ok());
  const Caller caller;

  std::vector<Header> headers(kMaxHeaders - 1, Header{"X-Filler", "x"});
  headers.push_back(kUserToken);
  CHECK(caller.decide_on(*r.policy, "GET", "/a", headers).reason == Reason::kGranted);
  headers.push_back(Header{"X-Filler", "x"});
  CHECK(caller.decide_on(*r.policy, "GET", "/a", headers).reason == Reason::kInvalidRequest);
  // Past the bound even a public route is refused: the bound comes first.
  CHECK(caller.decide_on(*r.policy, "GET", "/open", headers).reason == Reason::kInvalidRequest);

  const std::string name = "X-Filler";
  const std::string at_bound(kMaxHeaderBytes - name.size(), 'v');
  const std::string past_bound = at_bound + "v";
  CHECK(caller.decide_on(*r.policy, "GET", "/a", {kUserToken, Header{name, at_bound}}).reason == Reason::kGranted);
  CHECK(caller.decide_on(*r.policy, "GET", "/a", {kUserToken, Header{name, past_bound}}).reason ==
        Reason::kInvalidRequest);
}
