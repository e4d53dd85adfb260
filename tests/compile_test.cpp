// compile(): every check of a PolicySpec, with its stable code and position.
// Positions come from fixture.hpp's make_spec: scope i at 10+i:5, prefix i at
// 50+i:5, route i at 100+3i:5 (pattern on the next line at column 13, scope on
// the line after at column 12), the user class at 3:3, the operator class at 6:3.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace sgtest;

std::string pos_text(SourcePos p) { return std::to_string(p.line) + ":" + std::to_string(p.column); }

/// `SG104@101:13` per diagnostic, `~<related>` when there is one, joined by spaces.
std::string codes(const CompileResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) {
    if (!out.empty()) out += ' ';
    out += d.code + "@" + pos_text(d.pos);
    if (d.related) out += "~" + pos_text(*d.related);
  }
  return out;
}

std::string all_messages(const CompileResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}

/// Compiles and checks the contract of every failed compile: no policy, and
/// every diagnostic an error with a lowercase message, no final period, and a hint.
CompileResult compile_failing(PolicySpec spec) {
  CompileResult r = compile(std::move(spec));
  INFO(all_messages(r));
  CHECK_FALSE(r.ok());
  CHECK(r.policy == nullptr);
  CHECK_FALSE(r.diagnostics.empty());
  for (const auto& d : r.diagnostics) {
    CHECK(d.severity == Severity::kError);
    CHECK(d.file == "test.yaml");
    REQUIRE_FALSE(d.message.empty());
    CHECK_FALSE((d.message.front() >= 'A' && d.message.front() <= 'Z'));
    CHECK(d.message.back() != '.');
    CHECK_FALSE(d.hint.empty());
  }
  return r;
}

const std::vector<std::string> kScopes = {"s:read", "s:write"};

}  // namespace

TEST_CASE("compile: the Comwit policy compiles without diagnostics") {
  CompileResult r = compile(comwit_spec());
  INFO(all_messages(r));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const CompiledPolicy& p = *r.policy;
  CHECK(p.routes().size() == 37);
  CHECK(p.scopes() == comwit_scopes());
  CHECK(p.scope_index("app:read") == 3);
  CHECK(p.scope_index("App:read") == -1);
  CHECK(p.operator_prefixes() == std::vector<std::string>{"/v1/databases"});
  CHECK(p.routes()[3].display == "GET /v1/projects/{projectId}");
  CHECK(p.actor_header() == "X-Comwit-Actor-User-Id");
  CHECK(p.default_actor() == "operator");
  CHECK(p.realm() == "comwit");
  CHECK(p.user_class().matches("cwt_0123abcd"));
  CHECK_FALSE(p.user_class().matches("cwt_"));
  CHECK_FALSE(p.user_class().matches("cwt_0123ABCD"));
}

TEST_CASE("compile: a user token class tests every byte of a long token against its charset") {
  // Long tokens are tested sixteen bytes at a time when the charset is a few
  // ranges, byte by byte otherwise: both ways must agree with the charset.
  for (const std::string charset : {"0-9a-f", "0-9a-fA-F_", "acegikmoqsuwy02468"}) {
    PolicySpec spec = comwit_spec();
    spec.user.charset = charset;
    CompileResult r = compile(spec);
    REQUIRE(r.ok());
    const auto& user = r.policy->user_class();
    for (std::size_t length = 1; length <= 60; ++length) {
      const std::string good = "cwt_" + std::string(length, '0');
      CHECK(user.matches(good));
      for (std::size_t at = 4; at < good.size(); ++at)
        for (const char bad : {'g', 'z', 'G', '/', ':', '\0', '\xFF'}) {
          if (charset.find(bad) != std::string::npos) continue;
          std::string token = good;
          token[at] = bad;
          INFO(charset << ", length " << length << ", '" << bad << "' at " << at);
          CHECK_FALSE(user.matches(token));
        }
    }
  }
}

TEST_CASE("compile: a user token class compares prefixes of every length") {
  // Prefixes of up to eight bytes are one masked word compare on tokens of
  // eight bytes or more; the rest compare byte by byte.
  for (const std::string prefix : {"c", "cwt_", "cwt_pat_", "comwit_pat_"}) {
    PolicySpec spec = comwit_spec();
    spec.user.prefix = prefix;
    CompileResult r = compile(spec);
    REQUIRE(r.ok());
    const auto& user = r.policy->user_class();
    for (std::size_t length = 1; length <= 12; ++length) {
      const std::string good = prefix + std::string(length, 'a');
      INFO(prefix << ", " << length << " more bytes");
      CHECK(user.matches(good));
      for (std::size_t at = 0; at < prefix.size(); ++at) {
        std::string token = good;
        token[at] = static_cast<char>(token[at] ^ 0x20);  // the other case, or another mark
        CHECK_FALSE(user.matches(token));
      }
    }
    CHECK_FALSE(user.matches(prefix));
    CHECK_FALSE(user.matches(prefix.substr(0, prefix.size() - 1)));
  }
}

TEST_CASE("compile: spec() gives back every route of the spec, field by field") {
  PolicySpec spec = comwit_spec();
  for (std::size_t i = 0; i < spec.routes.size(); ++i) {
    spec.routes[i].description = i % 3 == 0 ? "route number " + std::to_string(i) : "";
    spec.routes[i].method_pos = {static_cast<std::uint32_t>(700 + i), 3};
    spec.routes[i].project_pos = {static_cast<std::uint32_t>(900 + i), 7};
  }
  const PolicySpec input = spec;
  CompileResult r = compile(std::move(spec));
  REQUIRE(r.ok());
  const PolicySpec& back = r.policy->spec();
  CHECK(&back == &r.policy->spec());
  CHECK(r.policy->settings().routes.empty());
  CHECK(back.file == input.file);
  CHECK(back.name == input.name);
  CHECK(back.scopes.size() == input.scopes.size());
  REQUIRE(back.routes.size() == input.routes.size());
  for (std::size_t i = 0; i < input.routes.size(); ++i) {
    const RouteSpec& a = input.routes[i];
    const RouteSpec& b = back.routes[i];
    INFO(a.pattern);
    CHECK(b.method == a.method);
    CHECK(b.pattern == a.pattern);
    CHECK(b.auth == a.auth);
    CHECK(b.scope == a.scope);
    CHECK(b.project_param == a.project_param);
    CHECK(b.hidden == a.hidden);
    CHECK(b.description == a.description);
    CHECK(b.pos == a.pos);
    CHECK(b.method_pos == a.method_pos);
    CHECK(b.pattern_pos == a.pattern_pos);
    CHECK(b.scope_pos == a.scope_pos);
    CHECK(b.project_pos == a.project_pos);
    CHECK(r.policy->routes()[i].spec_index == i);
  }
}

TEST_CASE("compile: SG101 a route names an unknown scope") {
  SUBCASE("at the scope's position") {
    CompileResult r = compile_failing(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:raed"}}));
    CHECK(codes(r) == "SG101@102:12");
    CHECK(r.diagnostics[0].message.find("'s:raed'") != std::string::npos);
    CHECK(r.diagnostics[0].message.find("GET /a") != std::string::npos);
  }
  SUBCASE("at the route's position when the scope has none") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:raed"}});
    spec.routes[0].scope_pos = {};
    CHECK(codes(compile_failing(std::move(spec))) == "SG101@100:5");
  }
  SUBCASE("scope names are exact: no case folding") {
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "S:read"}}))) ==
          "SG101@102:12");
  }
}

TEST_CASE("compile: SG102 a duplicate route names the first one") {
  CompileResult r = compile_failing(make_spec(kScopes, {
                                                           {Method::kGet, "/a/{x}", RouteAuth::kScope, "s:read"},
                                                           {Method::kPost, "/a/{x}", RouteAuth::kScope, "s:write"},
                                                           {Method::kGet, "/a/{x}", RouteAuth::kScope, "s:write"},
                                                       }));
  // The third route repeats the first; the second differs by method and is fine.
  CHECK(codes(r) == "SG102@106:5~100:5");
  CHECK(r.diagnostics[0].message.find("GET /a/{x}") != std::string::npos);
}

TEST_CASE("compile: SG103 routes that match the same paths name both routes") {
  SUBCASE("parameters named differently") {
    CompileResult r = compile_failing(make_spec(kScopes, {
                                                             {Method::kGet, "/a/{x}/b", RouteAuth::kScope, "s:read"},
                                                             {Method::kGet, "/a/{y}/b", RouteAuth::kScope, "s:read"},
                                                         }));
    CHECK(codes(r) == "SG103@103:5~100:5");
    const std::string& m = r.diagnostics[0].message;
    CHECK(m.find("GET /a/{y}/b") != std::string::npos);
    CHECK(m.find("GET /a/{x}/b") != std::string::npos);
    CHECK(r.diagnostics[0].format().find(" (100:5)") != std::string::npos);
  }
  SUBCASE("an overlap between an operator-only and a public route") {
    CompileResult r = compile_failing(make_spec(kScopes, {
                                                             {Method::kGet, "/a/{x}", RouteAuth::kOperatorOnly, ""},
                                                             {Method::kGet, "/a/{id}", RouteAuth::kPublic, ""},
                                                         }));
    CHECK(codes(r) == "SG103@103:5~100:5");
  }
  SUBCASE("what does not overlap compiles") {
    // A literal and a parameter at the same place: the literal is more specific.
    // The same shape under another method. Different depths.
    compile_ok(make_spec(kScopes, {
                                      {Method::kGet, "/a/{x}", RouteAuth::kScope, "s:read"},
                                      {Method::kGet, "/a/b", RouteAuth::kScope, "s:read"},
                                      {Method::kPost, "/a/{y}", RouteAuth::kScope, "s:write"},
                                      {Method::kGet, "/a/{x}/{y}", RouteAuth::kScope, "s:read"},
                                      {Method::kGet, "/{a}/b", RouteAuth::kScope, "s:read"},
                                  }));
  }
}

TEST_CASE("compile: SG104 malformed patterns, at the pattern's position") {
  struct Row {
    std::string note;
    std::string pattern;
  };
  const std::vector<Row> rows = {
      {"empty", ""},
      {"no leading slash", "a/b"},
      {"empty segment", "/a//b"},
      {"empty first segment", "//a"},
      {"trailing slash: an empty last segment", "/a/"},
      {"unbalanced brace: open only", "/a/{x"},
      {"unbalanced brace: close only", "/a/x}"},
      {"brace then text", "/a/{x}y"},
      {"text then brace", "/a/y{x}"},
      {"nested braces", "/a/{{x}}"},
      {"brace inside a literal", "/a/b{c"},
      {"empty parameter name", "/a/{}"},
      {"parameter name starting with a digit", "/a/{1x}"},
      {"parameter name with '-'", "/a/{app-id}"},
      {"parameter name with a space", "/a/{app id}"},
      {"repeated parameter", "/a/{x}/b/{x}"},
      {"'%' in a literal", "/a/%73tatus"},
      {"an encoded slash in a literal", "/a%2Fb"},
      {"'.' literal", "/a/./b"},
      {"'..' literal", "/a/.."},
      {"'?' in a literal", "/a?b"},
      {"'#' in a literal", "/a#b"},
      {"space in a literal", "/a b"},
      {"backslash in a literal", "/a\\b"},
  };
  for (const Row& row : rows) {
    INFO(row.note, " | pattern: ", row.pattern);
    CompileResult r = compile_failing(make_spec(kScopes, {{Method::kGet, row.pattern, RouteAuth::kScope, "s:read"}}));
    CHECK(codes(r) == "SG104@101:13");
  }
  SUBCASE("well-formed patterns") {
    compile_ok(make_spec(kScopes, {
                                      {Method::kGet, "/", RouteAuth::kScope, "s:read"},
                                      {Method::kGet, "/a-b.c_d~e/!$&'()*+,;=:@", RouteAuth::kScope, "s:read"},
                                      {Method::kGet, "/a/{_x1}/{Y}", RouteAuth::kScope, "s:read"},
                                      {Method::kGet, "/.../..a", RouteAuth::kScope, "s:read"},
                                  }));
  }
}

TEST_CASE("compile: SG105 a project parameter the pattern lacks") {
  SUBCASE("at the project's position") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/v1/projects/{id}", RouteAuth::kScope, "s:read"}});
    spec.routes[0].project_param = "projectId";
    spec.routes[0].project_pos = {102, 20};
    CompileResult r = compile_failing(std::move(spec));
    CHECK(codes(r) == "SG105@102:20");
    CHECK(r.diagnostics[0].message.find("'projectId'") != std::string::npos);
  }
  SUBCASE("at the pattern's position when `project:` was not written") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/v1/projects/{id}", RouteAuth::kScope, "s:read"}});
    spec.routes[0].project_param = "projectId";
    CHECK(codes(compile_failing(std::move(spec))) == "SG105@101:13");
  }
  SUBCASE("a literal segment of that name is not the parameter") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/v1/projectId", RouteAuth::kScope, "s:read"}});
    spec.routes[0].project_param = "projectId";
    CHECK(codes(compile_failing(std::move(spec))) == "SG105@101:13");
  }
}

TEST_CASE("compile: SG106 a route with no scope that is neither public nor operator-only") {
  CompileResult r = compile_failing(make_spec(kScopes, {{Method::kDelete, "/a", RouteAuth::kScope, ""}}));
  CHECK(codes(r) == "SG106@100:5");
  CHECK(r.diagnostics[0].message.find("DELETE /a") != std::string::npos);
}

TEST_CASE("compile: SG109 a public or operator-only route that names a scope") {
  SUBCASE("public") {
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kPost, "/a", RouteAuth::kPublic, "s:write"}}))) ==
          "SG109@102:12");
  }
  SUBCASE("operator-only") {
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kOperatorOnly, "s:read"}}))) ==
          "SG109@102:12");
  }
}

TEST_CASE("compile: SG110 token class and realm settings") {
  struct Row {
    std::string note;
    void (*edit)(PolicySpec&);
    std::string want;
  };
  const std::vector<Row> rows = {
      {"empty user prefix", [](PolicySpec& s) { s.user.prefix = ""; }, "SG110@3:3"},
      {"empty charset", [](PolicySpec& s) { s.user.charset = ""; }, "SG110@3:3"},
      {"reversed range", [](PolicySpec& s) { s.user.charset = "f-a"; }, "SG110@3:3"},
      {"max_length equal to the prefix length", [](PolicySpec& s) { s.user.max_length = 4; }, "SG110@3:3"},
      {"max_length zero", [](PolicySpec& s) { s.user.max_length = 0; }, "SG110@3:3"},
      {"max_length over 4096", [](PolicySpec& s) { s.user.max_length = 4097; }, "SG110@3:3"},
      {"secret_env lower case", [](PolicySpec& s) { s.operator_class.secret_env = "platform_token"; }, "SG110@6:3"},
      {"secret_env empty", [](PolicySpec& s) { s.operator_class.secret_env = ""; }, "SG110@6:3"},
      {"actor_header with a space", [](PolicySpec& s) { s.operator_class.actor_header = "X Actor"; }, "SG110@6:3"},
      {"actor_header with a colon", [](PolicySpec& s) { s.operator_class.actor_header = "X-Actor:"; }, "SG110@6:3"},
      {"actor_header empty", [](PolicySpec& s) { s.operator_class.actor_header = ""; }, "SG110@6:3"},
      {"default_actor with a space", [](PolicySpec& s) { s.operator_class.default_actor = "the operator"; },
       "SG110@6:3"},
      {"default_actor empty", [](PolicySpec& s) { s.operator_class.default_actor = ""; }, "SG110@6:3"},
      {"default_actor of 129 characters", [](PolicySpec& s) { s.operator_class.default_actor = std::string(129, 'o'); },
       "SG110@6:3"},
      {"realm with a quote", [](PolicySpec& s) { s.realm = "com\"wit"; }, "SG110@0:0"},
      {"realm with a backslash", [](PolicySpec& s) { s.realm = "com\\wit"; }, "SG110@0:0"},
      {"realm with a control character", [](PolicySpec& s) { s.realm = "com\x01wit"; }, "SG110@0:0"},
      {"empty realm", [](PolicySpec& s) { s.realm = ""; }, "SG110@0:0"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}});
    row.edit(spec);
    CHECK(codes(compile_failing(std::move(spec))) == row.want);
  }
  SUBCASE("the operator class's settings are not checked when it is absent") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}});
    spec.operator_class.present = false;
    spec.operator_class.actor_header = "X Actor";
    compile_ok(std::move(spec));
  }
  SUBCASE("settings at their bounds compile") {
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}});
    spec.user.max_length = 5;  // the prefix and one character
    spec.operator_class.default_actor = std::string(128, 'o');
    auto policy = compile_ok(std::move(spec));
    CHECK(policy->user_class().matches("cwt_a"));
    CHECK_FALSE(policy->user_class().matches("cwt_ab"));
  }
}

TEST_CASE("compile: SG111 operator-only prefix families") {
  struct Row {
    std::string note;
    std::vector<std::string> prefixes;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"no leading slash", {"v1/databases"}, "SG111@50:5"},
      {"'/' alone covers everything", {"/"}, "SG111@50:5"},
      {"empty", {""}, "SG111@50:5"},
      {"a '%'", {"/v1/%64atabases"}, "SG111@50:5"},
      {"a parameter", {"/v1/{x}"}, "SG111@50:5"},
      {"a '?'", {"/v1/databases?"}, "SG111@50:5"},
      {"a space", {"/v1/data bases"}, "SG111@50:5"},
      {"declared twice", {"/v1/databases", "/v1/databases"}, "SG111@51:5"},
      {"two bad ones", {"x", "/ok", "/{y}"}, "SG111@50:5 SG111@52:5"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}, row.prefixes))) ==
          row.want);
  }
  SUBCASE("good prefixes, including one ending in '/'") {
    auto policy = compile_ok(
        make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}, {"/v1/databases", "/admin/", "/x"}));
    CHECK(policy->operator_prefixes().size() == 3);
  }
}

TEST_CASE("compile: a path lies in a family exactly when it starts with the family's text") {
  // Prefixes shorter than, as long as and longer than the eight bytes the
  // lookup compares first, against every path of up to nine bytes over an
  // alphabet that makes near misses everywhere.
  const std::vector<std::string> prefixes = {"/a", "/ab/", "/abab/ab", "/ab/ab/ab/"};
  auto policy = compile_ok(make_spec(kScopes, {{Method::kGet, "/z", RouteAuth::kScope, "s:read"}}, prefixes));
  const auto naive = [&](std::string_view path) {
    for (const auto& p : prefixes)
      if (path.starts_with(p)) return true;
    return false;
  };
  std::size_t checked = 0;
  std::size_t inside = 0;
  std::vector<std::string> paths = {""};
  for (std::size_t length = 0; length <= 9; ++length) {
    std::vector<std::string> longer;
    for (const std::string& path : paths) {
      INFO("path '" << path << "'");
      REQUIRE(policy->in_operator_family(path) == naive(path));
      ++checked;
      inside += naive(path) ? 1 : 0;
      for (char c : std::string_view("/ab")) longer.push_back(path + c);
    }
    paths = std::move(longer);
  }
  CHECK(checked == 29524);  // 3^0 + ... + 3^9
  CHECK(inside > 1000);     // the sweep reaches into every family, not only around them
}

TEST_CASE("compile: SG112 bounds on patterns, scopes and prefix families") {
  auto segments = [](std::size_t n, const std::string& seg) {
    std::string p;
    for (std::size_t i = 0; i < n; ++i) p += "/" + seg;
    return p;
  };
  SUBCASE("a pattern of 1024 bytes compiles, 1025 does not") {
    compile_ok(make_spec(kScopes, {{Method::kGet, "/" + std::string(1023, 'a'), RouteAuth::kScope, "s:read"}}));
    CHECK(codes(compile_failing(make_spec(
              kScopes, {{Method::kGet, "/" + std::string(1024, 'a'), RouteAuth::kScope, "s:read"}}))) ==
          "SG112@101:13");
  }
  SUBCASE("a pattern of 64 segments compiles, 65 does not") {
    compile_ok(make_spec(kScopes, {{Method::kGet, segments(64, "s"), RouteAuth::kScope, "s:read"}}));
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kGet, segments(65, "s"), RouteAuth::kScope, "s:read"}}))) ==
          "SG112@101:13");
  }
  SUBCASE("256 scopes compile, 257 do not") {
    std::vector<std::string> scopes;
    for (int i = 0; i < 257; ++i) scopes.push_back("s" + std::to_string(i));
    const std::vector<std::string> first256(scopes.begin(), scopes.end() - 1);
    compile_ok(make_spec(first256, {{Method::kGet, "/a", RouteAuth::kScope, "s255"}}));
    // The 257th scope is at line 10 + 256.
    CHECK(codes(compile_failing(make_spec(scopes, {{Method::kGet, "/a", RouteAuth::kScope, "s0"}}))) ==
          "SG112@266:5");
  }
  SUBCASE("256 prefix families compile, 257 do not") {
    std::vector<std::string> prefixes;
    for (int i = 0; i < 257; ++i) prefixes.push_back("/p" + std::to_string(i));
    const std::vector<std::string> first256(prefixes.begin(), prefixes.end() - 1);
    compile_ok(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}, first256));
    // The 257th family is at line 50 + 256.
    CHECK(codes(compile_failing(make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}, prefixes))) ==
          "SG112@306:5");
  }
}

TEST_CASE("compile: SG113 a scope declared twice, SG114 a bad scope name") {
  SUBCASE("duplicate, at the second declaration") {
    CompileResult r = compile_failing(make_spec({"s:read", "s:write", "s:read"}, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}));
    CHECK(codes(r) == "SG113@12:5");
    CHECK(r.diagnostics[0].message.find("'s:read'") != std::string::npos);
  }
  SUBCASE("scope names are case-sensitive: no duplicate") {
    compile_ok(make_spec({"s:read", "S:read"}, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}));
  }
  SUBCASE("bad names") {
    CHECK(codes(compile_failing(make_spec({"s:read", "bad scope", "", "x/y"}, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}}))) ==
          "SG114@11:5 SG114@12:5 SG114@13:5");
  }
}

TEST_CASE("compile: every error is reported, sorted by position, and no policy is returned") {
  // Positions are set by hand so that the order of the checks in compile()
  // (settings, scopes, prefixes, routes) differs from the order in the file.
  PolicySpec spec = make_spec({"s:read", "s:read"},
                              {
                                  {Method::kGet, "/a/{x}", RouteAuth::kScope, "s:read"},      // fine
                                  {Method::kGet, "/a/{y}", RouteAuth::kScope, "s:read"},      // SG103
                                  {Method::kGet, "/b//c", RouteAuth::kScope, "s:read"},       // SG104
                                  {Method::kGet, "/c/{id}", RouteAuth::kScope, "s:nope"},     // SG101 and SG105
                                  {Method::kPost, "/d", RouteAuth::kPublic, "s:read"},        // SG109
                                  {Method::kGet, "/" + std::string(1100, 'e'), RouteAuth::kScope, "s:read"},  // SG112
                                  {Method::kPut, "/f", RouteAuth::kScope, ""},                // SG106
                              },
                              {"nope"});                                                      // SG111
  spec.routes[3].project_param = "projectId";
  spec.user.charset = "";                  // SG110 at 3:3
  spec.scopes[1].pos = {400, 1};           // SG113, last in the file
  spec.operator_prefixes[0].pos = {1, 1};  // SG111, first in the file
  spec.routes[6].pos = {2, 1};             // SG106, second in the file
  CompileResult r = compile_failing(std::move(spec));
  CHECK(codes(r) ==
        "SG111@1:1 SG106@2:1 SG110@3:3 SG103@103:5~100:5 SG104@107:13 SG105@110:13 SG101@111:12 "
        "SG109@114:12 SG112@116:13 SG113@400:1");
}

TEST_CASE("compile: diagnostics at one position are ordered by code") {
  PolicySpec spec = make_spec({"s:read"}, {{Method::kGet, "/c/{id}", RouteAuth::kScope, "s:nope"}});
  spec.routes[0].project_param = "projectId";
  spec.routes[0].scope_pos = spec.routes[0].pattern_pos;  // both findings at 101:13
  CHECK(codes(compile_failing(std::move(spec))) == "SG101@101:13 SG105@101:13");
}

TEST_CASE("compile: a diagnostic formats as file:line:column: error[code]: message (related); hint") {
  CompileResult r = compile_failing(make_spec(kScopes, {
                                                           {Method::kGet, "/a/{x}", RouteAuth::kScope, "s:read"},
                                                           {Method::kGet, "/a/{y}", RouteAuth::kScope, "s:read"},
                                                       }));
  REQUIRE(r.diagnostics.size() == 1);
  const std::string text = r.diagnostics[0].format();
  const std::string head = "test.yaml:103:5: error[SG103]: ";
  CHECK(text.rfind(head, 0) == 0);
  CHECK(text.find(" (100:5); ") != std::string::npos);
  CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("compile: a message that quotes policy input stays on one line") {
  // Diagnostics are printed one a line (STYLE: "one line"): a newline copied
  // from the policy into a message would split it, or forge a second finding.
  struct Row {
    std::string note;
    void (*edit)(PolicySpec&);
    std::string want;
  };
  const std::vector<Row> rows = {
      {"realm", [](PolicySpec& s) { s.realm = "com\nwit"; }, "SG110@0:0"},
      {"secret_env", [](PolicySpec& s) { s.operator_class.secret_env = "A\nB"; }, "SG110@6:3"},
      {"actor_header", [](PolicySpec& s) { s.operator_class.actor_header = "X\r\nY"; }, "SG110@6:3"},
      {"default_actor", [](PolicySpec& s) { s.operator_class.default_actor = "a\nb"; }, "SG110@6:3"},
      {"scope name", [](PolicySpec& s) { s.scopes.push_back({"s:\nx", "", {20, 5}}); }, "SG114@20:5"},
      {"prefix family", [](PolicySpec& s) { s.operator_prefixes.push_back({"/x\ny", "", {50, 5}}); }, "SG111@50:5"},
      {"pattern", [](PolicySpec& s) { s.routes[0].pattern = "/a\nb"; }, "SG104@101:13"},
      {"unknown scope", [](PolicySpec& s) { s.routes[0].scope = "s:\nread"; }, "SG101@102:12"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    PolicySpec spec = make_spec(kScopes, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}});
    row.edit(spec);
    CompileResult r = compile_failing(std::move(spec));
    CHECK(codes(r) == row.want);
    for (const auto& d : r.diagnostics) {
      CHECK(d.message.find_first_of("\r\n") == std::string::npos);
      CHECK(d.format().find_first_of("\r\n") == std::string::npos);
    }
  }
}

TEST_CASE("compile: a route with an error still conflicts with a later route") {
  // compile() reports every error: a route already refused for one reason
  // must still be found as the twin of a later one.
  struct Row {
    std::string note;
    std::vector<RouteRow> routes;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"an unknown scope, repeated",
       {{Method::kGet, "/a", RouteAuth::kScope, "s:nope"}, {Method::kGet, "/a", RouteAuth::kScope, "s:nope"}},
       "SG101@102:12 SG102@103:5~100:5 SG101@105:12"},
      {"an unguarded route, then an overlapping one",
       {{Method::kGet, "/a/{x}", RouteAuth::kScope, ""}, {Method::kGet, "/a/{y}", RouteAuth::kScope, "s:read"}},
       "SG106@100:5 SG103@103:5~100:5"},
      {"a public route with a scope, then its duplicate",
       {{Method::kPost, "/a", RouteAuth::kPublic, "s:write"}, {Method::kPost, "/a", RouteAuth::kPublic, ""}},
       "SG109@102:12 SG102@103:5~100:5"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    CHECK(codes(compile_failing(make_spec(kScopes, row.routes))) == row.want);
  }
}

TEST_CASE("compile: a route knows whether its paths lie in a family where its pattern tells, and agrees with the path") {
  const std::vector<std::string> prefixes = {"/a/b", "/c/", "/d/x"};
  using enum FamilyMembership;
  const std::vector<std::pair<std::string, FamilyMembership>> cases = {
      {"/a/b", kAlways},    // literals alone: the family's own text
      {"/a", kNever},       // literals alone, shorter than the prefix
      {"/a/bc", kAlways},   // the prefix ends inside a literal
      {"/a/{p}", kMaybe},   // the prefix reaches into the parameter
      {"/a/b/{p}", kAlways},
      {"/c", kNever},       // `/c` is not `/c/`
      {"/c/{p}", kAlways},  // every path starts `/c/` and one byte more
      {"/{p}/b", kMaybe},
      {"/d/{p}", kMaybe},
      {"/e/{p}", kNever},
  };
  std::vector<RouteRow> rows;
  for (const auto& [pattern, want] : cases) rows.push_back({Method::kGet, pattern, RouteAuth::kScope, "s:read"});
  auto policy = compile_ok(make_spec(kScopes, rows, prefixes));
  REQUIRE(policy->routes().size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("pattern " << cases[i].first);
    CHECK(policy->routes()[i].family == cases[i].second);
  }
  // Every path of up to three segments over the patterns' words (and `x`,
  // which completes `/d/x`): where a route matches, its answer is the path's.
  std::vector<std::string> paths = {""};
  std::size_t matched = 0;
  for (int depth = 0; depth < 3; ++depth) {
    std::vector<std::string> longer;
    for (const std::string& path : paths)
      for (const char* word : {"a", "b", "bc", "c", "d", "e", "x", "xy"}) longer.push_back(path + "/" + word);
    for (const std::string& path : longer) {
      char buffer[detail::kMatchBufferBytes];
      const CompiledRoute* route = detail::match_route(*policy, "GET", path, buffer);
      if (!route) continue;
      INFO("path " << path << " on " << route->display);
      CHECK(policy->in_operator_family(path, *route) == policy->in_operator_family(path));
      ++matched;
    }
    paths = std::move(longer);
  }
  CHECK(matched > 40);
}
