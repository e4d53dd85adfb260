// The YAML front end: policy and tokens files, their error codes and positions.
// Fixtures under tests/fixtures/ state what they expect in their first lines,
// `# expect: SG107 8:13` (one line per diagnostic, in order) or `# expect: ok`.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scopegate;

const fs::path kSourceDir = SCOPEGATE_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The `# expect:` lines of a fixture, without the prefix.
std::vector<std::string> expectations(const fs::path& fixture) {
  std::vector<std::string> out;
  std::istringstream in(read_text(fixture));
  const std::string prefix = "# expect: ";
  for (std::string line; std::getline(in, line) && line.starts_with(prefix);)
    out.push_back(line.substr(prefix.size()));
  return out;
}

/// Diagnostics as `SG107 8:13`, in their order, or `ok` when there are none.
std::vector<std::string> summary(const std::vector<Diagnostic>& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags)
    out.push_back(d.code + " " + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column));
  if (out.empty()) out.push_back("ok");
  return out;
}

std::vector<fs::path> fixtures(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

const PolicySpec& comwit_spec() {
  static const PolicySpec spec = [] {
    auto parsed = parse_policy_file((kSourceDir / "policies/comwit.yaml").string());
    REQUIRE(parsed.spec);
    return *parsed.spec;
  }();
  return spec;
}

/// The diagnostics of a policy text, joined: `SG107 8:13, SG003 9:5`, or `ok`.
std::string parse_summary(std::string_view text) {
  std::string out;
  for (const auto& s : summary(parse_policy_text(text, "inline.yaml").diagnostics))
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

TEST_CASE("loader: each bad policy fixture reports exactly the errors it expects") {
  std::set<std::string> codes_seen;
  const auto files = fixtures(kSourceDir / "tests/fixtures/policies/bad");
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    INFO("fixture ", file.filename().string());
    const auto expected = expectations(file);
    REQUIRE_MESSAGE(!expected.empty(), "a fixture that expects nothing tests nothing");
    const LoadResult loaded = load_policy_file(file.string());
    CHECK(summary(loaded.diagnostics) == expected);
    CHECK_FALSE(loaded.ok());
    for (const auto& d : loaded.diagnostics) {
      CHECK(d.file == file.string());
      CHECK(d.severity == Severity::kError);
      CHECK(!d.message.empty());
      CHECK(d.message.back() != '.');
      codes_seen.insert(d.code);
    }
  }
  // One fixture at least for every code with a position (SG000 and SG004 have none).
  for (const char* code : {"SG001", "SG002", "SG003", "SG005", "SG101", "SG102", "SG103", "SG104", "SG105", "SG106",
                           "SG107", "SG108", "SG109", "SG110", "SG112"}) {
    INFO("code ", code);
    CHECK(codes_seen.count(code) == 1);
  }
}

TEST_CASE("loader: a structural error leaves no spec and stops before compile") {
  const auto file = kSourceDir / "tests/fixtures/policies/bad/multiple_errors.yaml";
  const SpecResult parsed = parse_policy_file(file.string());
  CHECK_FALSE(parsed.spec);
  CHECK(summary(parsed.diagnostics) == expectations(file));
  CHECK(std::is_sorted(parsed.diagnostics.begin(), parsed.diagnostics.end(),
                       [](const Diagnostic& a, const Diagnostic& b) { return a.pos < b.pos; }));
}

TEST_CASE("loader: messages and hints say how to fix the problem") {
  SUBCASE("an unknown key: the hint lists the allowed keys") {
    auto r = parse_policy_file((kSourceDir / "tests/fixtures/policies/bad/sg002_unknown_route_key.yaml").string());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "unknown key 'metod' in a route");
    CHECK(r.diagnostics[0].hint ==
          "allowed keys: method, methods, path, scope, auth, operator_only, project, hidden, description");
  }
  SUBCASE("HEAD: the hint says it is decided as GET") {
    auto r = parse_policy_file((kSourceDir / "tests/fixtures/policies/bad/sg107_head.yaml").string());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "unknown method 'HEAD'");
    CHECK(r.diagnostics[0].hint == "HEAD is decided as GET and cannot be declared: declare GET");
  }
  SUBCASE("a user token in the policy is never echoed") {
    auto r = parse_policy_file((kSourceDir / "tests/fixtures/policies/bad/sg108_user_token_value.yaml").string());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].format().find("cwt_0123abcd") == std::string::npos);
    CHECK(r.diagnostics[0].hint.find("secret_env") != std::string::npos);
  }
  SUBCASE("a repeated key points back at the first") {
    auto r = parse_policy_file((kSourceDir / "tests/fixtures/policies/bad/sg001_repeated_key.yaml").string());
    REQUIRE(r.diagnostics.size() == 1);
    REQUIRE(r.diagnostics[0].related);
    CHECK(*r.diagnostics[0].related == SourcePos{9, 5});
  }
  SUBCASE("a syntax error gives the position of the enclosing construct too") {
    auto r = parse_policy_file((kSourceDir / "tests/fixtures/policies/bad/sg001_syntax.yaml").string());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message.starts_with("invalid yaml: "));
    REQUIRE(r.diagnostics[0].related);
    CHECK(*r.diagnostics[0].related == SourcePos{6, 3});
  }
}

TEST_CASE("loader: structural errors in inline policies") {
  // Rows: policy text, the diagnostics it gives.
  struct Row {
    const char* text;
    const char* expected;
  };
  const Row rows[] = {
      // an empty file is no policy
      {"", "SG003 1:1"},
      // a list is no policy
      {"- a\n", "SG003 1:1"},
      // the version is required
      {"name: x\nroutes: []\n", "SG003 1:1"},
      // the version is a number, not a string
      {"scopegate: \"1\"\nname: x\nroutes: []\n", "SG003 1:12"},
      // an unsupported version hides every other finding: its keys may mean anything
      {"scopegate: 3\nname: x\nfuture_key: 1\n", "SG005 1:12"},
      // name and routes are required
      {"scopegate: 1\n", "SG003 1:1, SG003 1:1"},
      // a second YAML document
      {"scopegate: 1\nname: x\nroutes: []\n---\nscopegate: 1\n", "SG001 4:1"},
      // YAML tags are refused
      {"scopegate: 1\nname: !!str x\nroutes: []\n", "SG001 2:7"},
      // a mapping as a key
      {"scopegate: 1\nname: x\nroutes: []\n? {a: b}\n: c\n", "SG003 4:3"},
      // a route is a mapping
      {"scopegate: 1\nname: x\nroutes:\n  - GET /a\n", "SG003 4:5"},
      // `method` and `methods` together
      {"scopegate: 1\nname: x\nroutes:\n  - {method: GET, methods: [POST], path: /a, auth: none}\n", "SG003 4:28"},
      // an empty `methods`
      {"scopegate: 1\nname: x\nroutes:\n  - {methods: [], path: /a, auth: none}\n", "SG003 4:15"},
      // `auth` knows only `none`
      {"scopegate: 1\nname: x\nroutes:\n  - {method: GET, path: /a, auth: bearer}\n", "SG003 4:35"},
      // an unknown method that is no other method's spelling
      {"scopegate: 1\nname: x\nroutes:\n  - {method: FETCH, path: /a, auth: none}\n", "SG107 4:14"},
      // a path in braces must be quoted in flow style: `{` opens a mapping there
      {"scopegate: 1\nname: x\nroutes:\n  - {method: GET, path: /a/{id}, auth: none}\n", "SG001 4:28"},
      // an unknown token class
      {"scopegate: 1\nname: x\ntoken_classes:\n  admin: {}\nroutes: []\n", "SG002 4:3, SG003 4:3"},
      // a user class needs prefix, charset and max_length
      {"scopegate: 1\nname: x\ntoken_classes:\n  user: {prefix: cwt_}\nroutes: []\n", "SG003 4:9, SG003 4:9"},
      // a secret-named key anywhere, in any case, and only SG108 for it
      {"scopegate: 1\nname: x\nroutes: []\nPassword: hunter2\n", "SG108 4:1"},
      // a user token as a list item
      {"scopegate: 1\nname: x\nroutes: []\ninvariants:\n  - public_routes: [cwt_0a]\n", "SG108 5:21"},
      // a user token's shape as a key is no secret (a scope may be named so), as a value it is
      {"scopegate: 1\nname: x\nscopes:\n  cwt_0a: cwt_0b\nroutes: []\n", "SG108 4:11"},
      // an invariant kind that takes values, without them
      {"scopegate: 1\nname: x\nroutes: []\ninvariants: [public_routes]\n", "SG003 4:14"},
      // an invariant kind that takes no values, with some
      {"scopegate: 1\nname: x\nroutes: []\ninvariants:\n  - user_never_operator_only: [x]\n", "SG003 5:31"},
      // a scope's description is a string
      {"scopegate: 1\nname: x\nscopes:\n  a:read: [x]\nroutes: []\n", "SG003 4:11"},
      // a control character in the text
      {"scopegate: 1\nname: \"a\x01\"\nroutes: []\n", "SG001 2:9"},
  };
  for (const auto& row : rows) {
    INFO("policy:\n", row.text);
    CHECK(parse_summary(row.text) == row.expected);
  }
}

TEST_CASE("loader: size bounds and unreadable files") {
  SUBCASE("a policy text over the bound is refused before parsing") {
    const std::string text(kMaxPolicyBytes + 1, '#');
    auto r = parse_policy_text(text, "big.yaml");
    CHECK_FALSE(r.spec);
    CHECK(summary(r.diagnostics) == std::vector<std::string>{"SG004 0:0"});
  }
  SUBCASE("a tokens text over the bound is refused before parsing") {
    const std::string text(kMaxTokensBytes + 1, '#');
    auto r = parse_tokens_text(text, "big.yaml", comwit_spec());
    CHECK_FALSE(r.tokens);
    CHECK(summary(r.diagnostics) == std::vector<std::string>{"SG004 0:0"});
  }
  SUBCASE("a missing file is SG000, naming the file") {
    const std::string path = (kSourceDir / "tests/fixtures/policies/no-such-file.yaml").string();
    auto r = load_policy_file(path);
    CHECK_FALSE(r.ok());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == "SG000");
    CHECK(r.diagnostics[0].file == path);
    auto t = load_tokens_file(path, comwit_spec());
    CHECK(summary(t.diagnostics) == std::vector<std::string>{"SG000 0:0"});
  }
}

TEST_CASE("loader: route positions and the project parameter") {
  const char* text =
      "scopegate: 1\n"
      "name: x\n"
      "project_parameter: orgId\n"
      "scopes: {a:read: read}\n"
      "routes:\n"
      "  - methods: [GET, DELETE]\n"       // 6
      "    path: /orgs/{orgId}\n"          // 7
      "    scope: a:read\n"                // 8
      "  - method: GET\n"                  // 9
      "    path: /orgs/{orgId}/x/{other}\n"
      "    scope: a:read\n"
      "    project: other\n"               // 12
      "  - method: GET\n"                  // 13
      "    path: /orgs/{orgId}/public\n"
      "    auth: none\n"
      "    project: ~\n"                   // 16
      "  - {method: PUT, path: /plain, scope: a:read, hidden: true, description: d}\n";  // 17
  auto r = parse_policy_text(text, "inline.yaml");
  REQUIRE(r.spec);
  const auto& routes = r.spec->routes;
  REQUIRE(routes.size() == 5);

  SUBCASE("`methods` gives one route per method, sharing every position but the method's") {
    CHECK(routes[0].method == Method::kGet);
    CHECK(routes[1].method == Method::kDelete);
    for (const auto& route : {routes[0], routes[1]}) {
      CHECK(route.pattern == "/orgs/{orgId}");
      CHECK(route.pos == SourcePos{6, 5});
      CHECK(route.pattern_pos == SourcePos{7, 11});
      CHECK(route.scope_pos == SourcePos{8, 12});
      CHECK(route.project_pos == SourcePos{7, 11});
      CHECK(route.project_param == "orgId");
    }
    CHECK(routes[0].method_pos == SourcePos{6, 15});
    CHECK(routes[1].method_pos == SourcePos{6, 20});
  }
  SUBCASE("`project:` names another parameter") {
    CHECK(routes[2].project_param == "other");
    CHECK(routes[2].project_pos == SourcePos{12, 14});
    CHECK(routes[2].method_pos == SourcePos{9, 13});
  }
  SUBCASE("`project: ~` opts out of the membership check") {
    CHECK(routes[3].project_param.empty());
    CHECK(routes[3].auth == RouteAuth::kPublic);
    CHECK(routes[3].project_pos == SourcePos{16, 14});
  }
  SUBCASE("a flow-style route") {
    CHECK(routes[4].method == Method::kPut);
    CHECK(routes[4].pos == SourcePos{17, 5});
    CHECK(routes[4].pattern_pos == SourcePos{17, 25});
    CHECK(routes[4].hidden);
    CHECK(routes[4].description == "d");
    CHECK(routes[4].project_param.empty());
  }
  SUBCASE("defaults: realm is the name, no operator class") {
    CHECK(r.spec->realm == "x");
    CHECK_FALSE(r.spec->operator_class.present);
    CHECK(r.spec->user.prefix == "cwt_");
  }
}

TEST_CASE("loader: a large flow-style policy parses and compiles") {
  constexpr int kRoutes = 2000;
  std::string text = "scopegate: 1\nname: big\nscopes:\n  a:read: read\nroutes:\n";
  for (int i = 0; i < kRoutes; ++i)
    text += "  - {method: GET, path: \"/a" + std::to_string(i) + "/{id}\", scope: a:read}\n";
  auto r = load_policy_text(text, "big.yaml");
  CHECK(r.diagnostics.empty());
  REQUIRE(r.ok());
  CHECK(r.policy->spec().routes.size() == static_cast<std::size_t>(kRoutes));
  CHECK(r.policy->spec().routes.back().pos == SourcePos{kRoutes + 5, 5});
}

TEST_CASE("loader: policies/comwit.yaml encodes contract section 6 and the seed") {
  const PolicySpec& spec = comwit_spec();
  CHECK(spec.name == "comwit");
  CHECK(spec.realm == "comwit");
  CHECK(spec.project_parameter == "projectId");

  SUBCASE("the 37 route-method pairs of shared/data/routes/comwit.txt, in order") {
    const fs::path table = kSourceDir.parent_path() / "shared/data/routes/comwit.txt";
    REQUIRE_MESSAGE(fs::exists(table), "the shared folder lies beside the project");
    std::vector<std::string> expected;
    std::istringstream in(read_text(table));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) expected.push_back(line);
    std::vector<std::string> actual;
    for (const auto& r : spec.routes) actual.push_back(std::string(method_name(r.method)) + " " + r.pattern);
    CHECK(expected.size() == 37);
    CHECK(actual == expected);
  }
  SUBCASE("the seed's nine scopes with its descriptions") {
    const std::vector<std::pair<std::string, std::string>> seed = {
        {"project:read", "List projects you can access"},
        {"database:read", "List/inspect project databases"},
        {"database:write", "Create databases"},
        {"app:read", "List/inspect apps, builds, env, domains"},
        {"app:write", "Create/delete apps, set env, attach hostnames"},
        {"app:deploy", "Deploy builds, roll back"},
        {"domain:read", "List/inspect project domains and DNS records"},
        {"domain:write", "Onboard domains, manage DNS records"},
        {"domain:purchase", "Registrar purchase"},
    };
    REQUIRE(spec.scopes.size() == seed.size());
    for (std::size_t i = 0; i < seed.size(); ++i) {
      CHECK(spec.scopes[i].name == seed[i].first);
      CHECK(spec.scopes[i].description == seed[i].second);
    }
  }
  SUBCASE("public, operator-only and hidden routes") {
    std::vector<std::string> is_public, operator_only, hidden;
    for (const auto& r : spec.routes) {
      const std::string display = std::string(method_name(r.method)) + " " + r.pattern;
      if (r.auth == RouteAuth::kPublic) is_public.push_back(display);
      if (r.auth == RouteAuth::kOperatorOnly) operator_only.push_back(display);
      if (r.hidden) hidden.push_back(display);
      CHECK_MESSAGE(!r.description.empty(), display);
      CHECK_MESSAGE((r.auth == RouteAuth::kScope) != r.scope.empty(), display);
      CHECK_MESSAGE(r.project_param == (r.pattern.find("{projectId}") != std::string::npos ? "projectId" : ""),
                    display);
    }
    CHECK(is_public == std::vector<std::string>{"POST /v1/auth/device", "POST /v1/auth/device/token"});
    CHECK(operator_only == std::vector<std::string>{
                               "GET /v1/status", "GET /v1/databases", "POST /v1/databases",
                               "GET /v1/databases/{databaseId}", "DELETE /v1/databases/{databaseId}",
                               "GET /v1/apps/{appId}", "POST /v1/apps/{appId}/deploy", "GET /v1/project/{projectId}",
                               "GET /v1/projects/{projectId}/db"});
    CHECK(hidden == std::vector<std::string>{"GET /v1/apps/{appId}", "POST /v1/apps/{appId}/deploy",
                                             "GET /v1/project/{projectId}", "GET /v1/projects/{projectId}/db"});
    REQUIRE(spec.operator_prefixes.size() == 1);
    CHECK(spec.operator_prefixes[0].prefix == "/v1/databases");
  }
  SUBCASE("the token classes of contract section 2") {
    CHECK(spec.user.prefix == "cwt_");
    CHECK(spec.user.charset == "0-9a-f");
    CHECK(spec.user.max_length == 256);
    CHECK(spec.operator_class.present);
    CHECK(spec.operator_class.secret_env == "PLATFORM_API_SERVER_TOKEN");
    CHECK(spec.operator_class.actor_header == "X-Comwit-Actor-User-Id");
    CHECK(spec.operator_class.default_actor == "operator");
  }
  SUBCASE("the four invariants") {
    REQUIRE(spec.invariants.size() == 4);
    CHECK(spec.invariants[0].kind == "user_never_operator_only");
    CHECK(spec.invariants[1].kind == "project_routes_check_membership");
    CHECK(spec.invariants[2].kind == "no_write_under_read_scope");
    CHECK(spec.invariants[3].kind == "public_routes");
    CHECK(spec.invariants[3].values == std::vector<std::string>{"POST /v1/auth/device", "POST /v1/auth/device/token"});
    CHECK(spec.invariants[0].values.empty());
  }
  SUBCASE("it compiles") {
    auto loaded = load_policy_file((kSourceDir / "policies/comwit.yaml").string());
    CHECK(loaded.diagnostics.empty());
    CHECK(loaded.ok());
  }
}

TEST_CASE("loader: each tokens fixture reports exactly the errors it expects") {
  std::set<std::string> codes_seen;
  const auto files = fixtures(kSourceDir / "tests/fixtures/tokens");
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    INFO("fixture ", file.filename().string());
    const auto expected = expectations(file);
    REQUIRE_MESSAGE(!expected.empty(), "a fixture that expects nothing tests nothing");
    const TokensResult r = load_tokens_file(file.string(), comwit_spec());
    CHECK(summary(r.diagnostics) == expected);
    CHECK(r.tokens.has_value() == (expected == std::vector<std::string>{"ok"}));
    for (const auto& d : r.diagnostics) {
      CHECK(d.file == file.string());
      codes_seen.insert(d.code);
    }
  }
  for (const char* code : {"SG001", "SG201", "SG202", "SG203", "SG204", "SG205", "SG206"}) {
    INFO("code ", code);
    CHECK(codes_seen.count(code) == 1);
  }
}

TEST_CASE("loader: tokens files as data") {
  SUBCASE("users with their scopes and projects") {
    auto r = load_tokens_file((kSourceDir / "tests/fixtures/tokens/valid.yaml").string(), comwit_spec());
    REQUIRE(r.tokens);
    CHECK(r.tokens->operator_token == "op-secret-for-tests");
    REQUIRE(r.tokens->users.size() == 2);
    const auto& alice = r.tokens->users[0];
    CHECK(alice.token == "cwt_0123abcd");
    CHECK(alice.user_id == "usr_alice");
    CHECK(alice.scopes == std::vector<std::string>{"project:read", "app:read"});
    CHECK(alice.projects == std::vector<std::string>{"prj_alpha"});
    CHECK(alice.pos == SourcePos{4, 5});
    CHECK(r.tokens->users[1].scopes.empty());
  }
  SUBCASE("operator_token present but empty means none, and still replaces the environment") {
    auto r = load_tokens_file((kSourceDir / "tests/fixtures/tokens/empty_operator_token.yaml").string(), comwit_spec());
    REQUIRE(r.tokens);
    CHECK(r.tokens->operator_token == std::string());
  }
  SUBCASE("no operator_token key: the environment decides") {
    auto r = parse_tokens_text("users: []\n", "t.yaml", comwit_spec());
    REQUIRE(r.tokens);
    CHECK_FALSE(r.tokens->operator_token);
  }
  SUBCASE("the token class comes from the policy") {
    auto spec = comwit_spec();
    spec.user.prefix = "pat_";
    CHECK(summary(parse_tokens_text("users:\n  - {token: cwt_01, user_id: a}\n", "t.yaml", spec).diagnostics) ==
          std::vector<std::string>{"SG201 2:13"});
    CHECK(parse_tokens_text("users:\n  - {token: pat_01, user_id: a}\n", "t.yaml", spec).tokens);
  }
  SUBCASE("rows: tokens text, its diagnostics") {
    const std::pair<std::string, std::string> rows[] = {
        // the user class: 'cwt_' alone, a non-hex character, upper case
        {"users:\n  - {token: cwt_, user_id: a}\n  - {token: cwt_xyz, user_id: b}\n"
         "  - {token: cwt_ABCD, user_id: c}\n",
         "SG201 2:13, SG201 3:13, SG201 4:13"},
        // one over the longest user token (256 characters, prefix included)
        {"users:\n  - {token: cwt_" + std::string(253, 'a') + ", user_id: a}\n", "SG201 2:13"},
        // a user without a token
        {"users:\n  - {user_id: a}\n", "SG203 2:5"},
        // an unknown top-level key
        {"operator: x\n", "SG204 1:1"},
        // users is a list
        {"users: {}\n", "SG205 1:8"},
        // an operator secret that is not token68
        {"operator_token: \"a b\"\n", "SG206 1:17"},
    };
    for (const auto& [text, expected] : rows) {
      INFO("tokens:\n", text);
      std::string got;
      for (const auto& s : summary(parse_tokens_text(text, "t.yaml", comwit_spec()).diagnostics))
        got += (got.empty() ? "" : ", ") + s;
      CHECK(got == expected);
    }
  }
}
