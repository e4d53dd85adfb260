// Lint (scopegate/lint.hpp): one fixture per code under
// tests/fixtures/policy_check/lint/, each stating every finding it expects in
// its first lines, `# expect: SG301 13:12 warning`, in order; the helpers of
// the shadowing and prefix-family rules; and the Comwit policy, which is clean.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scopegate/lint.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scopegate;

const fs::path kSourceDir = SCOPEGATE_SOURCE_DIR;
const fs::path kFixtures = kSourceDir / "tests/fixtures/policy_check/lint";

std::vector<std::string> expectations(const fs::path& fixture) {
  std::ifstream in(fixture);
  std::vector<std::string> out;
  const std::string prefix = "# expect: ";
  for (std::string line; std::getline(in, line) && line.starts_with(prefix);) out.push_back(line.substr(prefix.size()));
  return out;
}

/// Findings as `SG301 13:12 warning` lines, in their order.
std::string summary(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags)
    out += d.code + " " + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + " " +
           std::string(severity_name(d.severity)) + "\n";
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

/// Every finding formatted, for a failing check's context.
std::string formatted(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += d.format() + "\n";
  return out;
}

std::vector<fs::path> fixtures() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(kFixtures))
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Diagnostic> lint_file(const fs::path& file) {
  LoadResult loaded = load_policy_file(file.string());
  INFO(formatted(loaded.diagnostics));
  REQUIRE(loaded.ok());
  return lint(*loaded.policy);
}

}  // namespace

TEST_CASE("lint: every fixture yields exactly the findings it expects, at their positions") {
  const auto files = fixtures();
  REQUIRE(files.size() >= kLintRules.size());
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const auto expected = expectations(file);
    REQUIRE_FALSE(expected.empty());  // a fixture that asserts nothing is a broken fixture
    const auto diags = lint_file(file);
    INFO(formatted(diags));
    CHECK(summary(diags) == joined(expected));
    for (const auto& d : diags) {
      CHECK(d.file == file.string());
      CHECK_FALSE(d.message.empty());
      CHECK_FALSE(d.hint.empty());
      CHECK(d.message.back() != '.');
    }
  }
}

TEST_CASE("lint: every code has a fixture named after it") {
  std::set<std::string> covered;
  for (const auto& file : fixtures())
    for (const auto& e : expectations(file)) covered.insert(e.substr(0, 5));
  for (const auto& rule : kLintRules) {
    CAPTURE(rule.code);
    CHECK(covered.contains(std::string(rule.code)));
  }
}

TEST_CASE("lint: the Comwit policy is clean") {
  const auto diags = lint_file(kSourceDir / "policies/comwit.yaml");
  INFO(formatted(diags));
  CHECK(diags.empty());
}

TEST_CASE("lint: messages name both routes and the family") {
  SUBCASE("SG308 names the shadowing route, the path and the segment") {
    const auto diags = lint_file(kFixtures / "sg308_shadowed.yaml");
    REQUIRE(diags.size() == 2);
    CHECK(diags[0].message ==
          "route GET /v1/users/{userId} is shadowed by GET /v1/users/me on paths like '/v1/users/me': at segment 3 "
          "literal 'me' beats parameter {userId}");
    CHECK(diags[0].related == SourcePos{13, 5});
    CHECK(diags[1].message.find("guarded differently (scope 'export:run' against scope 'app:read')") !=
          std::string::npos);
  }
  SUBCASE("SG307 gives a path of the route inside the family") {
    const auto diags = lint_file(kFixtures / "sg307_family_covers_some.yaml");
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].message.find("such as '/v1/databases/items'") != std::string::npos);
    CHECK(diags[0].related == SourcePos{9, 5});
  }
  SUBCASE("SG309 names the sibling's spelling") {
    const auto diags = lint_file(kFixtures / "sg309_sibling_names.yaml");
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].message ==
          "parameter {org_id} at segment 3 of GET /v1/orgs/{org_id}/members is {orgId} in sibling route GET "
          "/v1/orgs/{orgId}");
  }
}

TEST_CASE("lint: which paths of a pattern a prefix family covers") {
  using detail::FamilyCover;
  struct Row {
    const char* pattern;
    const char* prefix;
    FamilyCover cover;
    const char* example;
  };
  const Row rows[] = {
      {"/v1/databases", "/v1/databases", FamilyCover::kAll, "/v1/databases"},             // the prefix itself
      {"/v1/databases-old", "/v1/databases", FamilyCover::kAll, "/v1/databases-old"},     // text, not segments
      {"/v1/databases/{id}", "/v1/databases", FamilyCover::kAll, "/v1/databases/{id}"},   // below it
      {"/v1/databases/{id}", "/v1/databases/", FamilyCover::kAll, "/v1/databases/{id}"},  // ends before the parameter
      {"/v1/data", "/v1/databases", FamilyCover::kNone, ""},                              // shorter than the prefix
      {"/v1/databases", "/v1/databases/", FamilyCover::kNone, ""},                        // no trailing slash
      {"/v1/{kind}", "/v1/databases", FamilyCover::kSome, "/v1/databases"},               // one value of {kind}
      {"/v1/{kind}/x", "/v1/db/x/y", FamilyCover::kNone, ""},                             // the path ends first
      {"/{a}/{b}/c", "/v1/dat", FamilyCover::kSome, "/v1/dat/c"},                         // two parameters
      {"/v2/databases", "/v1/databases", FamilyCover::kNone, ""},                         // another literal
      {"/", "/v1", FamilyCover::kNone, ""},                                               // the root
  };
  for (const auto& row : rows) {
    CAPTURE(row.pattern);
    CAPTURE(row.prefix);
    const auto parsed = detail::parse_pattern(row.pattern, kMaxPatternBytes, kMaxPatternSegments);
    REQUIRE(parsed.ok());
    const auto o = detail::family_overlap(parsed, row.prefix);
    CHECK(o.cover == row.cover);
    if (o.cover != FamilyCover::kNone) CHECK(o.example == row.example);
  }
}

TEST_CASE("lint: shadowing is found without comparing every pair, and only between overlapping shapes") {
  // 200 literal siblings of one parameter route: each shadows it once; the
  // literals never overlap one another.
  PolicySpec spec;
  spec.file = "generated.yaml";
  spec.scopes = {{"a:read", "", {1, 1}}};
  RouteSpec param;
  param.method = Method::kGet;
  param.pattern = "/v1/items/{itemId}";
  param.scope = "a:read";
  param.pos = {2, 1};
  spec.routes.push_back(param);
  for (int i = 0; i < 200; ++i) {
    RouteSpec r = param;
    r.pattern = "/v1/items/fixed" + std::to_string(i);
    r.pos = {static_cast<std::uint32_t>(3 + i), 1};
    spec.routes.push_back(r);
  }
  RouteSpec other = param;  // another method: never shadows a GET route
  other.method = Method::kDelete;
  other.pattern = "/v1/items/fixed0";
  other.scope = "a:read";
  spec.routes.push_back(other);
  CompileResult compiled = compile(std::move(spec));
  REQUIRE(compiled.ok());
  std::size_t shadows = 0;
  for (const auto& d : lint(*compiled.policy)) shadows += d.code == "SG308";
  CHECK(shadows == 200);
}
