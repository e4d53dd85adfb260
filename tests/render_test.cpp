// What a server sends back (contract section 7) and the decision line of
// `policy-check decide` (section 8). A small strict JSON reader below checks
// that every body is JSON with its keys in order, independently of how the
// renderer chose to write it.

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace sgtest;

/// A JSON value; objects keep their members in order.
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  std::string text;  ///< a string's value, or a number's text
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* get(std::string_view key) const {
    for (const auto& [k, v] : members)
      if (k == key) return &v;
    return nullptr;
  }
  std::string keys() const {
    std::string out;
    for (const auto& [k, v] : members) out += (out.empty() ? "" : ",") + k;
    return out;
  }
};

/// RFC 8259, strictly: no raw control character in a string, no trailing text.
class JsonReader {
 public:
  static std::optional<Json> parse(std::string_view text) {
    JsonReader r{text};
    std::optional<Json> v = r.value();
    r.space();
    if (!v || r.i_ != text.size()) return std::nullopt;
    return v;
  }

 private:
  explicit JsonReader(std::string_view in) : in_(in) {}
  std::string_view in_;
  std::size_t i_ = 0;

  void space() {
    while (i_ < in_.size() && (in_[i_] == ' ' || in_[i_] == '\t' || in_[i_] == '\n' || in_[i_] == '\r')) ++i_;
  }
  bool eat(std::string_view word) {
    if (in_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  std::optional<std::string> string() {
    if (!eat("\"")) return std::nullopt;
    std::string out;
    while (i_ < in_.size()) {
      auto c = static_cast<unsigned char>(in_[i_++]);
      if (c == '"') return out;
      if (c < 0x20) return std::nullopt;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (i_ >= in_.size()) return std::nullopt;
      char e = in_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > in_.size()) return std::nullopt;
          unsigned v = 0;
          for (int k = 0; k < 4; ++k) {
            char h = in_[i_++];
            v *= 16;
            if (h >= '0' && h <= '9') v += h - '0';
            else if (h >= 'a' && h <= 'f') v += h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') v += h - 'A' + 10;
            else return std::nullopt;
          }
          if (v >= 0x80) return std::nullopt;  // enough for these tests: ASCII only
          out += static_cast<char>(v);
          break;
        }
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::optional<Json> value() {
    space();
    Json v;
    if (i_ >= in_.size()) return std::nullopt;
    char c = in_[i_];
    if (c == '"') {
      auto s = string();
      if (!s) return std::nullopt;
      v.kind = Json::Kind::kString;
      v.text = std::move(*s);
    } else if (c == '{') {
      ++i_;
      v.kind = Json::Kind::kObject;
      space();
      if (eat("}")) return v;
      while (true) {
        space();
        auto key = string();
        if (!key) return std::nullopt;
        space();
        if (!eat(":")) return std::nullopt;
        auto member = value();
        if (!member) return std::nullopt;
        if (v.get(*key)) return std::nullopt;  // duplicate keys: not for us
        v.members.emplace_back(std::move(*key), std::move(*member));
        space();
        if (eat("}")) return v;
        if (!eat(",")) return std::nullopt;
      }
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Kind::kArray;
      space();
      if (eat("]")) return v;
      while (true) {
        auto item = value();
        if (!item) return std::nullopt;
        v.items.push_back(std::move(*item));
        space();
        if (eat("]")) return v;
        if (!eat(",")) return std::nullopt;
      }
    } else if (eat("true")) {
      v.kind = Json::Kind::kBool;
      v.boolean = true;
    } else if (eat("false")) {
      v.kind = Json::Kind::kBool;
    } else if (eat("null")) {
      v.kind = Json::Kind::kNull;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t start = i_;
      if (in_[i_] == '-') ++i_;
      while (i_ < in_.size() && in_[i_] >= '0' && in_[i_] <= '9') ++i_;
      v.kind = Json::Kind::kNumber;
      v.text = std::string(in_.substr(start, i_ - start));
    } else {
      return std::nullopt;
    }
    return v;
  }
};

/// A decision of the Comwit harness, rendered while its views are alive.
struct Rendered {
  Facts facts;
  std::string www_authenticate;
  std::string allow;
  std::string body;
  std::string line;
};

Rendered render(const Harness& h, std::string_view method, std::string_view target, const Headers& headers) {
  const std::vector<Header> views = header_views(headers);
  const Decision d = h.decide(method, target, views);
  return {facts_of(d), www_authenticate(d, h.policy->realm()), allow_header(d.allowed_methods), error_body_json(d),
          decision_json(d)};
}

struct Case {
  std::string note;
  std::string method;
  std::string target;
  Headers headers;
  std::string reason;  ///< checked, so that each row is the outcome it claims
};

/// One request per reason of contract section 1, each carrying a token where the
/// step allows one, so that the bodies can be searched for it.
std::vector<Case> one_per_reason() {
  const auto alice = bearer("cwt_0123abcd");
  return {
      {"malformed_path", "GET", "/v1/%2e%2e/status", {alice}, "malformed_path"},
      {"method_override", "GET", "/v1/projects?_method=PUT", {alice}, "method_override"},
      {"url_override", "GET", "/v1/projects", {alice, {"X-Original-URL", "/v1/status"}}, "url_override"},
      {"public", "POST", "/v1/auth/device", {alice}, "public"},
      {"invalid_request", "GET", "/v1/projects", {{"Authorization", "Bearer cwt_0123abcd cwt_0123abcd"}},
       "invalid_request"},
      {"missing_token", "GET", "/v1/projects?access_token=cwt_0123abcd", {}, "missing_token"},
      {"invalid_token", "GET", "/v1/projects", {bearer("cwt_dead")}, "invalid_token"},
      {"operator_only", "GET", "/v1/status", {alice}, "operator_only"},
      {"no_route", "GET", "/nope", {alice}, "no_route"},
      {"method_not_allowed", "DELETE", "/v1/projects/prj_alpha/apps", {alice}, "method_not_allowed"},
      {"invalid_actor", "GET", "/v1/projects", {bearer(kOperatorSecret), {"X-Comwit-Actor-User-Id", "a,b"}},
       "invalid_actor"},
      {"operator_bypass", "GET", "/v1/projects", {bearer(kOperatorSecret)}, "operator_bypass"},
      {"insufficient_scope", "GET", "/v1/projects/prj_alpha/databases", {alice}, "insufficient_scope"},
      {"not_a_member", "GET", "/v1/projects/prj_beta", {alice}, "not_a_member"},
      {"granted", "GET", "/v1/projects/prj_alpha", {alice}, "granted"},
  };
}

}  // namespace

TEST_CASE("render: WWW-Authenticate values of section 7, exactly") {
  const Harness& h = comwit();
  const std::vector<std::pair<std::string, std::string>> want_by_reason = {
      {"missing_token", "Bearer realm=\"comwit\""},
      {"invalid_token", "Bearer realm=\"comwit\", error=\"invalid_token\""},
      {"invalid_request", "Bearer realm=\"comwit\", error=\"invalid_request\""},
      {"insufficient_scope", "Bearer realm=\"comwit\", error=\"insufficient_scope\", scope=\"database:read\""},
  };
  for (const Case& c : one_per_reason()) {
    INFO(c.note);
    const Rendered r = render(h, c.method, c.target, c.headers);
    REQUIRE(r.facts.reason == c.reason);
    std::string want;  // none for every other outcome
    for (const auto& [reason, value] : want_by_reason)
      if (reason == c.reason) want = value;
    CHECK(r.www_authenticate == want);
  }
  SUBCASE("the scope named is the route's") {
    CHECK(render(h, "POST", "/v1/projects/prj_alpha/domains/d1/purchase", {bearer("cwt_0123abcd")})
              .www_authenticate ==
          "Bearer realm=\"comwit\", error=\"insufficient_scope\", scope=\"domain:purchase\"");
  }
  SUBCASE("the realm is the policy's") {
    PolicySpec spec = comwit_spec();
    spec.realm = "Comwit Cloud";
    const Harness other(std::move(spec));
    CHECK(render(other, "GET", "/v1/projects", {}).www_authenticate == "Bearer realm=\"Comwit Cloud\"");
    CHECK(render(other, "GET", "/v1/projects", {bearer("cwt_dead")}).www_authenticate ==
          "Bearer realm=\"Comwit Cloud\", error=\"invalid_token\"");
  }
}

TEST_CASE("render: the Allow header lists the methods of a 405 in alphabetical order") {
  const Harness& h = comwit();
  struct Row {
    std::string note;
    std::string method;
    std::string target;
    std::string allow;
  };
  const std::vector<Row> rows = {
      {"one method", "PUT", "/v1/projects", "GET"},
      {"two methods", "DELETE", "/v1/projects/prj_alpha/apps", "GET, POST"},
      {"DELETE before GET", "PUT", "/v1/projects/prj_alpha/apps/app_1", "DELETE, GET"},
      {"DELETE before PUT", "GET", "/v1/projects/prj_alpha/domains/d/records/r", "DELETE, PUT"},
      {"a public route's method", "GET", "/v1/auth/device/token", "POST"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const Rendered r = render(h, row.method, row.target, {bearer("cwt_f00d")});
    REQUIRE(r.facts.reason == "method_not_allowed");
    CHECK(r.allow == row.allow);
  }
  SUBCASE("allow_header on method sets") {
    CHECK(allow_header(0) == "");
    CHECK(allow_header(method_bit(Method::kTrace)) == "TRACE");
    CHECK(allow_header(0xFF) == "CONNECT, DELETE, GET, OPTIONS, PATCH, POST, PUT, TRACE");
    CHECK(allow_header(method_bit(Method::kPut) | method_bit(Method::kConnect) | method_bit(Method::kPatch)) ==
          "CONNECT, PATCH, PUT");
  }
}

TEST_CASE("render: the error body is JSON with status, code, message and the facts that apply") {
  const Harness& h = comwit();
  for (const Case& c : one_per_reason()) {
    INFO(c.note);
    const Rendered r = render(h, c.method, c.target, c.headers);
    REQUIRE(r.facts.reason == c.reason);
    INFO("body: ", r.body);
    std::optional<Json> body = JsonReader::parse(r.body);
    REQUIRE(body.has_value());
    CHECK(body->keys() == "error");
    const Json* error = body->get("error");
    REQUIRE(error != nullptr);
    std::string keys = "status,code,message";
    if (c.reason == "insufficient_scope") keys += ",required_scope";
    if (c.reason == "not_a_member") keys += ",project";
    CHECK(error->keys() == keys);
    REQUIRE(error->get("status"));
    CHECK(error->get("status")->kind == Json::Kind::kNumber);
    CHECK(error->get("status")->text == std::to_string(r.facts.status));
    CHECK(error->get("code")->text == c.reason);
    CHECK(error->get("message")->kind == Json::Kind::kString);
    CHECK_FALSE(error->get("message")->text.empty());
    if (c.reason == "insufficient_scope") CHECK(error->get("required_scope")->text == "database:read");
    if (c.reason == "not_a_member") CHECK(error->get("project")->text == "prj_beta");
    // The body never echoes a token, nor does the decision line.
    CHECK(r.body.find("cwt_") == std::string::npos);
    CHECK(r.body.find(kOperatorSecret) == std::string::npos);
    CHECK(r.line.find("cwt_") == std::string::npos);
    CHECK(r.line.find(kOperatorSecret) == std::string::npos);
  }
  SUBCASE("the exact text for insufficient_scope, around the message") {
    const Rendered r = render(h, "GET", "/v1/projects/prj_alpha/databases", {bearer("cwt_0123abcd")});
    const std::string head = "{\"error\": {\"status\": 403, \"code\": \"insufficient_scope\", \"message\": \"";
    const std::string tail = "\", \"required_scope\": \"database:read\"}}";
    CHECK(r.body.rfind(head, 0) == 0);
    REQUIRE(r.body.size() > tail.size());
    CHECK(r.body.substr(r.body.size() - tail.size()) == tail);
  }
}

TEST_CASE("render: the decision line of section 8") {
  SUBCASE("the contract's example, exactly") {
    // usr_alice of this row lacks app:read, as in the contract's example line.
    const Harness h(comwit_spec(), {{"cwt_0123abcd", "usr_alice", {"project:read"}, {"prj_alpha"}, {}}});
    const Rendered r = render(h, "GET", "/v1/projects/prj_alpha/apps?page=2", {bearer("cwt_0123abcd")});
    CHECK(r.line ==
          "{\"allow\": false, \"status\": 403, \"reason\": \"insufficient_scope\", "
          "\"route\": \"GET /v1/projects/{projectId}/apps\", \"required_scope\": \"app:read\", "
          "\"project\": \"prj_alpha\", \"actor\": \"usr_alice\", \"actor_header_ignored\": false}");
  }
  const Harness& h = comwit();
  struct Row {
    std::string note;
    std::string method;
    std::string target;
    Headers headers;
    std::string line;
  };
  const std::vector<Row> rows = {
      {"all null but the reason", "GET", "/v1/%2e%2e", {},
       "{\"allow\": false, \"status\": 400, \"reason\": \"malformed_path\", \"route\": null, "
       "\"required_scope\": null, \"project\": null, \"actor\": null, \"actor_header_ignored\": false}"},
      {"public: the route only", "POST", "/v1/auth/device", {},
       "{\"allow\": true, \"status\": 200, \"reason\": \"public\", \"route\": \"POST /v1/auth/device\", "
       "\"required_scope\": null, \"project\": null, \"actor\": null, \"actor_header_ignored\": false}"},
      {"405 adds allowed_methods, last", "DELETE", "/v1/projects/prj_alpha/apps", {bearer("cwt_0123abcd")},
       "{\"allow\": false, \"status\": 405, \"reason\": \"method_not_allowed\", \"route\": null, "
       "\"required_scope\": null, \"project\": null, \"actor\": \"usr_alice\", \"actor_header_ignored\": false, "
       "\"allowed_methods\": [\"GET\", \"POST\"]}"},
      {"404 has no allowed_methods", "GET", "/nope", {bearer("cwt_0123abcd"), actor_header("usr_bob")},
       "{\"allow\": false, \"status\": 404, \"reason\": \"no_route\", \"route\": null, "
       "\"required_scope\": null, \"project\": null, \"actor\": \"usr_alice\", \"actor_header_ignored\": true}"},
      {"operator-only through a hidden alias", "GET", "/v1/project/prj_alpha", {bearer("cwt_0123abcd")},
       "{\"allow\": false, \"status\": 403, \"reason\": \"operator_only\", \"route\": \"GET /v1/project/{projectId}\", "
       "\"required_scope\": null, \"project\": \"prj_alpha\", \"actor\": \"usr_alice\", \"actor_header_ignored\": false}"},
      {"the operator on an operator-only route", "GET", "/v1/status", {bearer(kOperatorSecret), actor_header("usr_bob")},
       "{\"allow\": true, \"status\": 200, \"reason\": \"operator_bypass\", \"route\": \"GET /v1/status\", "
       "\"required_scope\": null, \"project\": null, \"actor\": \"usr_bob\", \"actor_header_ignored\": false}"},
      {"invalid_actor: the route, no actor", "GET", "/v1/projects/prj_alpha", {bearer(kOperatorSecret), actor_header("")},
       "{\"allow\": false, \"status\": 400, \"reason\": \"invalid_actor\", \"route\": \"GET /v1/projects/{projectId}\", "
       "\"required_scope\": \"project:read\", \"project\": \"prj_alpha\", \"actor\": null, \"actor_header_ignored\": false}"},
      {"granted", "GET", "/v1/projects/prj_alpha/apps", {bearer("cwt_0123abcd")},
       "{\"allow\": true, \"status\": 200, \"reason\": \"granted\", \"route\": \"GET /v1/projects/{projectId}/apps\", "
       "\"required_scope\": \"app:read\", \"project\": \"prj_alpha\", \"actor\": \"usr_alice\", \"actor_header_ignored\": false}"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    CHECK(render(h, row.method, row.target, row.headers).line == row.line);
  }
  SUBCASE("every outcome: valid JSON, every field, in order") {
    for (const Case& c : one_per_reason()) {
      INFO(c.note);
      const Rendered r = render(h, c.method, c.target, c.headers);
      INFO("line: ", r.line);
      std::optional<Json> line = JsonReader::parse(r.line);
      REQUIRE(line.has_value());
      std::string keys = "allow,status,reason,route,required_scope,project,actor,actor_header_ignored";
      if (c.reason == "method_not_allowed") keys += ",allowed_methods";
      CHECK(line->keys() == keys);
      CHECK(line->get("allow")->kind == Json::Kind::kBool);
      CHECK(line->get("allow")->boolean == r.facts.allow);
      CHECK(line->get("status")->text == std::to_string(r.facts.status));
      CHECK(line->get("reason")->text == c.reason);
      CHECK(line->get("actor_header_ignored")->kind == Json::Kind::kBool);
      for (const char* key : {"route", "required_scope", "project", "actor"}) {
        const Json* v = line->get(key);
        CHECK((v->kind == Json::Kind::kNull || v->kind == Json::Kind::kString));
      }
      CHECK((line->get("route")->kind == Json::Kind::kNull) == !r.facts.route.has_value());
      CHECK((line->get("actor")->kind == Json::Kind::kNull) == !r.facts.actor.has_value());
    }
  }
}

TEST_CASE("render: JSON strings escape quotes, backslashes and every control character") {
  std::string raw = "GET /a\"b\\c/";
  for (int c = 0; c < 0x20; ++c) raw += static_cast<char>(c);
  raw += '\x7F';
  raw += "/end";
  Decision d;
  d.reason = Reason::kGranted;
  d.route = raw;
  d.required_scope = "s:\"q\"";
  d.actor = "tab\there";
  const std::string line = decision_json(d);
  INFO("line: ", line);
  // No raw control character survives.
  for (char ch : line) CHECK(static_cast<unsigned char>(ch) >= 0x20);
  // The escapes JSON fixes, where it has only one spelling.
  CHECK(line.find("\\\"b\\\\c/") != std::string::npos);
  CHECK(line.find("\\u0001") != std::string::npos);
  CHECK(line.find("\\u0019") != std::string::npos);
  // The text reads back unchanged.
  std::optional<Json> parsed = JsonReader::parse(line);
  REQUIRE(parsed.has_value());
  CHECK(parsed->get("route")->text == raw);
  CHECK(parsed->get("required_scope")->text == "s:\"q\"");
  CHECK(parsed->get("actor")->text == "tab\there");
  CHECK(parsed->get("project")->kind == Json::Kind::kNull);
}

TEST_CASE("render: the error body of a 403 not_a_member names the project as canonical") {
  const Harness& h = comwit();
  const Rendered r = render(h, "GET", "/v1/projects/prj%5Fbeta%3a/apps", {bearer("cwt_0123abcd")});
  REQUIRE(r.facts.reason == "not_a_member");
  std::optional<Json> body = JsonReader::parse(r.body);
  REQUIRE(body.has_value());
  CHECK(body->get("error")->get("project")->text == "prj_beta%3A");
}
