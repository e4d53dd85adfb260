// Coverage (scopegate/coverage.hpp) and policy-check's OpenAPI reader: each
// SG4xx code on a small description, positions from YAML, security
// inheritance, and the shipped Comwit description, which must match the
// policy exactly.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "openapi.hpp"
#include "scopegate/coverage.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scopegate;

const fs::path kSourceDir = SCOPEGATE_SOURCE_DIR;

std::string formatted(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += d.format() + "\n";
  return out;
}

/// `SG401 api.yaml:9:5` lines, in order.
std::string summary(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags)
    out += d.code + " " + d.file + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + "\n";
  return out;
}

std::shared_ptr<const CompiledPolicy> policy_from(const char* text) {
  LoadResult loaded = load_policy_text(text, "policy.yaml");
  INFO(formatted(loaded.diagnostics));
  REQUIRE(loaded.ok());
  return loaded.policy;
}

ApiDescription api_from(const std::string& text) {
  cli::OpenApiResult read = cli::read_openapi_text(text, "api.yaml");
  INFO(formatted(read.diagnostics));
  REQUIRE(read.api.has_value());
  return *read.api;
}

constexpr const char* kPolicy = R"(scopegate: 1
name: small
scopes:
  app:read: read apps
  app:write: write apps
routes:
  - {method: POST, path: /v1/auth/login, auth: none}
  - {method: GET, path: "/v1/projects/{projectId}/apps", scope: app:read}
  - {method: POST, path: "/v1/projects/{projectId}/apps", scope: app:write}
  - {method: GET, path: /v1/status, operator_only: true}
  - {method: GET, path: "/v1/apps/{appId}", operator_only: true, hidden: true}
)";

}  // namespace

TEST_CASE("coverage: the shipped Comwit description matches the Comwit policy exactly") {
  LoadResult loaded = load_policy_file((kSourceDir / "policies/comwit.yaml").string());
  REQUIRE(loaded.ok());
  cli::OpenApiResult read = cli::read_openapi_file((kSourceDir / "policies/comwit.openapi.yaml").string());
  INFO(formatted(read.diagnostics));
  REQUIRE(read.api.has_value());
  // Every route that is not hidden, one operation each.
  std::size_t visible = 0;
  for (const auto& r : loaded.policy->routes()) visible += !r.hidden;
  CHECK(read.api->operations.size() == visible);
  const auto diags = coverage(*loaded.policy, *read.api);
  INFO(formatted(diags));
  CHECK(diags.empty());
}

TEST_CASE("coverage: a description in agreement reports nothing") {
  const auto policy = policy_from(kPolicy);
  const auto api = api_from(R"(openapi: 3.1.0
security:
  - token: []
paths:
  /v1/auth/login:
    post: {security: []}
  /v1/projects/{projectId}/apps:
    get: {security: [{token: ["app:read"]}]}
    head: {security: [{token: ["app:read"]}]}
    post: {security: [{token: ["app:write"]}]}
  /v1/status:
    get: {tags: [operator-only], security: [{operator: []}]}
)");
  const auto diags = coverage(*policy, api);
  INFO(formatted(diags));
  CHECK(diags.empty());
}

TEST_CASE("coverage: each code at its position") {
  const auto policy = policy_from(kPolicy);
  const auto api = api_from(R"(openapi: 3.1.0
paths:
  /v1/auth/login:
    post:
      security: [{token: []}]
  /v1/projects/{project_id}/apps:
    get:
      security: [{token: ["app:read"]}]
    delete:
      security: [{token: ["app:write"]}]
  /v1/status:
    get:
      security: [{operator: []}]
  /v1/apps/{appId}:
    get:
      tags: [operator-only]
      security: [{operator: []}]
  /v1/files/{name}.{ext}:
    get: {}
  /v1/shared:
    $ref: '#/components/pathItems/shared'
)");
  const auto diags = coverage(*policy, api);
  INFO(formatted(diags));
  CHECK(summary(diags) ==
        "SG404 api.yaml:4:5\n"     // public in the policy, a token in the description
        "SG403 api.yaml:7:5\n"     // {project_id} against {projectId}
        "SG401 api.yaml:9:5\n"     // DELETE has no route
        "SG404 api.yaml:12:5\n"    // operator-only but not tagged
        "SG406 api.yaml:19:5\n"    // {name}.{ext}
        "SG406 api.yaml:20:3\n"    // a $ref path item
        "SG402 policy.yaml:9:5\n"  // POST .../apps is not documented
        "SG405 policy.yaml:11:5\n");  // the hidden alias is documented
  CHECK(diags[1].message ==
        "operation GET /v1/projects/{project_id}/apps names parameters differently from route GET "
        "/v1/projects/{projectId}/apps (policy.yaml:8:5): segment 3 is {project_id} here and {projectId} in the "
        "policy");
  CHECK(diags[5].message == "path item /v1/shared cannot be compared: it is a $ref");
  CHECK(diags[0].severity == Severity::kError);
  CHECK(diags[1].severity == Severity::kWarning);
}

TEST_CASE("coverage: guards compared") {
  const auto policy = policy_from(kPolicy);
  struct Row {
    const char* operation;  // the YAML of GET /v1/projects/{projectId}/apps
    const char* differs;    // empty: agrees
  };
  const Row rows[] = {
      {"{security: [{token: [\"app:read\"]}]}", ""},
      {"{security: [{token: [\"app:read\"]}, {other: [\"app:read\"]}]}", ""},  // one scope, two schemes
      {"{security: [{token: [\"app:write\"]}]}", "but the description names 'app:write'"},
      {"{security: [{token: [\"app:read\", \"app:write\"]}]}", "names 'app:read', 'app:write'"},
      {"{security: [{token: []}]}", "but the description names no scope"},
      {"{security: []}", "but the description makes it public"},
      {"{security: [{}, {token: [\"app:read\"]}]}", "but the description makes it public"},  // optional auth
      {"{}", "but the description states no security"},
      {"{tags: [operator-only], security: [{token: [\"app:read\"]}]}", "but the description tags it"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.operation);
    const auto api = api_from(std::string("openapi: 3.0.3\npaths:\n  /v1/projects/{projectId}/apps:\n    get: ") +
                              row.operation + "\n");
    std::string found;
    for (const auto& d : coverage(*policy, api))
      if (d.code == "SG404") found = d.message;
    if (*row.differs == '\0') CHECK(found.empty());
    else CHECK(found.find(row.differs) != std::string::npos);
  }
}

TEST_CASE("openapi reader: JSON, document-level security, and what it refuses") {
  SUBCASE("JSON has no positions but the same content") {
    cli::OpenApiResult read = cli::read_openapi_text(
        R"({"openapi": "3.1.0", "security": [{"t": ["a:read"]}], "paths": {"/x": {"get": {}, "post": {"security": []}}}})",
        "api.json");
    REQUIRE(read.api.has_value());
    REQUIRE(read.api->operations.size() == 2);
    const auto& get = read.api->operations[0];
    CHECK(get.method == "GET");
    CHECK(get.pos == SourcePos{});
    CHECK(get.has_security);
    CHECK(get.scopes == std::vector<std::string>{"a:read"});
    CHECK(read.api->operations[1].is_public);
  }
  SUBCASE("errors are SG400 with a position where YAML gives one") {
    struct Row {
      const char* text;
      const char* message;
      SourcePos pos;
    };
    const Row rows[] = {
        {"openapi: 3.1.0\npaths: [\n", "invalid yaml", {3, 1}},
        {"openapi: 2.0\npaths: {}\n", "`openapi` must name version 3.x", {1, 1}},
        {"swagger: '2.0'\npaths: {}\n", "`openapi` must name version 3.x", {}},
        {"openapi: 3.1.0\npaths: [a]\n", "`paths` must be a mapping", {2, 1}},
        {"- a\n", "the description is not a mapping", {}},
        {"{\"openapi\": ", "not valid JSON", {}},
    };
    for (const auto& row : rows) {
      CAPTURE(row.text);
      cli::OpenApiResult read = cli::read_openapi_text(row.text, "api.yaml");
      CHECK_FALSE(read.api.has_value());
      REQUIRE(read.diagnostics.size() == 1);
      CHECK(read.diagnostics[0].code == "SG400");
      CHECK(read.diagnostics[0].message.starts_with(row.message));
      CHECK(read.diagnostics[0].pos == row.pos);
    }
  }
  SUBCASE("a file that cannot be read") {
    cli::OpenApiResult read = cli::read_openapi_file((kSourceDir / "no/such/file.yaml").string());
    REQUIRE(read.diagnostics.size() == 1);
    CHECK(read.diagnostics[0].code == "SG400");
  }
}
