// Routes and matching: contract section 4. Each table decides with the operator
// token, which reports the chosen route for every kind of route and lists the
// methods of a 405 (user tokens would see 403 where operator-only routes match).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace sgtest;

const std::vector<std::string> kScopes = {"s:read", "s:write"};

std::vector<UserTokenEntry> users() {
  return {{"cwt_a11", "usr_all", {"s:read", "s:write"}, {}, {}}};
}

Harness harness(const std::vector<RouteRow>& routes, const std::vector<std::string>& prefixes = {}) {
  return Harness(make_spec(kScopes, routes, prefixes), users());
}

/// What the operator gets: the chosen route, `404`, `405 <Allow>`, or the reason.
std::string match(const Harness& h, std::string_view method, std::string_view target) {
  Facts f = h.facts(method, target, {bearer(kOperatorSecret)});
  if (f.reason == "operator_bypass" || f.reason == "public") return f.route.value_or("<no route reported>");
  if (f.reason == "no_route") return "404";
  if (f.reason == "method_not_allowed") return "405 " + f.allowed_methods;
  return f.reason;
}

struct Row {
  std::string note;
  std::string method;
  std::string target;
  std::string want;
};

void check_rows(const Harness& h, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note, " | ", row.method, " ", row.target);
    CHECK(match(h, row.method, row.target) == row.want);
  }
}

std::string repeat(std::size_t n, const std::string& segment) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += "/" + segment;
  return out;
}

constexpr auto kScope = RouteAuth::kScope;
constexpr auto kPublic = RouteAuth::kPublic;
constexpr auto kOp = RouteAuth::kOperatorOnly;

}  // namespace

TEST_CASE("matcher: a literal beats a parameter, segment by segment from the left") {
  const Harness h = harness({
      {Method::kGet, "/a/{x}", kScope, "s:read"},
      {Method::kGet, "/a/b", kScope, "s:read"},
      {Method::kGet, "/{p}/b/c", kScope, "s:read"},
      {Method::kGet, "/a/{q}/{r}", kScope, "s:read"},
  });
  check_rows(h, {
                    {"the literal", "GET", "/a/b", "GET /a/b"},
                    {"the parameter where the literal does not match", "GET", "/a/c", "GET /a/{x}"},
                    {"the first segment decides, not the count of literals", "GET", "/a/b/c", "GET /a/{q}/{r}"},
                    {"a parameter first when no literal matches there", "GET", "/z/b/c", "GET /{p}/b/c"},
                    {"neither", "GET", "/z/b/d", "404"},
                });
}

TEST_CASE("matcher: matching backtracks until some pattern matches in full") {
  SUBCASE("one level") {
    const Harness h = harness({
        {Method::kGet, "/a/b/c", kScope, "s:read"},
        {Method::kGet, "/a/{x}/d", kScope, "s:read"},
    });
    check_rows(h, {
                      {"the literal branch fails at the last segment", "GET", "/a/b/d", "GET /a/{x}/d"},
                      {"the literal branch succeeds", "GET", "/a/b/c", "GET /a/b/c"},
                      {"only the parameter branch exists", "GET", "/a/z/d", "GET /a/{x}/d"},
                      {"no branch", "GET", "/a/z/c", "404"},
                  });
  }
  SUBCASE("two levels") {
    const Harness h = harness({
        {Method::kGet, "/a/b/c/d", kScope, "s:read"},
        {Method::kGet, "/a/{x}/c/e", kScope, "s:read"},
        {Method::kGet, "/{y}/b/c/f", kScope, "s:read"},
    });
    check_rows(h, {
                      {"back to the first segment", "GET", "/a/b/c/f", "GET /{y}/b/c/f"},
                      {"back to the second segment", "GET", "/a/b/c/e", "GET /a/{x}/c/e"},
                      {"all literal", "GET", "/a/b/c/d", "GET /a/b/c/d"},
                      {"nothing", "GET", "/a/b/c/g", "404"},
                  });
  }
  SUBCASE("a literal branch with routes of other methods only") {
    const Harness h = harness({
        {Method::kGet, "/m/lit", kScope, "s:read"},
        {Method::kPost, "/m/{x}", kScope, "s:write"},
    });
    check_rows(h, {
                      {"POST takes the parameter", "POST", "/m/lit", "POST /m/{x}"},
                      {"GET takes the literal", "GET", "/m/lit", "GET /m/lit"},
                      {"GET elsewhere: 405", "GET", "/m/other", "405 POST"},
                  });
  }
}

TEST_CASE("matcher: a parameter takes exactly one non-empty segment") {
  const Harness h = harness({{Method::kGet, "/p/{x}", kScope, "s:read"}});
  check_rows(h, {
                    {"one segment", "GET", "/p/a", "GET /p/{x}"},
                    {"two segments", "GET", "/p/a/b", "404"},
                    {"an empty segment (trailing slash)", "GET", "/p/", "404"},
                    {"no segment", "GET", "/p", "404"},
                    {"an escaped segment", "GET", "/p/%41%3a", "GET /p/{x}"},
                    {"a segment with a path parameter", "GET", "/p/a;b", "GET /p/{x}"},
                    {"a segment that is only ';'", "GET", "/p/;", "GET /p/{x}"},
                });
}

TEST_CASE("matcher: a trailing slash makes another path") {
  const Harness h = harness({
      {Method::kGet, "/a/b", kScope, "s:read"},
      {Method::kGet, "/a/{x}/c", kScope, "s:read"},
  });
  check_rows(h, {
                    {"without", "GET", "/a/b", "GET /a/b"},
                    {"with", "GET", "/a/b/", "404"},
                    {"with, after a parameter route", "GET", "/a/z/c/", "404"},
                    {"with, before the query", "GET", "/a/b/?x=1", "404"},
                });
}

TEST_CASE("matcher: only the exact method HEAD is decided as GET") {
  const Harness h = harness({
      {Method::kGet, "/g", kScope, "s:read"},
      {Method::kPost, "/p", kScope, "s:write"},
  });
  check_rows(h, {
                    {"HEAD reports the GET route", "HEAD", "/g", "GET /g"},
                    {"HEAD where only POST exists: HEAD is not listed", "HEAD", "/p", "405 POST"},
                    {"HEAD where nothing exists", "HEAD", "/nope", "404"},
                    {"'head' is an unknown method", "head", "/g", "405 GET"},
                    {"'Head' is an unknown method", "Head", "/g", "405 GET"},
                    {"'get' is an unknown method", "get", "/g", "405 GET"},
                    {"'GET ' is an unknown method", "GET ", "/g", "405 GET"},
                    {"OPTIONS is an ordinary method", "OPTIONS", "/g", "405 GET"},
                    {"an extension method", "PURGE", "/g", "405 GET"},
                    {"an empty method", "", "/g", "405 GET"},
                });
}

TEST_CASE("matcher: 405 lists the declared methods of every matching route, alphabetically") {
  // Declared out of order, with every kind of route.
  const Harness h = harness({
      {Method::kPut, "/r/{id}", kScope, "s:write"},
      {Method::kTrace, "/r/special", kOp, ""},
      {Method::kPost, "/r/{id}", kPublic, ""},
      {Method::kDelete, "/r/{id}", kOp, ""},
      {Method::kGet, "/{any}/special", kScope, "s:read"},
      {Method::kConnect, "/r/special", kOp, ""},
      {Method::kPatch, "/other/{id}", kScope, "s:write"},
  });
  check_rows(h, {
                    {"literal and parameter routes, public, user and operator-only", "OPTIONS", "/r/special",
                     "405 CONNECT, DELETE, GET, POST, PUT, TRACE"},
                    {"parameter routes only", "PATCH", "/r/x", "405 DELETE, POST, PUT"},
                    {"HEAD adds neither HEAD nor GET", "HEAD", "/r/x", "405 DELETE, POST, PUT"},
                    {"a route whose literal is the last segment", "PATCH", "/q/special", "405 GET"},
                    {"unknown method", "BREW", "/r/special", "405 CONNECT, DELETE, GET, POST, PUT, TRACE"},
                    {"the public route is still chosen for its method", "POST", "/r/special", "POST /r/{id}"},
                    {"no match at all", "PATCH", "/r", "404"},
                });
}

TEST_CASE("matcher: a method is known only when every one of its bytes matches") {
  // The names are compared a word at a time; this sets each byte of each
  // name to every value (its own included), and tries names one byte short
  // or long and other names of 0 to 8 bytes.
  const std::vector<std::pair<std::string, Method>> known = {
      {"GET", Method::kGet},     {"HEAD", Method::kGet},       {"PUT", Method::kPut},
      {"POST", Method::kPost},   {"PATCH", Method::kPatch},    {"TRACE", Method::kTrace},
      {"DELETE", Method::kDelete}, {"OPTIONS", Method::kOptions}, {"CONNECT", Method::kConnect}};
  const auto naive = [&](std::string_view name) -> std::optional<Method> {
    for (const auto& [n, m] : known)
      if (n == name) return m;
    return std::nullopt;
  };
  std::size_t recognised = 0;
  for (const auto& [name, method] : known) {
    CHECK(detail::route_method(name) == method);
    for (std::size_t i = 0; i < name.size(); ++i) {
      for (unsigned b = 0; b < 256; ++b) {
        std::string changed = name;
        changed[i] = static_cast<char>(b);
        INFO(name << " with byte " << i << " = " << b);
        REQUIRE(detail::route_method(changed) == naive(changed));
        recognised += naive(changed) ? 1 : 0;
      }
    }
    CHECK(!detail::route_method(name.substr(0, name.size() - 1)));
    CHECK(!detail::route_method(name + "S"));
  }
  CHECK(recognised == 44);  // once per byte of each name: where the byte is left as it is
  for (std::string_view other : {"", "G", "GE", "GETS", "POSTED", "DELETES", "OPTIONSS"}) CHECK(!detail::route_method(other));
}

TEST_CASE("matcher: paths and methods are case-sensitive") {
  const Harness h = harness({{Method::kGet, "/a/B", kScope, "s:read"}});
  check_rows(h, {
                    {"exact", "GET", "/a/B", "GET /a/B"},
                    {"lower-case segment", "GET", "/a/b", "404"},
                    {"upper-case first segment", "GET", "/A/B", "404"},
                    {"decoded to the exact case", "GET", "/a/%42", "GET /a/B"},
                    {"decoded to the other case", "GET", "/a/%62", "404"},
                    {"lower-case method", "get", "/a/B", "405 GET"},
                });
}

TEST_CASE("matcher: the root pattern '/'") {
  const Harness h = harness({
      {Method::kGet, "/", kScope, "s:read"},
      {Method::kGet, "/{x}", kScope, "s:read"},
  });
  check_rows(h, {
                    {"the root", "GET", "/", "GET /"},
                    {"the root with a query", "GET", "/?q=1", "GET /"},
                    {"one segment is not the root", "GET", "/a", "GET /{x}"},
                    {"one segment and a trailing slash", "GET", "/a/", "404"},
                    {"another method on the root", "POST", "/", "405 GET"},
                });
}

TEST_CASE("matcher: paths deeper than any pattern match nothing") {
  std::string params;
  for (int i = 0; i < 64; ++i) params += "/{p" + std::to_string(i) + "}";
  const Harness h = harness({
      {Method::kGet, repeat(64, "s"), kScope, "s:read"},
      {Method::kGet, params, kScope, "s:read"},
  });
  check_rows(h, {
                    {"64 literal segments", "GET", repeat(64, "s"), "GET " + repeat(64, "s")},
                    {"64 segments, the last one other", "GET", repeat(63, "s") + "/x", "GET " + params},
                    {"64 segments and a trailing slash", "GET", repeat(64, "s") + "/", "404"},
                    {"65 segments", "GET", repeat(65, "s"), "404"},
                    {"66 segments", "GET", repeat(66, "s"), "404"},
                    {"1000 segments", "GET", repeat(1000, "s"), "404"},
                    {"2048 segments: the longest path", "GET", repeat(2048, "s"), "404"},
                    {"65 segments, another method", "POST", repeat(65, "s"), "404"},
                });
}

TEST_CASE("matcher: a prefix family covers every path that starts with its text") {
  const Harness& h = comwit();
  const std::string user = "cwt_f00d";  // every scope, member of prj_alpha and prj_beta
  const Facts in_family = want(403, "operator_only").with_actor("usr_full");
  const Facts no_route = want(404, "no_route").with_actor("usr_full");
  struct FamilyRow {
    std::string note;
    std::string method;
    std::string target;
    Facts want;
  };
  const std::vector<FamilyRow> rows = {
      {"the prefix itself: the chosen route is reported", "GET", "/v1/databases",
       in_family.with_route("GET /v1/databases")},
      {"the prefix, a method with no route", "PUT", "/v1/databases", in_family},
      {"a trailing slash stays inside", "GET", "/v1/databases/", in_family},
      {"a path no route declares", "GET", "/v1/databases/x/y", in_family},
      {"a longer word", "GET", "/v1/databases-old", in_family},
      {"a longer word, no separator", "GET", "/v1/databasesX", in_family},
      {"an escaped letter is decoded first", "GET", "/v1/%64atabases", in_family.with_route("GET /v1/databases")},
      {"the query is not part of the path", "GET", "/v1/databases?x=1", in_family.with_route("GET /v1/databases")},
      {"a path parameter", "GET", "/v1/databases;jsessionid=1", in_family},
      {"an escape after the prefix", "GET", "/v1/databases%3B", in_family},
      {"deeper than any pattern", "GET", "/v1/databases" + repeat(100, "x"), in_family},
      {"HEAD", "HEAD", "/v1/databases/x/y", in_family},
      {"an unknown method", "get", "/v1/databases/x", in_family},
      {"one letter short", "GET", "/v1/database", no_route},
      {"another case", "GET", "/v1/Databases", no_route},
      {"another case in the first segment", "GET", "/V1/databases", no_route},
      {"another version", "GET", "/v2/databases", no_route},
      {"the prefix not at the start", "GET", "/x/v1/databases", no_route},
      {"a project's databases are not in the family", "GET", "/v1/projects/prj_alpha/databases",
       want(200, "granted")
           .with_route("GET /v1/projects/{projectId}/databases")
           .with_scope("database:read")
           .with_project("prj_alpha")
           .with_actor("usr_full")},
  };
  for (const auto& row : rows) {
    INFO(row.note, " | ", row.method, " ", row.target);
    CHECK(h.facts(row.method, row.target, {bearer(user)}) == row.want);
  }
  SUBCASE("the family binds user tokens only") {
    CHECK(h.facts("GET", "/v1/databases-old", {bearer(kOperatorSecret)}) == want(404, "no_route").with_actor("operator"));
    CHECK(h.facts("GET", "/v1/databases/x/y", {bearer(kOperatorSecret)}) == want(404, "no_route").with_actor("operator"));
    CHECK(h.facts("GET", "/v1/databases/db1", {bearer(kOperatorSecret)}) ==
          want(200, "operator_bypass").with_route("GET /v1/databases/{databaseId}").with_actor("operator"));
  }
  SUBCASE("the family overrides a user route whose path starts with its text") {
    const Harness custom(make_spec(kScopes, {{Method::kGet, "/administrators", kScope, "s:read"}}, {"/admin"}),
                         users());
    CHECK(custom.facts("GET", "/administrators", {bearer("cwt_a11")}) ==
          want(403, "operator_only").with_actor("usr_all"));
    CHECK(custom.facts("GET", "/adm", {bearer("cwt_a11")}) == want(404, "no_route").with_actor("usr_all"));
  }
}

TEST_CASE("matcher: an operator-only route makes its path operator-only for users on other methods") {
  const Harness h = harness({
      {Method::kGet, "/x/{id}", kScope, "s:read"},
      {Method::kDelete, "/x/{id}", kOp, ""},
      {Method::kGet, "/y/b", kOp, ""},
      {Method::kGet, "/y/{id}", kScope, "s:read"},
  });
  const std::string user = "cwt_a11";
  CHECK(h.facts("GET", "/x/1", {bearer(user)}) ==
        want(200, "granted").with_route("GET /x/{id}").with_scope("s:read").with_actor("usr_all"));
  CHECK(h.facts("DELETE", "/x/1", {bearer(user)}) ==
        want(403, "operator_only").with_route("DELETE /x/{id}").with_actor("usr_all"));
  // No PUT route: the DELETE route makes the path operator-only, not 405.
  CHECK(h.facts("PUT", "/x/1", {bearer(user)}) == want(403, "operator_only").with_actor("usr_all"));
  CHECK(match(h, "PUT", "/x/1") == "405 DELETE, GET");
  // The literal operator-only route is the most specific for GET.
  CHECK(h.facts("GET", "/y/b", {bearer(user)}) == want(403, "operator_only").with_route("GET /y/b").with_actor("usr_all"));
  CHECK(h.facts("GET", "/y/c", {bearer(user)}) ==
        want(200, "granted").with_route("GET /y/{id}").with_scope("s:read").with_actor("usr_all"));
  // Another method on the literal: the operator-only route matches the path.
  CHECK(h.facts("POST", "/y/b", {bearer(user)}) == want(403, "operator_only").with_actor("usr_all"));
  // Another method beside the parameter route only: plain 405.
  CHECK(h.facts("POST", "/y/c", {bearer(user)}) == want(405, "method_not_allowed").with_actor("usr_all").with_allowed("GET"));
}

namespace {

/// A deliberately naive matcher, straight from contract section 4: among the
/// routes of the method whose pattern matches the whole path segment by
/// segment, the winner is the one that, compared from the left, has a literal
/// where the other has a parameter first.
struct NaiveRoute {
  Method method;
  std::vector<std::string> segments;  ///< `{}` for a parameter
  std::string display;
};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  if (path == "/") return out;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

bool naive_matches(const NaiveRoute& r, const std::vector<std::string>& path) {
  if (r.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (r.segments[i] == "{}") {
      if (path[i].empty()) return false;
    } else if (r.segments[i] != path[i]) {
      return false;
    }
  }
  return true;
}

/// True when `a` is more specific than `b` (both match the same path).
bool more_specific(const NaiveRoute& a, const NaiveRoute& b) {
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const bool a_lit = a.segments[i] != "{}";
    const bool b_lit = b.segments[i] != "{}";
    if (a_lit != b_lit) return a_lit;
  }
  return false;
}

std::string naive_match(const std::vector<NaiveRoute>& routes, std::string_view method_text, const std::string& path) {
  const std::vector<std::string> segs = split_path(path);
  std::optional<Method> method =
      method_text == "HEAD" ? std::optional<Method>(Method::kGet) : parse_declared_method(method_text);
  const NaiveRoute* best = nullptr;
  MethodSet all = 0;
  for (const auto& r : routes) {
    if (!naive_matches(r, segs)) continue;
    all |= method_bit(r.method);
    if (method && r.method == *method && (!best || more_specific(r, *best))) best = &r;
  }
  if (best) return best->display;
  if (all) return "405 " + allow_header(all);
  return "404";
}

/// A small deterministic generator, so that a failure reproduces.
struct Lcg {
  std::uint64_t state;
  std::uint32_t next(std::uint32_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>((state >> 33) % bound);
  }
};

}  // namespace

TEST_CASE("matcher: agrees with a naive matcher on random tables with literal-parameter conflicts") {
  const std::vector<std::string> alphabet = {"a", "b", "c"};
  const std::vector<Method> methods = {Method::kGet, Method::kPost, Method::kPut};
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Lcg rng{seed};
    std::vector<RouteRow> rows;
    std::vector<NaiveRoute> naive;
    std::vector<std::string> shapes;  // method + shape, to skip overlapping routes
    for (int i = 0; i < 60; ++i) {
      const std::size_t depth = rng.next(5);  // 0..4 segments
      std::string pattern, shape;
      std::vector<std::string> segs;
      int params = 0;
      for (std::size_t d = 0; d < depth; ++d) {
        if (rng.next(3) == 0) {
          pattern += "/{p" + std::to_string(params++) + "}";
          shape += "/{}";
          segs.push_back("{}");
        } else {
          const std::string& lit = alphabet[rng.next(3)];
          pattern += "/" + lit;
          shape += "/" + lit;
          segs.push_back(lit);
        }
      }
      if (pattern.empty()) pattern = shape = "/";
      const Method m = methods[rng.next(3)];
      const std::string key = std::string(method_name(m)) + " " + shape;
      if (std::find(shapes.begin(), shapes.end(), key) != shapes.end()) continue;
      shapes.push_back(key);
      const auto auth = static_cast<RouteAuth>(rng.next(3));
      rows.push_back({m, pattern, auth, auth == RouteAuth::kScope ? "s:read" : ""});
      naive.push_back({m, segs, std::string(method_name(m)) + " " + pattern});
    }
    const Harness h = harness(rows);
    // Every path of up to 5 segments over a, b, c, d and the empty segment
    // (only last: an empty segment elsewhere is not canonical).
    std::vector<std::string> paths = {"/"};
    std::vector<std::string> frontier = {""};
    const std::vector<std::string> letters = {"a", "b", "c", "d"};
    for (int depth = 1; depth <= 5; ++depth) {
      std::vector<std::string> next;
      for (const auto& prefix : frontier) {
        for (const auto& l : letters) next.push_back(prefix + "/" + l);
        paths.push_back(prefix + "/");
      }
      paths.insert(paths.end(), next.begin(), next.end());
      frontier = std::move(next);
    }
    int compared = 0;
    for (const auto& path : paths) {
      for (std::string_view method : {"GET", "POST", "PUT", "HEAD", "DELETE"}) {
        INFO("seed ", seed, " | ", method, " ", path);
        CHECK(match(h, method, path) == naive_match(naive, method, path));
        ++compared;
      }
    }
    CHECK(compared == static_cast<int>(paths.size()) * 5);
  }
}

TEST_CASE("matcher: a segment's key is the same read with or without the bytes after it") {
  // Requests read a key with loads that run up to eight bytes past the
  // segment; the trie's keys were read from patterns without them.
  std::string text(40 + detail::kSegmentSlack, '\0');
  for (std::size_t i = 0; i < 40; ++i) text[i] = static_cast<char>('a' + (i * 7) % 26);
  for (std::size_t start = 0; start < 8; ++start)
    for (std::size_t length = 0; start + length <= 40; ++length) {
      const std::string_view seg(text.data() + start, length);
      const std::string alone(seg);
      const detail::SegmentKey padded = detail::SegmentKey::of_padded(seg);
      const detail::SegmentKey exact = detail::SegmentKey::of(alone);
      INFO("start " << start << ", length " << length);
      CHECK(padded.first == exact.first);
      CHECK(padded.last == exact.last);
      CHECK(detail::SegmentKey::first_of_padded(seg.data(), seg.size()) == exact.first);
    }
  // One byte apart, two short segments have different keys.
  CHECK(detail::SegmentKey::of("apps").first != detail::SegmentKey::of("apPs").first);
  CHECK(detail::SegmentKey::of("members1").last != detail::SegmentKey::of("members2").last);
}
