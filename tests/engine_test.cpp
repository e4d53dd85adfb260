// decide() and check() on the Comwit policy of contract section 6, built in
// code (fixture.hpp). Every expected row states every fact of section 8.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace sgtest;

// The callers. Scopes and projects are in fixture.hpp's comwit_users().
const std::string kAlice = "cwt_0123abcd";   // usr_alice: project:read, app:read; prj_alpha
const std::string kFull = "cwt_f00d";        // usr_full: every scope; prj_alpha, prj_beta
const std::string kOutsider = "cwt_0ff1ce";  // usr_outsider: every scope; prj_beta only
const std::string kEmpty = "cwt_e0e0";       // usr_empty: no scope; prj_alpha
const std::string kRevoked = "cwt_dead";     // of the user class, unknown to the resolver

std::pair<std::string, std::string> header(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

struct Row {
  std::string note;
  std::string method;
  std::string target;
  Headers headers;
  Facts want;
};

void check_rows(const Harness& h, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note, " | ", row.method, " ", row.target);
    CHECK(h.facts(row.method, row.target, row.headers) == row.want);
  }
}

// Outcomes that report nothing but the reason (section 8: steps 1, 1b, 1c, 3, 4, 5).
const Facts kMalformed = want(400, "malformed_path");
const Facts kMethodOverride = want(400, "method_override");
const Facts kUrlOverride = want(400, "url_override");
const Facts kInvalidRequest = want(400, "invalid_request");
const Facts kMissing = want(401, "missing_token");
const Facts kInvalidToken = want(401, "invalid_token");

Facts public_route(std::string route) { return want(200, "public").with_route(std::move(route)); }

// GET /v1/projects/prj_alpha/apps/app_1 granted to alice: the row most tables vary.
const Facts kAliceApp = want(200, "granted")
                            .with_route("GET /v1/projects/{projectId}/apps/{appId}")
                            .with_scope("app:read")
                            .with_project("prj_alpha")
                            .with_actor("usr_alice");
const std::string kAppTarget = "/v1/projects/prj_alpha/apps/app_1";
// The same route and target, for a user without app:read.
const Facts kLacksApp = want(403, "insufficient_scope")
                            .with_route("GET /v1/projects/{projectId}/apps/{appId}")
                            .with_scope("app:read")
                            .with_project("prj_alpha");

}  // namespace

TEST_CASE("engine: section 1, every step and each step against the next") {
  const Harness& h = comwit();
  const auto alice = bearer(kAlice);
  const auto op = bearer(kOperatorSecret);
  const std::string app = "/v1/projects/prj_alpha/apps/app_1";
  check_rows(h, {
      // Step 1: the request-target is canonical.
      {"1: a dot segment", "GET", "/v1/projects/prj_alpha/../prj_beta", {alice}, kMalformed},
      {"1 before 1b: an override header and `_method`", "GET", "/v1/%2e%2e/status?_method=GET",
       {alice, header("X-HTTP-Method-Override", "GET")}, kMalformed},
      {"1 before 1c", "GET", "/v1//status", {op, header("X-Original-URL", "/v1/status")}, kMalformed},
      {"1 before 2: a public path with an encoded slash", "POST", "/v1/auth%2Fdevice", {}, kMalformed},
      {"1 before 3: two Authorization headers", "GET", "/v1/status%00", {alice, alice}, kMalformed},
      {"1 before 4: no Authorization", "GET", "/v1/%252e", {}, kMalformed},
      {"1 before 6: a user on the operator family", "GET", "/v1/databases/..;/x", {alice}, kMalformed},

      // Step 1b: no method override.
      {"1b: X-HTTP-Method-Override", "GET", "/v1/projects", {alice, header("X-HTTP-Method-Override", "DELETE")},
       kMethodOverride},
      {"1b: query `_method`", "GET", "/v1/projects?_method=DELETE", {alice}, kMethodOverride},
      {"1b before 1c", "GET", "/v1/projects",
       {alice, header("X-Original-URL", "/v1/status"), header("X-Method-Override", "GET")}, kMethodOverride},
      {"1b before 2: on a public route", "POST", "/v1/auth/device", {header("X-HTTP-Method", "POST")},
       kMethodOverride},
      {"1b before 3: two Authorization headers", "GET", "/v1/projects?x-http-method=GET", {alice, alice},
       kMethodOverride},
      {"1b before 4: no Authorization", "GET", "/v1/projects", {header("X-HTTP-Method-Override", "GET")},
       kMethodOverride},

      // Step 1c: no URL override.
      {"1c: X-Original-URL", "GET", "/v1/projects", {alice, header("X-Original-URL", "/v1/status")}, kUrlOverride},
      {"1c: X-Rewrite-URL, blank", "GET", "/v1/projects", {alice, header("X-Rewrite-URL", "")}, kUrlOverride},
      {"1c before 2: on a public route", "POST", "/v1/auth/device", {header("X-Rewrite-URL", "/v1/status")},
       kUrlOverride},
      {"1c before 3: a malformed Authorization", "GET", "/v1/projects",
       {header("Authorization", "Bearer a b"), header("X-Original-URL", "/")}, kUrlOverride},
      {"1c before 4", "GET", "/v1/status", {header("X-Original-URL", "/v1/status")}, kUrlOverride},

      // Step 2: a public route of this method; no header is looked at.
      {"2: no header", "POST", "/v1/auth/device", {}, public_route("POST /v1/auth/device")},
      {"2: the other public route", "POST", "/v1/auth/device/token", {}, public_route("POST /v1/auth/device/token")},
      {"2 before 3: a malformed Authorization", "POST", "/v1/auth/device/token",
       {header("Authorization", "Bearer a b")}, public_route("POST /v1/auth/device/token")},
      {"2 before 3: two Authorization headers", "POST", "/v1/auth/device", {alice, header("Authorization", "")},
       public_route("POST /v1/auth/device")},
      {"2 before 3: a Bearer token and access_token", "POST", "/v1/auth/device?access_token=x", {alice},
       public_route("POST /v1/auth/device")},
      {"2 before 5: a revoked token", "POST", "/v1/auth/device", {bearer(kRevoked)},
       public_route("POST /v1/auth/device")},
      {"2: a user token is not resolved, the actor header not read", "POST", "/v1/auth/device",
       {alice, actor_header("usr_bob")}, public_route("POST /v1/auth/device")},
      {"2 before 9: the operator with a malformed actor", "POST", "/v1/auth/device", {op, actor_header("a,b")},
       public_route("POST /v1/auth/device")},
      {"2 is per method: GET on a public POST path", "GET", "/v1/auth/device", {}, kMissing},
      {"2 is per path: a trailing slash", "POST", "/v1/auth/device/", {}, kMissing},
      {"2: 'post' is an unknown method with no routes", "post", "/v1/auth/device", {}, kMissing},

      // Step 3: a well-formed Authorization.
      {"3: two Authorization headers", "GET", "/v1/projects", {alice, alice}, kInvalidRequest},
      {"3: two headers, one blank", "GET", "/v1/projects", {alice, header("Authorization", "  ")}, kInvalidRequest},
      {"3: two blank headers", "GET", "/v1/projects", {header("Authorization", ""), header("Authorization", "")},
       kInvalidRequest},
      {"3: names differing in case are the same header", "GET", "/v1/projects",
       {header("authorization", "Bearer " + kAlice), header("AUTHORIZATION", "Bearer " + kAlice)}, kInvalidRequest},
      {"3: Bearer with no token", "GET", "/v1/projects", {header("Authorization", "Bearer")}, kInvalidRequest},
      {"3: a token outside token68", "GET", "/v1/projects", {header("Authorization", "Bearer cwt_0123 abcd")},
       kInvalidRequest},
      {"3: a CR", "GET", "/v1/projects", {header("Authorization", "Bearer " + kAlice + "\r")}, kInvalidRequest},
      {"3: Bearer and access_token", "GET", "/v1/projects?access_token=" + kAlice, {alice}, kInvalidRequest},
      {"3 before 4: two headers of another scheme", "GET", "/v1/projects",
       {header("Authorization", "Basic eDp5"), header("Authorization", "Basic eDp5")}, kInvalidRequest},
      {"3 before 5: a malformed token of no class", "GET", "/v1/projects", {header("Authorization", "Bearer a,b")},
       kInvalidRequest},
      {"3 before 5: access_token beside a token of no class", "GET", "/v1/projects?access_token=x",
       {bearer("xyz")}, kInvalidRequest},
      {"3 before 6", "GET", "/v1/status", {alice, alice}, kInvalidRequest},
      {"3 before 7", "GET", "/nope", {alice, alice}, kInvalidRequest},

      // Step 4: a Bearer token is present.
      {"4: no Authorization", "GET", "/v1/projects", {}, kMissing},
      {"4: a blank one", "GET", "/v1/projects", {header("Authorization", " \t ")}, kMissing},
      {"4: another scheme", "GET", "/v1/projects", {header("Authorization", "Basic eDp5")}, kMissing},
      {"4: the scheme glued to the token", "GET", "/v1/projects", {header("Authorization", "Bearer" + kAlice)},
       kMissing},
      {"4: access_token alone does not authenticate", "GET", "/v1/projects?access_token=" + kAlice, {}, kMissing},
      {"4: access_token with another scheme", "GET", "/v1/projects?access_token=" + kAlice,
       {header("Authorization", "Basic eDp5")}, kMissing},
      {"4 before 6: an operator-only route", "GET", "/v1/status", {}, kMissing},
      {"4 before 6: the operator family", "GET", "/v1/databases/x/y", {}, kMissing},
      {"4 before 7: no route", "GET", "/nope", {}, kMissing},
      {"4 before 8: another method", "PUT", "/v1/projects", {}, kMissing},

      // Step 5: the token is of a class and known.
      {"5: revoked", "GET", "/v1/projects", {bearer(kRevoked)}, kInvalidToken},
      {"5: of no class", "GET", "/v1/projects", {bearer("xyz")}, kInvalidToken},
      {"5: a wrong operator secret", "GET", "/v1/projects", {bearer("op-secret-for-tests2")}, kInvalidToken},
      {"5 before 6", "GET", "/v1/status", {bearer(kRevoked)}, kInvalidToken},
      {"5 before 7", "GET", "/nope", {bearer(kRevoked)}, kInvalidToken},
      {"5 before 8", "PUT", "/v1/projects", {bearer("xyz")}, kInvalidToken},

      // Step 6: user tokens and operator-only paths.
      {"6: the chosen route is operator-only", "GET", "/v1/status", {alice},
       want(403, "operator_only").with_route("GET /v1/status").with_actor("usr_alice")},
      {"6 before 7: the family, no route", "GET", "/v1/databases/x/y", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6 before 8: the family, no route for the method", "PUT", "/v1/databases", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6 before 8: an operator-only route of another method", "DELETE", "/v1/apps/app_1", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6 before 8: POST on /v1/status", "POST", "/v1/status", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6 before 8: an unknown method on an operator-only path", "get", "/v1/status", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6: HEAD chooses the GET route", "HEAD", "/v1/status", {alice},
       want(403, "operator_only").with_route("GET /v1/status").with_actor("usr_alice")},
      {"6: a hidden alias reports its project", "GET", "/v1/project/prj_alpha", {alice},
       want(403, "operator_only").with_route("GET /v1/project/{projectId}").with_project("prj_alpha").with_actor("usr_alice")},
      {"6: the hidden databases alias", "GET", "/v1/projects/prj_alpha/db", {alice},
       want(403, "operator_only").with_route("GET /v1/projects/{projectId}/db").with_project("prj_alpha").with_actor("usr_alice")},
      {"6: another method on an alias with a project: no route, no project", "POST", "/v1/project/prj_alpha", {alice},
       want(403, "operator_only").with_actor("usr_alice")},
      {"6 before 11: a user with no scope", "GET", "/v1/status", {bearer(kEmpty)},
       want(403, "operator_only").with_route("GET /v1/status").with_actor("usr_empty")},
      {"6 before 12: a non-member", "GET", "/v1/projects/prj_alpha/db", {bearer(kOutsider)},
       want(403, "operator_only").with_route("GET /v1/projects/{projectId}/db").with_project("prj_alpha").with_actor("usr_outsider")},

      // Step 7: no route has this path.
      {"7: a user", "GET", "/nope", {alice}, want(404, "no_route").with_actor("usr_alice")},
      {"7: a trailing slash", "GET", "/v1/projects/", {alice}, want(404, "no_route").with_actor("usr_alice")},
      {"7: /v1/status/ is not in a family", "GET", "/v1/status/", {alice}, want(404, "no_route").with_actor("usr_alice")},
      {"7: another case", "GET", "/V1/status", {alice}, want(404, "no_route").with_actor("usr_alice")},
      {"7: the operator", "GET", "/nope", {op}, want(404, "no_route").with_actor("operator")},
      {"7: the operator names an actor", "DELETE", "/nope", {op, actor_header("usr_bob")},
       want(404, "no_route").with_actor("usr_bob")},

      // Step 8: the path exists, not for this method.
      {"8: a user", "PUT", "/v1/projects", {alice}, want(405, "method_not_allowed").with_actor("usr_alice").with_allowed("GET")},
      {"8: two methods, sorted", "DELETE", "/v1/projects/prj_alpha/apps", {alice},
       want(405, "method_not_allowed").with_actor("usr_alice").with_allowed("GET, POST")},
      {"8: a public route's path", "GET", "/v1/auth/device", {alice},
       want(405, "method_not_allowed").with_actor("usr_alice").with_allowed("POST")},
      {"8: the operator on the family", "PUT", "/v1/databases", {op},
       want(405, "method_not_allowed").with_actor("operator").with_allowed("GET, POST")},
      {"8 before 11: a user with no scope", "PUT", "/v1/projects", {bearer(kEmpty)},
       want(405, "method_not_allowed").with_actor("usr_empty").with_allowed("GET")},
      {"8 before 12: a non-member", "PUT", "/v1/projects/prj_alpha/apps", {bearer(kOutsider)},
       want(405, "method_not_allowed").with_actor("usr_outsider").with_allowed("GET, POST")},

      // Step 9: the operator's actor header, only once a route is chosen.
      {"9: malformed", "GET", "/v1/projects/prj_alpha", {op, actor_header("a,b")},
       want(400, "invalid_actor").with_route("GET /v1/projects/{projectId}").with_scope("project:read").with_project("prj_alpha")},
      {"9: on an operator-only route: no scope", "GET", "/v1/status", {op, actor_header("operator")},
       want(400, "invalid_actor").with_route("GET /v1/status")},
      {"9 after 7", "GET", "/nope", {op, actor_header("a,b")}, want(404, "no_route")},
      {"9 after 8", "PUT", "/v1/projects", {op, actor_header("x"), actor_header("y")},
       want(405, "method_not_allowed").with_allowed("GET")},

      // Step 10: the operator.
      {"10: a project route", "GET", "/v1/projects/prj_alpha", {op},
       want(200, "operator_bypass").with_route("GET /v1/projects/{projectId}").with_scope("project:read").with_project("prj_alpha").with_actor("operator")},
      {"10: an operator-only route has no scope", "GET", "/v1/status", {op},
       want(200, "operator_bypass").with_route("GET /v1/status").with_actor("operator")},
      {"10: needs no membership", "POST", "/v1/projects/prj_zzz/domains/d1/purchase", {op},
       want(200, "operator_bypass").with_route("POST /v1/projects/{projectId}/domains/{domain}/purchase").with_scope("domain:purchase").with_project("prj_zzz").with_actor("operator")},

      // Step 11: the user's scope.
      {"11: lacks the scope", "GET", "/v1/projects/prj_alpha/databases", {alice},
       want(403, "insufficient_scope").with_route("GET /v1/projects/{projectId}/databases").with_scope("database:read").with_project("prj_alpha").with_actor("usr_alice")},
      {"11 before 12: neither scope nor membership", "GET", "/v1/projects/prj_beta/databases", {alice},
       want(403, "insufficient_scope").with_route("GET /v1/projects/{projectId}/databases").with_scope("database:read").with_project("prj_beta").with_actor("usr_alice")},
      {"11: app:write does not grant app:read", "GET", app, {bearer("cwt_add")}, kLacksApp.with_actor("usr_writer")},
      {"11: near-miss scope names grant nothing", "GET", app, {bearer("cwt_c0c0")}, kLacksApp.with_actor("usr_near")},
      {"11: no scope at all", "GET", app, {bearer(kEmpty)}, kLacksApp.with_actor("usr_empty")},

      // Step 12: membership.
      {"12: not a member", "GET", "/v1/projects/prj_beta/apps", {alice},
       want(403, "not_a_member").with_route("GET /v1/projects/{projectId}/apps").with_scope("app:read").with_project("prj_beta").with_actor("usr_alice")},
      {"12: every scope, another project", "GET", "/v1/projects/prj_alpha", {bearer(kOutsider)},
       want(403, "not_a_member").with_route("GET /v1/projects/{projectId}").with_scope("project:read").with_project("prj_alpha").with_actor("usr_outsider")},
      {"12: project ids compare exactly", "GET", "/v1/projects/PRJ_ALPHA", {alice},
       want(403, "not_a_member").with_route("GET /v1/projects/{projectId}").with_scope("project:read").with_project("PRJ_ALPHA").with_actor("usr_alice")},

      // Step 13: granted.
      {"13: granted", "GET", app, {alice}, kAliceApp},
      {"13: a list route has no project", "GET", "/v1/projects", {alice},
       want(200, "granted").with_route("GET /v1/projects").with_scope("project:read").with_actor("usr_alice")},
      {"13: a non-member on a list route", "GET", "/v1/projects", {bearer(kOutsider)},
       want(200, "granted").with_route("GET /v1/projects").with_scope("project:read").with_actor("usr_outsider")},
      {"13: the project is the canonical value", "GET", "/v1/projects/prj%5Falpha/apps/app_1", {alice}, kAliceApp},
      {"13: an escape stays in the project, upper case", "GET", "/v1/projects/prj%3aalpha/apps", {bearer("cwt_e5c")},
       want(200, "granted").with_route("GET /v1/projects/{projectId}/apps").with_scope("app:read").with_project("prj%3Aalpha").with_actor("usr_escaped")},
      {"13: HEAD reports the GET route", "HEAD", app, {alice}, kAliceApp},
      {"13: the query plays no part", "GET", app + "?page=2&projectId=prj_beta", {alice}, kAliceApp},
  });
}

TEST_CASE("engine: header bounds are 400 invalid_request right after step 1") {
  const Harness& h = comwit();
  Headers fill;
  for (int i = 0; i < 255; ++i) fill.push_back(header("X-Fill-" + std::to_string(i), "x"));
  Headers at_bound = fill;
  at_bound.push_back(bearer(kAlice));  // 256 headers
  Headers over_bound = at_bound;
  over_bound.push_back(header("X-Fill-last", "x"));  // 257 headers

  SUBCASE("256 headers are accepted, 257 are not") {
    CHECK(h.facts("GET", kAppTarget, at_bound) == kAliceApp);
    CHECK(h.facts("GET", kAppTarget, over_bound) == kInvalidRequest);
  }
  SUBCASE("a header of 16384 bytes of name and value is accepted, 16385 is not") {
    const std::string name = "X-Pad";
    CHECK(h.facts("GET", kAppTarget, {bearer(kAlice), header(name, std::string(16384 - name.size(), 'p'))}) ==
          kAliceApp);
    CHECK(h.facts("GET", kAppTarget, {bearer(kAlice), header(name, std::string(16385 - name.size(), 'p'))}) ==
          kInvalidRequest);
    CHECK(h.facts("GET", kAppTarget, {bearer(kAlice), header(std::string(16385, 'N'), "")}) == kInvalidRequest);
  }
  SUBCASE("after step 1, before 1b, 1c and 2") {
    Headers with_override = over_bound;
    with_override.push_back(header("X-HTTP-Method-Override", "GET"));
    Headers with_url = over_bound;
    with_url.push_back(header("X-Original-URL", "/v1/status"));
    CHECK(h.facts("GET", "/v1/%2e%2e/projects", over_bound) == kMalformed);
    CHECK(h.facts("GET", kAppTarget, with_override) == kInvalidRequest);
    CHECK(h.facts("GET", kAppTarget + "?_method=PUT", over_bound) == kInvalidRequest);
    CHECK(h.facts("GET", kAppTarget, with_url) == kInvalidRequest);
    CHECK(h.facts("POST", "/v1/auth/device", over_bound) == kInvalidRequest);
  }
}

TEST_CASE("engine: section 2, the Authorization header as decided") {
  const Harness& h = comwit();
  const std::string a256 = "cwt_" + std::string(252, 'a');
  const std::string a257 = "cwt_" + std::string(253, 'a');
  const Facts full_app = kAliceApp.with_actor("usr_full");
  const Facts op_app = want(200, "operator_bypass")
                           .with_route("GET /v1/projects/{projectId}/apps/{appId}")
                           .with_scope("app:read")
                           .with_project("prj_alpha")
                           .with_actor("operator");
  struct AuthRow {
    std::string note;
    std::string value;
    Facts want;
  };
  const std::vector<AuthRow> rows = {
      {"the plain form", "Bearer " + kAlice, kAliceApp},
      {"surrounding spaces and tabs are trimmed", " \t Bearer " + kAlice + " \t", kAliceApp},
      {"lower-case scheme", "bearer " + kAlice, kAliceApp},
      {"upper-case scheme", "BEARER " + kAlice, kAliceApp},
      {"several spaces after the scheme", "Bearer     " + kAlice, kAliceApp},
      {"empty: no header", "", kMissing},
      {"blank: no header", "   ", kMissing},
      {"glued scheme", "Bearer" + kAlice, kMissing},
      {"glued with a colon", "Bearer:" + kAlice, kMissing},
      {"a tab after the scheme", "Bearer\t" + kAlice, kMissing},
      {"another scheme with the token", "Token " + kAlice, kMissing},
      {"Bearer alone", "Bearer", kInvalidRequest},
      {"Bearer and blanks", "Bearer   ", kInvalidRequest},
      {"an inner space", "Bearer cwt_0123 abcd", kInvalidRequest},
      {"an inner tab", "Bearer cwt_0123\tabcd", kInvalidRequest},
      {"a comma", "Bearer " + kAlice + ",", kInvalidRequest},
      {"an inner '='", "Bearer cwt_0123=abcd", kInvalidRequest},
      {"CRLF", "Bearer " + kAlice + "\r\n", kInvalidRequest},
      {"LF inside", "Bearer cwt_0123\nabcd", kInvalidRequest},
      {"trailing '=' is token68 but of no class", "Bearer " + kAlice + "=", kInvalidToken},
      {"'==' likewise", "Bearer " + kAlice + "==", kInvalidToken},
      // User class: cwt_ and lowercase hex, at most 256 characters. Each of these
      // tokens is known to the resolver: the class alone must turn it away.
      {"CWT_ prefix", "Bearer CWT_0123", kInvalidToken},
      {"upper-case hex", "Bearer cwt_ABCD", kInvalidToken},
      {"not hex", "Bearer cwt_xyz", kInvalidToken},
      {"the prefix alone", "Bearer cwt_", kInvalidToken},
      {"256 characters", "Bearer " + a256, full_app.with_actor("usr_256")},
      {"257 characters", "Bearer " + a257, kInvalidToken},
      {"unknown to the resolver", "Bearer " + kRevoked, kInvalidToken},
      // Operator class: the secret exactly.
      {"the operator secret", "Bearer op-secret-for-tests", op_app},
      {"the operator secret, lower-case scheme", "bearer op-secret-for-tests", op_app},
      {"a prefix of the secret", "Bearer op-secret-for-test", kInvalidToken},
      {"the secret and more", "Bearer op-secret-for-testsX", kInvalidToken},
      {"the secret in another case", "Bearer OP-SECRET-FOR-TESTS", kInvalidToken},
      {"the secret with '='", "Bearer op-secret-for-tests=", kInvalidToken},
  };
  for (const auto& row : rows) {
    INFO(row.note, " | Authorization: [", row.value, "]");
    CHECK(h.facts("GET", kAppTarget, {header("Authorization", row.value)}) == row.want);
  }
  SUBCASE("a token with no scope reaches public routes only") {
    CHECK(h.facts("POST", "/v1/auth/device", {bearer(kEmpty)}) == public_route("POST /v1/auth/device"));
    CHECK(h.facts("GET", "/v1/projects", {bearer(kEmpty)}) ==
          want(403, "insufficient_scope").with_route("GET /v1/projects").with_scope("project:read").with_actor("usr_empty"));
  }
}

namespace {

/// Counts resolve calls; `resolve` must be safe to call concurrently, so the count is atomic.
class CountingResolver final : public TokenResolver {
 public:
  explicit CountingResolver(const TokenResolver& inner) : inner_(inner) {}
  std::optional<UserGrant> resolve(std::string_view token) const override {
    ++calls_;
    return inner_.resolve(token);
  }
  int calls() const { return calls_; }
  void reset() { calls_ = 0; }

 private:
  const TokenResolver& inner_;
  mutable std::atomic<int> calls_{0};
};

}  // namespace

TEST_CASE("engine: the resolver is asked at most once, and only about user-class tokens") {
  const Harness& h = comwit();
  CountingResolver counting(h.resolver);
  struct CallRow {
    std::string note;
    std::string method;
    std::string target;
    Headers headers;
    int calls;
  };
  const std::vector<CallRow> rows = {
      {"a user token", "GET", kAppTarget, {bearer(kAlice)}, 1},
      {"a revoked user token", "GET", kAppTarget, {bearer(kRevoked)}, 1},
      {"a user token on a missing path", "GET", "/nope", {bearer(kAlice)}, 1},
      {"the operator token", "GET", kAppTarget, {bearer(kOperatorSecret)}, 0},
      {"a token of no class, known to the resolver", "GET", kAppTarget, {bearer("CWT_0123")}, 0},
      {"a token of no class", "GET", kAppTarget, {bearer("xyz")}, 0},
      {"a public route", "POST", "/v1/auth/device", {bearer(kAlice)}, 0},
      {"a malformed path", "GET", "/v1/%2e%2e", {bearer(kAlice)}, 0},
      {"a method override", "GET", kAppTarget, {bearer(kAlice), header("X-HTTP-Method", "GET")}, 0},
      {"two Authorization headers", "GET", kAppTarget, {bearer(kAlice), bearer(kAlice)}, 0},
      {"Bearer and access_token", "GET", kAppTarget + "?access_token=x", {bearer(kAlice)}, 0},
      {"access_token alone", "GET", kAppTarget + "?access_token=" + kAlice, {}, 0},
  };
  for (const auto& row : rows) {
    INFO(row.note);
    counting.reset();
    const std::vector<Header> views = header_views(row.headers);
    (void)decide(*h.policy, Request{row.method, row.target, views}, counting, h.secret);
    CHECK(counting.calls() == row.calls);
  }
}

TEST_CASE("engine: a user class wider than token68 still gets step 3's token68 test") {
  // Tokens of a class within token68 skip their own token68 test; a class
  // whose charset has `@` or `=` must not.
  for (const std::string charset : {"0-9a-f@", "0-9a-f="}) {
    PolicySpec spec = comwit_spec();
    spec.user.charset = charset;
    const std::string odd = charset.substr(charset.size() - 1);
    const Harness h(std::move(spec), {{"cwt_ab" + odd + "cd", "usr_odd", {"app:read"}, {"prj_alpha"}, {}},
                                      {"cwt_abcd" + odd, "usr_tail", {"app:read"}, {"prj_alpha"}, {}}});
    INFO(charset);
    CHECK_FALSE(h.policy->user_class().within_token68());
    CHECK(h.facts("GET", kAppTarget, {bearer("cwt_ab" + odd + "cd")}) == kInvalidRequest);
    // `=` may end a token68; `@` may not.
    const Facts tail = h.facts("GET", kAppTarget, {bearer("cwt_abcd" + odd)});
    if (odd == "=")
      CHECK(tail.reason == "granted");
    else
      CHECK(tail == kInvalidRequest);
  }
  CHECK(comwit().policy->user_class().within_token68());
}

TEST_CASE("engine: section 5, the actor header with the operator token") {
  const Harness& h = comwit();
  const auto op = bearer(kOperatorSecret);
  const Facts bypass = want(200, "operator_bypass")
                           .with_route("GET /v1/projects/{projectId}")
                           .with_scope("project:read")
                           .with_project("prj_alpha");
  const Facts invalid = want(400, "invalid_actor")
                            .with_route("GET /v1/projects/{projectId}")
                            .with_scope("project:read")
                            .with_project("prj_alpha");
  const std::string max_actor(128, 'a');
  check_rows(h, {
      {"no header: the default actor", "GET", "/v1/projects/prj_alpha", {op}, bypass.with_actor("operator")},
      {"a valid value", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr_bob")}, bypass.with_actor("usr_bob")},
      {"every allowed character", "GET", "/v1/projects/prj_alpha", {op, actor_header("AZaz09_-")},
       bypass.with_actor("AZaz09_-")},
      {"trimmed of spaces and tabs", "GET", "/v1/projects/prj_alpha", {op, actor_header(" \tusr_bob \t")},
       bypass.with_actor("usr_bob")},
      {"name in lower case", "GET", "/v1/projects/prj_alpha", {op, header("x-comwit-actor-user-id", "usr_bob")},
       bypass.with_actor("usr_bob")},
      {"128 characters", "GET", "/v1/projects/prj_alpha", {op, actor_header(max_actor)}, bypass.with_actor(max_actor)},
      {"129 characters", "GET", "/v1/projects/prj_alpha", {op, actor_header(max_actor + "a")}, invalid},
      {"the reserved word", "GET", "/v1/projects/prj_alpha", {op, actor_header("operator")}, invalid},
      {"the reserved word, padded", "GET", "/v1/projects/prj_alpha", {op, actor_header("  operator ")}, invalid},
      {"'Operator' is not reserved", "GET", "/v1/projects/prj_alpha", {op, actor_header("Operator")},
       bypass.with_actor("Operator")},
      {"'OPERATOR' is not reserved", "GET", "/v1/projects/prj_alpha", {op, actor_header("OPERATOR")},
       bypass.with_actor("OPERATOR")},
      {"'operator_1' is not reserved", "GET", "/v1/projects/prj_alpha", {op, actor_header("operator_1")},
       bypass.with_actor("operator_1")},
      {"empty", "GET", "/v1/projects/prj_alpha", {op, actor_header("")}, invalid},
      {"blank", "GET", "/v1/projects/prj_alpha", {op, actor_header(" \t ")}, invalid},
      {"comma-joined", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr_bob,usr_eve")}, invalid},
      {"comma-joined with a space", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr_bob, usr_eve")}, invalid},
      {"an inner space", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr bob")}, invalid},
      {"a dot", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr.bob")}, invalid},
      {"an '@'", "GET", "/v1/projects/prj_alpha", {op, actor_header("bob@comwit")}, invalid},
      {"a slash", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr/bob")}, invalid},
      {"non-ASCII", "GET", "/v1/projects/prj_alpha", {op, actor_header("b\xC3\xB6")}, invalid},
      {"repeated, same value", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr_bob"), actor_header("usr_bob")},
       invalid},
      {"repeated, names in different case", "GET", "/v1/projects/prj_alpha",
       {op, header("x-comwit-actor-user-id", "usr_bob"), header("X-COMWIT-ACTOR-USER-ID", "usr_eve")}, invalid},
      {"repeated, one blank", "GET", "/v1/projects/prj_alpha", {op, actor_header("usr_bob"), actor_header("")}, invalid},
      {"a name with '_' is another header", "GET", "/v1/projects/prj_alpha",
       {op, header("X_Comwit_Actor_User_Id", "usr_bob")}, bypass.with_actor("operator")},
      {"a name with surrounding space is another header", "GET", "/v1/projects/prj_alpha",
       {op, header("X-Comwit-Actor-User-Id ", "usr_bob")}, bypass.with_actor("operator")},
  });
}

TEST_CASE("engine: section 5, the actor header is ignored for user tokens, and says so") {
  const Harness& h = comwit();
  const auto alice = bearer(kAlice);
  check_rows(h, {
      {"no header", "GET", kAppTarget, {alice}, kAliceApp},
      {"another user's id", "GET", kAppTarget, {alice, actor_header("usr_full")}, kAliceApp.ignored()},
      {"membership stays the token user's", "GET", "/v1/projects/prj_beta/apps", {alice, actor_header("usr_full")},
       want(403, "not_a_member").with_route("GET /v1/projects/{projectId}/apps").with_scope("app:read").with_project("prj_beta").with_actor("usr_alice").ignored()},
      {"malformed: still ignored, not 400", "GET", kAppTarget, {alice, actor_header("a,b")}, kAliceApp.ignored()},
      {"repeated: still ignored, not 400", "GET", kAppTarget, {alice, actor_header("x"), actor_header("y")},
       kAliceApp.ignored()},
      {"the reserved word", "GET", kAppTarget, {alice, actor_header("operator")}, kAliceApp.ignored()},
      {"empty", "GET", kAppTarget, {alice, actor_header("")}, kAliceApp.ignored()},
      {"step 6", "GET", "/v1/status", {alice, actor_header("usr_bob")},
       want(403, "operator_only").with_route("GET /v1/status").with_actor("usr_alice").ignored()},
      {"step 7", "GET", "/nope", {alice, actor_header("usr_bob")}, want(404, "no_route").with_actor("usr_alice").ignored()},
      {"step 8", "PUT", "/v1/projects", {alice, actor_header("usr_bob")},
       want(405, "method_not_allowed").with_actor("usr_alice").with_allowed("GET").ignored()},
      {"step 11", "GET", "/v1/projects/prj_alpha/databases", {alice, actor_header("usr_bob")},
       want(403, "insufficient_scope").with_route("GET /v1/projects/{projectId}/databases").with_scope("database:read").with_project("prj_alpha").with_actor("usr_alice").ignored()},
      // Before a user token is resolved, nothing is ignored.
      {"step 2", "POST", "/v1/auth/device", {alice, actor_header("usr_bob")}, public_route("POST /v1/auth/device")},
      {"step 3", "GET", kAppTarget, {alice, alice, actor_header("usr_bob")}, kInvalidRequest},
      {"step 4", "GET", kAppTarget, {actor_header("usr_bob")}, kMissing},
      {"step 5", "GET", kAppTarget, {bearer(kRevoked), actor_header("usr_bob")}, kInvalidToken},
      {"the operator token", "GET", kAppTarget, {bearer(kOperatorSecret), actor_header("usr_bob")},
       want(200, "operator_bypass").with_route("GET /v1/projects/{projectId}/apps/{appId}").with_scope("app:read").with_project("prj_alpha").with_actor("usr_bob")},
  });
}

namespace {

/// A concrete path for a pattern: `{projectId}` is prj_alpha (or `project`),
/// any other parameter `v_<name>`.
std::string concrete(const std::string& pattern, const std::string& project = "prj_alpha") {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    const std::string name = pattern.substr(i + 1, close - i - 1);
    out += name == "projectId" ? project : "v_" + name;
    i = close;
  }
  return out;
}

}  // namespace

TEST_CASE("engine: section 6, every route with and without its scope and membership") {
  const Harness& h = comwit();
  const auto& scopes = comwit_scopes();
  const auto op = bearer(kOperatorSecret);
  for (const RouteRow& r : comwit_routes()) {
    const std::string method(method_name(r.method));
    const std::string display = method + " " + r.pattern;
    const std::string target = concrete(r.pattern);
    const bool project_route = r.pattern.find("{projectId}") != std::string::npos;
    INFO("route: ", display, " | target: ", target);
    REQUIRE(target.find('{') == std::string::npos);

    if (r.auth == RouteAuth::kPublic) {
      CHECK(h.facts(method, target) == public_route(display));
      CHECK(h.facts(method, target, {op}) == public_route(display));
      CHECK(h.facts(method, target, {bearer(kFull)}) == public_route(display));
      continue;
    }
    if (r.auth == RouteAuth::kOperatorOnly) {
      Facts denied = want(403, "operator_only").with_route(display).with_actor("usr_full");
      Facts bypass = want(200, "operator_bypass").with_route(display).with_actor("operator");
      if (project_route) {
        denied = denied.with_project("prj_alpha");
        bypass = bypass.with_project("prj_alpha");
      }
      CHECK(h.facts(method, target, {bearer(kFull)}) == denied);
      CHECK(h.facts(method, target, {op}) == bypass);
      CHECK(h.facts(method, target, {op, actor_header("usr_bob")}) == bypass.with_actor("usr_bob"));
      CHECK(h.facts(method, target) == kMissing);
      continue;
    }
    const auto index = static_cast<std::size_t>(std::find(scopes.begin(), scopes.end(), r.scope) - scopes.begin());
    REQUIRE(index < scopes.size());
    Facts base = want(200, "granted").with_route(display).with_scope(r.scope);
    if (project_route) base = base.with_project("prj_alpha");

    // With exactly its scope, a member: granted.
    CHECK(h.facts(method, target, {bearer(only_scope_token(index))}) == base.with_actor(only_scope_user(index)));
    // Every scope but its own: insufficient_scope.
    Facts lacks = base.with_actor(all_but_scope_user(index));
    lacks.allow = false;
    lacks.status = 403;
    lacks.reason = "insufficient_scope";
    CHECK(h.facts(method, target, {bearer(all_but_scope_token(index))}) == lacks);
    // Every scope, not a member of prj_alpha: not_a_member on project routes.
    Facts outsider = base.with_actor("usr_outsider");
    if (project_route) {
      outsider.allow = false;
      outsider.status = 403;
      outsider.reason = "not_a_member";
    }
    CHECK(h.facts(method, target, {bearer(kOutsider)}) == outsider);
    // ... and granted in its own project.
    if (project_route) {
      CHECK(h.facts(method, concrete(r.pattern, "prj_beta"), {bearer(kOutsider)}) ==
            base.with_project("prj_beta").with_actor("usr_outsider"));
    }
    // The operator: no scope, no membership needed.
    Facts bypass = base.with_actor("operator");
    bypass.reason = "operator_bypass";
    CHECK(h.facts(method, target, {op}) == bypass);
    // Unauthenticated.
    CHECK(h.facts(method, target) == kMissing);
    // HEAD decides as GET.
    if (r.method == Method::kGet)
      CHECK(h.facts("HEAD", target, {bearer(only_scope_token(index))}) == base.with_actor(only_scope_user(index)));
  }
}

TEST_CASE("engine: the access_token query parameter") {
  const Harness& h = comwit();
  const auto alice = bearer(kAlice);
  check_rows(h, {
      {"alone, a valid token: no authentication", "GET", kAppTarget + "?access_token=" + kAlice, {}, kMissing},
      {"alone, no value", "GET", kAppTarget + "?access_token", {}, kMissing},
      {"alone, the operator secret", "GET", kAppTarget + "?access_token=op-secret-for-tests", {}, kMissing},
      {"with a Bearer token", "GET", kAppTarget + "?access_token=" + kAlice, {alice}, kInvalidRequest},
      {"with a Bearer token, empty value", "GET", kAppTarget + "?access_token=", {alice}, kInvalidRequest},
      {"with a Bearer token, no '='", "GET", kAppTarget + "?access_token", {alice}, kInvalidRequest},
      {"after another parameter", "GET", kAppTarget + "?page=2&access_token=x", {alice}, kInvalidRequest},
      {"before another parameter", "GET", kAppTarget + "?access_token=x&page=2", {alice}, kInvalidRequest},
      {"name with an escaped unreserved character", "GET", kAppTarget + "?access%5Ftoken=x", {alice}, kInvalidRequest},
      {"name with an escaped letter", "GET", kAppTarget + "?%61ccess_token=x", {alice}, kInvalidRequest},
      {"with the operator token", "GET", kAppTarget + "?access_token=x", {bearer(kOperatorSecret)}, kInvalidRequest},
      {"with another scheme", "GET", kAppTarget + "?access_token=" + kAlice, {header("Authorization", "Basic eDp5")},
       kMissing},
      // Not the parameter: compared case-sensitively, by name only.
      {"another case", "GET", kAppTarget + "?Access_Token=x", {alice}, kAliceApp},
      {"upper case", "GET", kAppTarget + "?ACCESS_TOKEN=x", {alice}, kAliceApp},
      {"'-' for '_'", "GET", kAppTarget + "?access-token=x", {alice}, kAliceApp},
      {"a longer name", "GET", kAppTarget + "?access_tokens=x", {alice}, kAliceApp},
      {"as a value", "GET", kAppTarget + "?x=access_token", {alice}, kAliceApp},
      {"after ';' (only '&' separates)", "GET", kAppTarget + "?x=1;access_token=y", {alice}, kAliceApp},
      {"in the path", "GET", "/v1/projects/access_token", {alice},
       want(403, "not_a_member").with_route("GET /v1/projects/{projectId}").with_scope("project:read").with_project("access_token").with_actor("usr_alice")},
  });
}

TEST_CASE("engine: method and URL overrides, in headers and in the query") {
  const Harness& h = comwit();
  const auto alice = bearer(kAlice);
  struct OverrideRow {
    std::string note;
    Headers extra;
    std::string query;
    Facts want;
  };
  const std::vector<OverrideRow> rows = {
      // Method override headers: whatever the value.
      {"X-HTTP-Method-Override", {header("X-HTTP-Method-Override", "PUT")}, "", kMethodOverride},
      {"X-HTTP-Method", {header("X-HTTP-Method", "PUT")}, "", kMethodOverride},
      {"X-Method-Override", {header("X-Method-Override", "PUT")}, "", kMethodOverride},
      {"the request's own method", {header("X-HTTP-Method-Override", "GET")}, "", kMethodOverride},
      {"blank", {header("X-HTTP-Method-Override", "  ")}, "", kMethodOverride},
      {"empty", {header("X-Method-Override", "")}, "", kMethodOverride},
      {"lower-case name", {header("x-http-method-override", "PUT")}, "", kMethodOverride},
      {"upper-case name", {header("X-HTTP-METHOD", "PUT")}, "", kMethodOverride},
      {"'_' for '-'", {header("X_HTTP_Method_Override", "PUT")}, "", kMethodOverride},
      {"'_' and '-' mixed", {header("x_http-method_override", "PUT")}, "", kMethodOverride},
      {"'_' for '-', X-Method-Override", {header("X_METHOD_OVERRIDE", "PUT")}, "", kMethodOverride},
      // URL override headers.
      {"X-Original-URL", {header("X-Original-URL", "/v1/status")}, "", kUrlOverride},
      {"X-Rewrite-URL", {header("X-Rewrite-URL", "/v1/status")}, "", kUrlOverride},
      {"X-Original-URL, its own path", {header("X-Original-URL", kAppTarget)}, "", kUrlOverride},
      {"lower-case", {header("x-original-url", "/")}, "", kUrlOverride},
      {"'_' for '-'", {header("X_Original_URL", "/")}, "", kUrlOverride},
      {"'_' for '-', X-Rewrite-URL", {header("x_rewrite_url", "/")}, "", kUrlOverride},
      {"'_' and '-' mixed", {header("X-Original_Url", "/")}, "", kUrlOverride},
      // Headers that are not looked at.
      {"X-Forwarded-Uri", {header("X-Forwarded-Uri", "/v1/status")}, "", kAliceApp},
      {"X-Forwarded-Prefix", {header("X-Forwarded-Prefix", "/v1/databases")}, "", kAliceApp},
      {"X-Envoy-Original-Path", {header("X-Envoy-Original-Path", "/v1/status")}, "", kAliceApp},
      {"X-Original-URI is not X-Original-URL", {header("X-Original-URI", "/v1/status")}, "", kAliceApp},
      {"X-Method is not an override", {header("X-Method", "PUT")}, "", kAliceApp},
      {"a longer name", {header("X-HTTP-Method-Overrides", "PUT")}, "", kAliceApp},
      {"names are never trimmed", {header(" X-HTTP-Method-Override", "PUT")}, "", kAliceApp},
      {"a name without its dashes", {header("XHTTPMethodOverride", "PUT")}, "", kAliceApp},
      // Query parameters: names compared case-insensitively, unreserved escapes decoded.
      {"_method", {}, "_method=PUT", kMethodOverride},
      {"_METHOD", {}, "_METHOD=PUT", kMethodOverride},
      {"_Method", {}, "_Method=PUT", kMethodOverride},
      {"%5Fmethod", {}, "%5Fmethod=PUT", kMethodOverride},
      {"%5fmethod", {}, "%5fmethod=PUT", kMethodOverride},
      {"_m%65thod", {}, "_m%65thod=PUT", kMethodOverride},
      {"x-http-method-override", {}, "x-http-method-override=PUT", kMethodOverride},
      {"X-HTTP-Method-Override", {}, "X-HTTP-Method-Override=PUT", kMethodOverride},
      {"x-http-method", {}, "x-http-method=PUT", kMethodOverride},
      {"x-method-override", {}, "x-method-override=PUT", kMethodOverride},
      {"X%2DMethod%2DOverride", {}, "X%2DMethod%2DOverride=PUT", kMethodOverride},
      {"empty value", {}, "_method=", kMethodOverride},
      {"no value", {}, "_method", kMethodOverride},
      {"the request's own method", {}, "_method=GET", kMethodOverride},
      {"after another parameter", {}, "page=2&_method=PUT", kMethodOverride},
      {"after an empty parameter", {}, "&_method", kMethodOverride},
      {"before another parameter", {}, "_method=PUT&page=2", kMethodOverride},
      // Not an override parameter.
      {"method", {}, "method=PUT", kAliceApp},
      {"_methods", {}, "_methods=PUT", kAliceApp},
      {"x_method", {}, "x_method=PUT", kAliceApp},
      {"as a value", {}, "a=_method", kAliceApp},
      {"'_' for '-' is for headers only", {}, "x_http_method_override=PUT", kAliceApp},
      {"an escaped '=' is part of the name", {}, "_method%3D=PUT", kAliceApp},
      {"after ';' (only '&' separates)", {}, "a=1;_method=PUT", kAliceApp},
  };
  for (const auto& row : rows) {
    INFO(row.note, " | query: ", row.query);
    Headers headers = {alice};
    headers.insert(headers.end(), row.extra.begin(), row.extra.end());
    const std::string target = row.query.empty() ? kAppTarget : kAppTarget + "?" + row.query;
    CHECK(h.facts("GET", target, headers) == row.want);
  }
  SUBCASE("`_method` in the path is only a path") {
    CHECK(h.facts("GET", "/v1/projects/prj_alpha/apps/_method", {alice}) == kAliceApp);
  }
}

TEST_CASE("engine: the operator secret") {
  const Harness& h = comwit();
  struct SecretRow {
    std::string note;
    std::string secret;
    bool ok;
  };
  const std::vector<SecretRow> rows = {
      {"the test secret", "op-secret-for-tests", true},
      {"token68 with padding", "c2VjcmV0==", true},
      {"every token68 character", "AZaz09-._~+/", true},
      {"the user prefix alone is no user token", "cwt_", true},
      {"upper-case user prefix is no user token", "CWT_0123", true},
      {"an inner space", "op secret", false},
      {"a comma", "op,secret", false},
      {"an inner '='", "op=secret", false},
      {"'=' alone", "=", false},
      {"a CR", "op-secret\r", false},
      {"non-ASCII", "op-s\xC3\xA9", false},
      {"the shape of a user token", "cwt_0123abcd", false},
      {"a user token of the maximum length", "cwt_" + std::string(252, 'f'), false},
  };
  for (const auto& row : rows) {
    INFO(row.note);
    std::string error;
    std::optional<OperatorSecret> s = OperatorSecret::make(row.secret, *h.policy, &error);
    CHECK(s.has_value() == row.ok);
    if (row.ok) {
      CHECK(s->present());
      CHECK(s->matches(row.secret));
    } else {
      CHECK_FALSE(error.empty());
      CHECK(error.find(row.secret) == std::string::npos);  // the secret is never printed
    }
  }
  SUBCASE("no secret: the operator class matches nothing") {
    std::string error;
    std::optional<OperatorSecret> none = OperatorSecret::make("", *h.policy, &error);
    REQUIRE(none.has_value());
    CHECK_FALSE(none->present());
    CHECK_FALSE(none->matches(""));
    const std::vector<Header> headers = {{"Authorization", "Bearer op-secret-for-tests"}};
    CHECK(facts_of(decide(*h.policy, Request{"GET", "/v1/status", headers}, h.resolver, *none)) == kInvalidToken);
    CHECK(facts_of(decide(*h.policy, Request{"GET", "/v1/status", headers}, h.resolver, OperatorSecret{})) ==
          kInvalidToken);
  }
  SUBCASE("a policy without an operator class: the secret matches nothing") {
    PolicySpec spec = comwit_spec();
    spec.operator_class.present = false;
    auto policy = compile_ok(std::move(spec));
    std::string error;
    std::optional<OperatorSecret> s = OperatorSecret::make(kOperatorSecret, *policy, &error);
    REQUIRE(s.has_value());
    const std::vector<Header> headers = {{"Authorization", "Bearer op-secret-for-tests"}};
    CHECK(facts_of(decide(*policy, Request{"GET", "/v1/status", headers}, h.resolver, *s)) == kInvalidToken);
  }
  SUBCASE("from the environment variable the policy names") {
    PolicySpec spec = comwit_spec();
    spec.operator_class.secret_env = "SCOPEGATE_TEST_OPERATOR_SECRET";
    auto policy = compile_ok(std::move(spec));
    const std::vector<Header> headers = {{"Authorization", "Bearer env-secret-1"}};
    const Facts bypass = want(200, "operator_bypass").with_route("GET /v1/status").with_actor("operator");
    std::string error;

    ::unsetenv("SCOPEGATE_TEST_OPERATOR_SECRET");
    std::optional<OperatorSecret> unset = OperatorSecret::from_environment(*policy, &error);
    REQUIRE(unset.has_value());
    CHECK_FALSE(unset->present());

    ::setenv("SCOPEGATE_TEST_OPERATOR_SECRET", "", 1);
    std::optional<OperatorSecret> empty = OperatorSecret::from_environment(*policy, &error);
    REQUIRE(empty.has_value());
    CHECK_FALSE(empty->present());

    ::setenv("SCOPEGATE_TEST_OPERATOR_SECRET", "env-secret-1", 1);
    std::optional<OperatorSecret> set = OperatorSecret::from_environment(*policy, &error);
    REQUIRE(set.has_value());
    CHECK(facts_of(decide(*policy, Request{"GET", "/v1/status", headers}, h.resolver, *set)) == bypass);

    ::setenv("SCOPEGATE_TEST_OPERATOR_SECRET", "cwt_abc", 1);
    CHECK_FALSE(OperatorSecret::from_environment(*policy, &error).has_value());
    ::setenv("SCOPEGATE_TEST_OPERATOR_SECRET", "not token68", 1);
    CHECK_FALSE(OperatorSecret::from_environment(*policy, &error).has_value());
    ::unsetenv("SCOPEGATE_TEST_OPERATOR_SECRET");
  }
}

TEST_CASE("engine: check() agrees with decide() for callers resolved beforehand") {
  const Harness& h = comwit();
  struct Caller {
    std::string note;
    Headers headers;  ///< what decide() gets
    Principal principal;
  };
  auto user = [&](const std::string& token, bool actor_header_present) {
    std::optional<UserGrant> g = h.resolver.resolve(token);
    REQUIRE(g.has_value());
    Principal p;
    p.kind = Principal::Kind::kUser;
    p.actor = g->user_id;
    p.scopes = Principal::intern_scopes(*h.policy, g->scopes);
    p.projects = g->projects;
    p.actor_header_present = actor_header_present;
    return p;
  };
  auto operator_as = [](std::string_view actor) {
    Principal p;
    p.kind = Principal::Kind::kOperator;
    p.actor = actor;
    return p;
  };
  const std::vector<Caller> callers = {
      {"anonymous", {}, Principal{}},
      {"alice", {bearer(kAlice)}, user(kAlice, false)},
      {"alice naming an actor", {bearer(kAlice), actor_header("usr_bob")}, user(kAlice, true)},
      {"the outsider", {bearer(kOutsider)}, user(kOutsider, false)},
      {"a user with no scope", {bearer(kEmpty)}, user(kEmpty, false)},
      {"near-miss scope names", {bearer("cwt_c0c0")}, user("cwt_c0c0", false)},
      {"the operator", {bearer(kOperatorSecret)}, operator_as("operator")},
      {"the operator for usr_bob", {bearer(kOperatorSecret), actor_header("usr_bob")}, operator_as("usr_bob")},
      {"the operator, malformed actor", {bearer(kOperatorSecret), actor_header("a,b")}, operator_as("")},
  };
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"GET", "/v1/projects"},
      {"GET", "/v1/projects/prj_alpha"},
      {"GET", "/v1/projects/prj_beta/apps"},
      {"HEAD", "/v1/projects/prj_alpha/apps/app_1"},
      {"POST", "/v1/projects/prj_alpha/apps/app_1/deploy"},
      {"GET", "/v1/projects/prj%5Falpha/databases/db_1"},
      {"PUT", "/v1/projects/prj_alpha/domains/d/records/r"},
      {"GET", "/v1/status"},
      {"POST", "/v1/status"},
      {"GET", "/v1/databases/x/y"},
      {"GET", "/v1/databases-old"},
      {"GET", "/v1/project/prj_alpha"},
      {"DELETE", "/v1/apps/app_1"},
      {"POST", "/v1/auth/device"},
      {"GET", "/v1/auth/device"},
      {"PUT", "/v1/projects"},
      {"get", "/v1/projects"},
      {"GET", "/nope"},
      {"GET", "/v1/projects/"},
      {"GET", "/v1/%2e%2e/status"},
      {"GET", "/v1/projects?_method=PUT"},
      {"GET", "/v1/projects?%5FMETHOD"},
      {"GET", "/v1/projects?page=2"},
  };
  for (const auto& caller : callers) {
    for (const auto& [method, target] : requests) {
      INFO(caller.note, " | ", method, " ", target);
      const Facts decided = h.facts(method, target, caller.headers);
      const Facts checked = facts_of(check(*h.policy, method, target, caller.principal));
      CHECK(checked == decided);
    }
  }
}

TEST_CASE("engine: a decision stays valid when copied") {
  const Harness& h = comwit();
  const std::vector<Header> headers = {{"Authorization", "Bearer cwt_0123abcd"}};
  Decision copy;
  {
    Decision original = h.decide("GET", "/v1/projects/prj_beta/apps", headers);
    copy = original;
    original = h.decide("GET", "/v1/projects/prj_alpha", headers);  // overwrite the original's buffer
  }
  CHECK(facts_of(copy) == want(403, "not_a_member")
                              .with_route("GET /v1/projects/{projectId}/apps")
                              .with_scope("app:read")
                              .with_project("prj_beta")
                              .with_actor("usr_alice"));
  CHECK(copy.canonical_path() == "/v1/projects/prj_beta/apps");
}
