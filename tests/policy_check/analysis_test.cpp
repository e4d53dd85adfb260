// scopegate/analysis.hpp: probes, the access matrix, path classes, invariants
// and the exact diff (issue 4). The enumeration is checked against a naive
// oracle on random policies: a plain pattern matcher decides which class a
// random path falls in, and decide() on random requests must never find a
// difference that the diff missed.

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "../fixture.hpp"
#include "scopegate/analysis.hpp"

namespace {

using namespace sgtest;
using namespace scopegate::analysis;

ProbeKit kit_for(std::span<const CompiledPolicy* const> policies) {
  std::string error;
  auto kit = ProbeKit::make(policies, &error);
  INFO(error);
  REQUIRE(kit.has_value());
  return *kit;
}

ProbeKit kit_for(const CompiledPolicy& policy) {
  const CompiledPolicy* one[] = {&policy};
  return kit_for(one);
}

const MatrixRow& row_of(const AccessMatrix& m, std::string_view method, std::string_view pattern) {
  for (const auto& row : m.rows)
    if (row.method == method && row.pattern == pattern) return row;
  FAIL("no row " << method << " " << pattern);
  return m.rows.front();
}

std::string cell(const MatrixRow& row, Situation s) {
  const auto& c = row.cells[static_cast<std::size_t>(s)];
  return c ? c->outcome.summary() : "-";
}

// ---- The naive oracle: plain matching over pattern text --------------------

struct NaivePattern {
  std::vector<std::string> segments;  // "{}" for a parameter
  std::string shape;
};

NaivePattern naive_pattern(std::string_view pattern) {
  NaivePattern p;
  std::size_t start = 1;
  while (pattern.size() > 1 && start <= pattern.size()) {
    std::size_t slash = pattern.find('/', start);
    std::string seg(pattern.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    p.segments.push_back(seg.front() == '{' ? "{}" : seg);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (const auto& s : p.segments) p.shape += "/" + s;
  return p;
}

std::vector<std::string> naive_segments(std::string_view path) {
  std::vector<std::string> out;
  if (path == "/") return out;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

/// Which patterns (by shape) match the path and which families contain it.
std::string naive_signature(std::span<const CompiledPolicy* const> policies, std::string_view path) {
  std::set<std::string> shapes;
  std::set<std::string> families;
  const auto segs = naive_segments(path);
  for (const CompiledPolicy* p : policies) {
    for (const auto& r : p->spec().routes) {
      NaivePattern np = naive_pattern(r.pattern);
      bool match = np.segments.size() == segs.size();
      for (std::size_t i = 0; match && i < segs.size(); ++i)
        match = np.segments[i] == "{}" ? !segs[i].empty() : np.segments[i] == segs[i];
      if (match) shapes.insert(np.shape);
    }
    for (const auto& f : p->spec().operator_prefixes)
      if (path.starts_with(f.prefix)) families.insert(f.prefix);
  }
  std::string sig;
  for (const auto& s : shapes) sig += s + " ";
  sig += "|";
  for (const auto& f : families) sig += " " + f;
  return sig;
}

// ---- Random policies -------------------------------------------------------

constexpr std::string_view kLiterals[] = {"a", "b", "ab", "v1"};
constexpr std::string_view kScopes[] = {"s:read", "s:write", "t:read"};
constexpr std::string_view kPrefixes[] = {"/a", "/a/", "/ab", "/a/b", "/b/a", "/v", "/v1/a"};
constexpr Method kMethods[] = {Method::kGet, Method::kPost, Method::kDelete};

RouteRow random_route(std::mt19937& rng) {
  RouteRow r;
  r.method = kMethods[rng() % 3];
  const std::size_t length = rng() % 4;
  bool project_used = false;
  for (std::size_t i = 0; i < length; ++i) {
    r.pattern += "/";
    if (rng() % 2) {
      r.pattern += kLiterals[rng() % 4];
    } else if (!project_used && rng() % 2) {
      r.pattern += "{projectId}";
      project_used = true;
    } else {
      r.pattern += "{p" + std::to_string(i) + "}";
    }
  }
  if (r.pattern.empty()) r.pattern = "/";
  switch (rng() % 5) {
    case 0: r.auth = RouteAuth::kPublic; break;
    case 1: r.auth = RouteAuth::kOperatorOnly; break;
    default: r.scope = kScopes[rng() % 3];
  }
  r.hidden = rng() % 7 == 0;
  return r;
}

/// Drops routes that a compiled policy would refuse as overlapping.
std::vector<RouteRow> without_overlaps(std::vector<RouteRow> rows) {
  std::set<std::pair<Method, std::string>> seen;
  std::vector<RouteRow> out;
  for (auto& r : rows)
    if (seen.emplace(r.method, naive_pattern(r.pattern).shape).second) out.push_back(std::move(r));
  return out;
}

std::vector<std::string> all_scopes() { return {kScopes[0].data(), kScopes[1].data(), kScopes[2].data()}; }

std::shared_ptr<const CompiledPolicy> random_policy(std::vector<RouteRow> rows, std::vector<std::string> prefixes) {
  return compile_ok(make_spec(all_scopes(), without_overlaps(std::move(rows)), std::move(prefixes)));
}

std::string random_path(std::mt19937& rng) {
  constexpr std::string_view kSegments[] = {"a", "b", "ab", "v1", "v", "x", "a-b", "prj_1"};
  const std::size_t length = rng() % 5;
  std::string path;
  for (std::size_t i = 0; i < length; ++i) path += "/" + std::string(kSegments[rng() % 8]);
  if (path.empty() || rng() % 4 == 0) path += "/";
  return path;
}

Caller random_caller(std::mt19937& rng, std::string_view path) {
  Caller c;
  c.kind = static_cast<Caller::Kind>(rng() % 4);
  if (!c.is_user()) return c;
  for (auto s : kScopes)
    if (rng() % 2) c.scopes.emplace_back(s);
  for (const auto& seg : naive_segments(path))
    if (!seg.empty() && rng() % 2) c.projects.push_back(seg);
  return c;
}

}  // namespace

TEST_CASE("analysis: the matrix of Comwit states each situation's decision") {
  const auto policy = compile_ok(comwit_spec());
  const AccessMatrix m = access_matrix(*policy, kit_for(*policy));
  REQUIRE(m.rows.size() == comwit_routes().size() + 1);
  using S = Situation;
  struct Row {
    std::string method, pattern;
    std::array<std::string, kSituationCount> cells;  // in kSituations order
  };
  const Row rows[] = {
      // A project route: scope first, then membership.
      {"GET", "/v1/projects/{projectId}/apps",
       {"401 missing_token", "403 insufficient_scope", "403 insufficient_scope", "403 not_a_member", "200 granted",
        "200 operator_bypass", "400 invalid_actor"}},
      // No project parameter: the member situations do not apply.
      {"GET", "/v1/projects",
       {"401 missing_token", "403 insufficient_scope", "-", "200 granted", "-", "200 operator_bypass",
        "400 invalid_actor"}},
      // Public: decided before any header, so every caller.
      {"POST", "/v1/auth/device",
       {"200 public", "200 public", "-", "200 public", "-", "200 public", "200 public"}},
      // Operator-only and hidden: a user with every scope is still refused.
      {"GET", "/v1/project/{projectId}",
       {"401 missing_token", "403 operator_only", "403 operator_only", "403 operator_only", "403 operator_only",
        "200 operator_bypass", "400 invalid_actor"}},
      // The prefix family, on a path no route matches: the operator gets 404.
      {"any", "/v1/databases*",
       {"401 missing_token", "403 operator_only", "-", "403 operator_only", "-", "404 no_route", "404 no_route"}},
  };
  for (const Row& want : rows) {
    CAPTURE(want.pattern);
    const MatrixRow& row = row_of(m, want.method, want.pattern);
    for (S s : kSituations) {
      CAPTURE(situation_label(s));
      CHECK(cell(row, s) == want.cells[static_cast<std::size_t>(s)]);
    }
  }
  CHECK(row_of(m, "GET", "/v1/project/{projectId}").hidden);
  CHECK(row_of(m, "GET", "/v1/projects/{projectId}/apps").target == "/v1/projects/prj_2/apps");
}

TEST_CASE("analysis: a probe carries exactly the caller it describes") {
  const auto policy = compile_ok(comwit_spec());
  const ProbeKit kit = kit_for(*policy);
  SUBCASE("a user: one token, exactly its scopes and projects") {
    const Probe p = make_probe(kit, 0, "GET", "/v1/projects/prj_2/apps",
                               Caller{Caller::Kind::kUser, {"app:read"}, {"prj_2"}});
    REQUIRE(p.tokens.users.size() == 1);
    CHECK(p.tokens.users[0].scopes == std::vector<std::string>{"app:read"});
    CHECK(p.tokens.users[0].projects == std::vector<std::string>{"prj_2"});
    CHECK(p.request_json() ==
          R"({"method": "GET", "target": "/v1/projects/prj_2/apps", "headers": [["Authorization", "Bearer cwt_00000000"]]})");
    CHECK(p.tokens_json() ==
          R"({"operator_token": "op-secret-probe", "users": [{"token": "cwt_00000000", "user_id": "usr_probe", "scopes": ["app:read"], "projects": ["prj_2"]}]})");
    CHECK(run_probe(*policy, p).reason == Reason::kGranted);
  }
  SUBCASE("the operator with a malformed actor header") {
    const Probe p = make_probe(kit, 0, "GET", "/v1/status", Caller{Caller::Kind::kOperatorBadActor, {}, {}});
    REQUIRE(p.headers.size() == 2);
    CHECK(p.headers[1].first == "X-Comwit-Actor-User-Id");
    CHECK(run_probe(*policy, p).reason == Reason::kInvalidActor);
  }
}

TEST_CASE("analysis: the kit fits every policy's token classes") {
  PolicySpec hex = make_spec({"s:read"}, {{Method::kGet, "/a", RouteAuth::kScope, "s:read"}});
  PolicySpec upper = hex;
  upper.user.charset = "A-F";
  PolicySpec other = hex;
  other.user.prefix = "tok_";
  const auto a = compile_ok(hex), b = compile_ok(upper), c = compile_ok(other);
  SUBCASE("disjoint charsets: one token per policy") {
    const CompiledPolicy* both[] = {a.get(), b.get()};
    const ProbeKit kit = kit_for(both);
    CHECK(kit.user_token(0) == "cwt_00000000");
    CHECK(kit.user_token(1) == "cwt_AAAAAAAA");
  }
  SUBCASE("another prefix") {
    const CompiledPolicy* both[] = {a.get(), c.get()};
    const ProbeKit kit = kit_for(both);
    CHECK(kit.user_token(1) == "tok_00000000");
    CHECK_FALSE(a->user_class().matches(kit.operator_secret()));
  }
}

TEST_CASE("analysis: route_path picks values that no literal equals") {
  // /a/x1 is the value pattern_path gives {p}; the literal route takes it.
  const auto policy = compile_ok(make_spec({"s:read"}, {{Method::kGet, "/a/{p}", RouteAuth::kScope, "s:read"},
                                                        {Method::kGet, "/a/x1", RouteAuth::kScope, "s:read"}}));
  CHECK(pattern_path("/a/{p}", "projectId") == "/a/x1");
  CHECK(route_path(*policy, 0) == "/a/x1_");
  CHECK(route_path(*policy, 1) == "/a/x1");
}

TEST_CASE("analysis: Comwit keeps every invariant it declares") {
  PolicySpec spec = comwit_spec();
  spec.invariants = {{"user_never_operator_only", {}, {200, 5}},
                     {"project_routes_check_membership", {}, {201, 5}},
                     {"no_write_under_read_scope", {}, {202, 5}},
                     {"public_routes", {"POST /v1/auth/device", "POST /v1/auth/device/token"}, {203, 5}}};
  const auto policy = compile_ok(spec);
  const auto violations = check_invariants(*policy, kit_for(*policy));
  for (const auto& v : violations) INFO(v.message);
  CHECK(violations.empty());
}

TEST_CASE("analysis: each invariant's counterexample is decided as it says") {
  struct Case {
    const char* note;
    std::vector<RouteRow> routes;
    std::vector<std::string> prefixes;
    InvariantSpec invariant;
    std::string_view code;
    std::string target;
    Reason reason;
  };
  using M = Method;
  const Case cases[] = {
      {"a public route inside a prefix family", {{M::kPost, "/v1/db/hook", RouteAuth::kPublic, ""}}, {"/v1/db"},
       {"user_never_operator_only", {}, {}}, "SG501", "/v1/db/hook", Reason::kPublic},
      {"a write route under a read scope", {{M::kPut, "/v1/x", RouteAuth::kScope, "s:read"}}, {},
       {"no_write_under_read_scope", {}, {}}, "SG503", "/v1/x", Reason::kGranted},
      {"a public route that is not listed", {{M::kGet, "/v1/health", RouteAuth::kPublic, ""}}, {},
       {"public_routes", {"POST /v1/login"}, {}}, "SG504", "/v1/health", Reason::kPublic},
  };
  for (const Case& c : cases) {
    CAPTURE(c.note);
    PolicySpec spec = make_spec({"s:read"}, c.routes, c.prefixes);
    spec.invariants = {c.invariant};
    const auto policy = compile_ok(spec);
    const auto violations = check_invariants(*policy, kit_for(*policy));
    REQUIRE(!violations.empty());
    const Violation& v = violations.front();
    CHECK(v.code == c.code);
    REQUIRE(v.counterexample.has_value());
    CHECK(v.counterexample->probe.target == c.target);
    CHECK(v.counterexample->outcome.reason == c.reason);
    // Replayed: the same decision, field for field.
    CHECK(run_probe(*policy, v.counterexample->probe).line == v.counterexample->outcome.line);
  }
}

TEST_CASE("analysis: a diff of one changed scope names exactly the affected requests") {
  using M = Method;
  const std::vector<RouteRow> base = {{M::kGet, "/v1/projects/{projectId}/apps", RouteAuth::kScope, "app:read"},
                                      {M::kPost, "/v1/projects/{projectId}/apps", RouteAuth::kScope, "app:write"}};
  std::vector<RouteRow> changed = base;
  changed[0].scope = "app:write";
  const auto before = compile_ok(make_spec({"app:read", "app:write"}, base));
  const auto after = compile_ok(make_spec({"app:read", "app:write"}, changed));
  const CompiledPolicy* both[] = {before.get(), after.get()};
  const PolicyDiff d = diff_policies(*before, *after, kit_for(both));

  std::vector<std::string> got;
  for (const auto& c : d.requests)
    got.push_back(std::to_string(static_cast<int>(c.kind)) + " " + c.probe.method + " " + c.probe.target + " " +
                  c.probe.caller.describe() + ": " + c.before.summary() + " -> " + c.after.summary());
  const std::vector<std::string> want = {
      "0 GET /v1/projects/prj_2/apps user with scopes [app:write], member of [prj_2]: 403 insufficient_scope -> 200 granted",
      "1 GET /v1/projects/prj_2/apps user with scopes [app:read], member of [prj_2]: 200 granted -> 403 insufficient_scope",
      // Denied both times, but with another WWW-Authenticate scope or reason.
      "2 GET /v1/projects/prj_2/apps user with no scope, member of no project: 403 insufficient_scope -> 403 insufficient_scope",
      "2 GET /v1/projects/prj_2/apps user with scopes [app:read], member of no project: 403 not_a_member -> 403 insufficient_scope",
      "2 GET /v1/projects/prj_2/apps user with scopes [app:write], member of no project: 403 insufficient_scope -> 403 not_a_member",
      "2 GET /v1/projects/prj_2/apps user with no scope, member of [prj_2]: 403 insufficient_scope -> 403 insufficient_scope",
  };
  CHECK(got == want);
  CHECK(d.new_access());
  REQUIRE(d.routes.size() == 1);
  CHECK(d.routes[0].kind == RouteChange::Kind::kChanged);

  const PolicyDiff same = diff_policies(*before, *before, kit_for(both));
  CHECK(same.empty());
  CHECK_FALSE(same.new_access());
}

TEST_CASE("analysis: path classes cover every path of random policies (naive matcher as oracle)") {
  std::mt19937 rng(4);
  for (int round = 0; round < 150; ++round) {
    std::vector<RouteRow> rows;
    for (std::size_t i = rng() % 8; i-- > 0;) rows.push_back(random_route(rng));
    std::vector<std::string> prefixes;
    for (auto p : kPrefixes)
      if (rng() % 4 == 0) prefixes.emplace_back(p);
    const auto a = random_policy(rows, prefixes);
    for (std::size_t i = rng() % 4; i-- > 0;) rows.push_back(random_route(rng));
    if (!rows.empty() && rng() % 2) rows.erase(rows.begin());
    if (rng() % 2) prefixes = {std::string(kPrefixes[rng() % 7])};
    const auto b = random_policy(rows, prefixes);
    const CompiledPolicy* both[] = {a.get(), b.get()};

    std::set<std::string> covered;
    for (const auto& path : path_classes(both)) covered.insert(naive_signature(both, path));
    for (int i = 0; i < 200; ++i) {
      const std::string path = random_path(rng);
      CAPTURE(path);
      CHECK(covered.contains(naive_signature(both, path)));
    }
  }
}

TEST_CASE("analysis: the diff misses no random request that the two policies decide differently") {
  std::mt19937 rng(44);
  std::size_t differences = 0, new_access = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<RouteRow> rows;
    for (std::size_t i = 1 + rng() % 6; i-- > 0;) rows.push_back(random_route(rng));
    std::vector<std::string> prefixes;
    if (rng() % 3 == 0) prefixes.emplace_back(kPrefixes[rng() % 7]);
    const auto a = random_policy(rows, prefixes);
    // Mutate: another guard for one route, one route more, maybe a family.
    RouteRow& mutated = rows[rng() % rows.size()];
    mutated.auth = rng() % 2 ? RouteAuth::kPublic : RouteAuth::kScope;
    mutated.scope = mutated.auth == RouteAuth::kScope ? std::string(kScopes[rng() % 3]) : "";
    rows.push_back(random_route(rng));
    if (rng() % 3 == 0) prefixes = {std::string(kPrefixes[rng() % 7])};
    const auto b = random_policy(rows, prefixes);
    const CompiledPolicy* both[] = {a.get(), b.get()};
    const ProbeKit kit = kit_for(both);
    const PolicyDiff d = diff_policies(*a, *b, kit);

    std::set<std::string> reported;
    for (const auto& c : d.requests)
      reported.insert(std::to_string(static_cast<int>(c.kind)) + c.probe.method + naive_signature(both, c.probe.target));
    for (int i = 0; i < 300; ++i) {
      const std::string path = random_path(rng);
      const std::string method(kMethodNames[rng() % kMethodCount]);
      const Caller caller = random_caller(rng, path);
      const Outcome was = run_probe(*a, make_probe(kit, 0, method, path, caller));
      const Outcome now = run_probe(*b, make_probe(kit, 1, method, path, caller));
      if (same_response(was, now)) continue;
      ++differences;
      CAPTURE(method);
      CAPTURE(path);
      CAPTURE(caller.describe());
      CAPTURE(was.line);
      CAPTURE(now.line);
      const auto kind = !was.allow() && now.allow()   ? RequestChange::Kind::kNewlyAllowed
                        : was.allow() && !now.allow() ? RequestChange::Kind::kNewlyDenied
                                                      : RequestChange::Kind::kChanged;
      CHECK(reported.contains(std::to_string(static_cast<int>(kind)) + method + naive_signature(both, path)));
      if (kind == RequestChange::Kind::kNewlyAllowed) {
        ++new_access;
        CHECK(d.new_access());
      }
    }
  }
  // The random policies must really differ, or the test proves nothing.
  CHECK(differences > 1000);
  CHECK(new_access > 100);
}
