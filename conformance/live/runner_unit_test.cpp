// The runner's judging and masking, without a network: what counts as the
// contract's response, and what a printed token looks like.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "compare.hpp"
#include "credentials.hpp"
#include "report.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::live;

Probe denied(Reason reason, std::string www = {}, std::vector<std::string> allow = {}) {
  Probe p;
  p.method = "GET";
  p.target = "/v1/projects";
  p.expected.reason = reason;
  p.expected.www_authenticate = std::move(www);
  p.expected.allow_methods = std::move(allow);
  return p;
}

Exchange answered(long status, std::vector<std::pair<std::string, std::string>> headers, std::string body) {
  Exchange ex;
  ex.sent = true;
  ex.attempts = 1;
  ex.response = HttpResponse{status, std::move(headers), std::move(body)};
  return ex;
}

std::string body(std::string_view code) { return "{\"error\": {\"status\": 401, \"code\": \"" + std::string(code) + "\"}}"; }

StatusSet default_pass() {
  std::string error;
  return *StatusSet::parse("2xx,404", &error);
}

}  // namespace

TEST_CASE("live-runner-unit: WWW-Authenticate is compared by its Bearer parameters") {
  const Probe p = denied(Reason::kInvalidToken, R"(Bearer realm="comwit", error="invalid_token")");
  struct Row {
    const char* challenge;
    bool passes;
  };
  const Row rows[] = {
      {R"(Bearer realm="comwit", error="invalid_token")", true},                           // the contract's text
      {R"(bearer error=invalid_token,realm=comwit)", true},                                // order, case, token values
      {R"(Bearer realm="comwit", error="invalid_token", error_description="x")", true},  // the server's extra parameter
      {R"(Basic realm="x", Bearer realm="comwit", error="invalid_token")", true},          // a second challenge
      {R"(Bearer realm="comwit")", false},                                                 // error missing
      {R"(Bearer realm="other", error="invalid_token")", false},                           // another realm
      {R"(Basic realm="comwit")", false},                                                  // no Bearer challenge
  };
  for (const Row& row : rows) {
    CAPTURE(row.challenge);
    Verdict v = judge(p, answered(401, {{"WWW-Authenticate", row.challenge}}, body("invalid_token")), default_pass(), {});
    CHECK((v.kind == Verdict::Kind::kPass) == row.passes);
  }
  // A 401 without the error code must not carry one.
  const Probe missing = denied(Reason::kMissingToken, R"(Bearer realm="comwit")");
  CHECK(judge(missing, answered(401, {{"WWW-Authenticate", R"(Bearer realm="comwit", error="invalid_token")"}}, body("missing_token")),
              default_pass(), {})
            .kind == Verdict::Kind::kFail);
}

TEST_CASE("live-runner-unit: status, Allow and the error code") {
  const Probe p405 = denied(Reason::kMethodNotAllowed, {}, {"DELETE", "GET"});
  auto allow = [&](const char* value, const char* code) {
    return judge(p405, answered(405, {{"Allow", value}}, body(code)), default_pass(), {}).kind;
  };
  CHECK(allow("DELETE, GET", "method_not_allowed") == Verdict::Kind::kPass);
  CHECK(allow("GET,DELETE", "method_not_allowed") == Verdict::Kind::kPass);  // a list, compared as a set
  CHECK(allow("GET", "method_not_allowed") == Verdict::Kind::kFail);
  CHECK(allow("DELETE, GET", "no_route") == Verdict::Kind::kFail);

  Verdict wrong = judge(denied(Reason::kNotAMember), answered(200, {}, "{}"), default_pass(), {});
  REQUIRE(wrong.differences.size() == 1);
  CHECK(wrong.differences[0] == "status: want 403 not_a_member, got 200");

  // A HEAD answer has no body to read a code from.
  Probe head = denied(Reason::kNoRoute);
  head.method = "HEAD";
  CHECK(judge(head, answered(404, {}, ""), default_pass(), {}).kind == Verdict::Kind::kPass);

  // A denial's body must not echo a token.
  CHECK(judge(denied(Reason::kNoRoute), answered(404, {}, body("no_route") + " cwt_0123"), default_pass(), {"cwt_0123"})
            .differences.back() == "body: echoes a token of the run");

  Probe granted = denied(Reason::kGranted);
  CHECK(judge(granted, answered(204, {}, ""), default_pass(), {}).kind == Verdict::Kind::kPass);
  CHECK(judge(granted, answered(404, {}, ""), default_pass(), {}).kind == Verdict::Kind::kPass);
  CHECK(judge(granted, answered(403, {}, ""), default_pass(), {}).kind == Verdict::Kind::kFail);
  CHECK(judge(granted, answered(500, {}, ""), default_pass(), {}).kind == Verdict::Kind::kFail);
}

TEST_CASE("live-runner-unit: --pass-status lists") {
  std::string error;
  auto set = StatusSet::parse("2xx, 400,404", &error);
  REQUIRE(set);
  CHECK(set->contains(200));
  CHECK(set->contains(299));
  CHECK(set->contains(400));
  CHECK_FALSE(set->contains(401));
  CHECK_FALSE(StatusSet::parse("2x", &error));
  CHECK(error == "--pass-status: \"2x\" is not a status (404) or a class (2xx)");
}

TEST_CASE("live-runner-unit: tokens are masked wherever they appear") {
  Redactor r;
  r.add("cwt_0123456789abcdef", "cwt_");
  r.add("op-secret-for-tests");
  r.add("cwt_ab", "cwt_");
  CHECK(r.redact("Bearer cwt_0123456789abcdef") == "Bearer cwt_01\u2026(masked)");
  CHECK(r.redact("Bearer CWT_0123456789ABCDEF!") == "Bearer CWT_01\u2026(masked)!");  // any letter case
  CHECK(r.redact("x=op-secret-for-tests&y") == "x=op\u2026(masked)&y");
  // Never more than half of a secret: a short token keeps three characters.
  CHECK(r.redact("cwt_ab") == "cwt\u2026(masked)");
}

TEST_CASE("live-runner-unit: curl command lines send the target byte for byte") {
  HttpOptions http;
  http.origin = "http://127.0.0.1:8080";
  Probe p;
  p.method = "GET";
  p.target = "/v1/projects/prj_alpha/../status";
  p.headers = {{"Authorization", "Bearer cwt_0123"}, {"X-Empty", ""}};
  CHECK(curl_command(p, http) ==
        "curl -sS -i --http1.1 -H 'Authorization: Bearer cwt_0123' -H 'X-Empty;' --path-as-is "
        "'http://127.0.0.1:8080/v1/projects/prj_alpha/../status'");
  p.method = "get";
  p.target = "/v1/status#x\xff";
  p.headers.clear();
  CHECK(curl_command(p, http) == "curl -sS -i --http1.1 -X 'get' --request-target $'/v1/status#x\\xFF' 'http://127.0.0.1:8080/'");
  CHECK(for_display("/a\x01\xc2\xa7\xff") == "/a\\x01\xc2\xa7\\xFF");
}
