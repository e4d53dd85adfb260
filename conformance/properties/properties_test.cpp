// The laws of conformance issue item 4, each checked by RapidCheck on the
// Comwit policy and on random policies (the differential on both too). A law
// that fails prints the world, the request and both decisions; main.cpp says
// how many cases run.

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "requests.hpp"
#include "scopegate/canonical.hpp"
#include "world.hpp"

namespace scopegate::properties {
namespace {

namespace gen = rc::gen;
using reference::RefDecision;

// Runs `law` once on the Comwit world and once on random worlds, as two
// properties with their own names (the names key RC_PARAMS="reproduce=...").
template <class Law>
bool on_comwit_and_random(const std::string& name, Law law, bool with_operator = false) {
  bool comwit = rc::check(name + " (comwit)", [law] { law(comwit_world()); });
  bool random = rc::check(name + " (random policies)", [law, with_operator] { law(*random_world(with_operator)); });
  return comwit && random;
}

void require_same(const std::string& law, const std::string& left_name, const HttpRequest& left_request,
                  const RefDecision& left, const std::string& right_name, const HttpRequest& right_request,
                  const RefDecision& right) {
  if (left == right) return;
  RC_FAIL(law + "\n  " + left_name + ": " + show_request(left_request) + "\n    -> " + reference::to_json(left) +
          "\n  " + right_name + ": " + show_request(right_request) + "\n    -> " + reference::to_json(right));
}

HttpRequest with_headers(HttpRequest request, HeaderList headers) {
  request.headers = std::move(headers);
  return request;
}

// The request with its Authorization headers replaced by one carrying `token`
// in some valid Bearer form; other headers stay.
HttpRequest authorized_as(const HttpRequest& request, const std::string& token) {
  HeaderList headers = without_header(request.headers, "Authorization");
  headers.insert(headers.begin() + *gen::inRange<long>(0, static_cast<long>(headers.size()) + 1),
                 {"Authorization", *bearer_value(token)});
  return with_headers(request, std::move(headers));
}

// Segments of the request's canonical path: the project values a membership
// could name.
std::vector<std::string> canonical_segments(const HttpRequest& request) {
  std::vector<std::string> out;
  auto path = canonical_path(request.target);
  if (!path) return out;
  std::size_t start = 1;
  while (start <= path->size()) {
    std::size_t slash = path->find('/', start);
    out.push_back(path->substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

std::size_t user_index(const TokensFile& tokens, const std::string& token) {
  const auto& users = tokens.users;
  return static_cast<std::size_t>(std::find_if(users.begin(), users.end(), [&](const UserTokenEntry& u) {
                                    return u.token == token;
                                  }) - users.begin());
}

bool in_family(const World& world, const std::string& target) {
  auto path = canonical_path(target);
  return path && std::any_of(world.spec().operator_prefixes.begin(), world.spec().operator_prefixes.end(),
                             [&](const PrefixFamilySpec& f) { return path->starts_with(f.prefix); });
}

bool names_operator_only_route(const World& world, const RefDecision& d) {
  if (!d.route) return false;
  const RouteSpec* r = route_named(world.spec(), *d.route);
  return r != nullptr && r->auth == RouteAuth::kOperatorOnly;
}

}  // namespace

TEST_CASE("properties: the engine and the reference evaluator agree on every field") {
  const bool holds = on_comwit_and_random("differential: engine equals reference", [](const World& world) {
    const HttpRequest request = *near_request(world);
    const RefDecision engine = engine_decision(world, request);
    RC_TAG(engine.reason);
    require_same("engine and reference evaluator differ", "engine", request, engine, "reference", request,
                 reference_decision(world, request));
  });
  CHECK(holds);
}

TEST_CASE("properties: a scope or membership added never denies, removed never allows") {
  const bool holds = on_comwit_and_random("monotonic grants", [](const World& world) {
    const std::string token = *user_token(world);
    const auto who = user_index(world.tokens(), token);
    const HttpRequest request = authorized_as(*likely_request(world), token);
    const RefDecision before = engine_decision(world, request);

    // Half the time the grant changes in what this decision turns on: the
    // route's scope, or the project of this very path.
    auto pick = [&](const std::optional<std::string>& decisive, const std::vector<std::string>& others) {
      return *gen::weightedOneOf<std::string>({{decisive ? 1u : 0u, gen::just(decisive.value_or(""))},
                                               {others.empty() ? 0u : 1u, gen::elementOf(others)}});
    };
    std::vector<std::string> scopes;
    for (const auto& s : world.spec().scopes) scopes.push_back(s.name);
    const bool change_scope = *gen::arbitrary<bool>();

    TokensFile more = world.tokens();
    UserTokenEntry& grown = more.users[who];
    if (change_scope)
      grown.scopes.push_back(pick(before.required_scope, scopes));
    else
      grown.projects.push_back(pick(before.project, world.values()));

    TokensFile fewer = world.tokens();
    UserTokenEntry& shrunk = fewer.users[who];
    auto& held = change_scope ? shrunk.scopes : shrunk.projects;
    if (!held.empty()) {
      const std::string gone = pick(change_scope ? before.required_scope : before.project, held);
      held.erase(std::remove(held.begin(), held.end(), gone), held.end());
    }

    const RefDecision added = engine_decision(with_tokens(world, more), request);
    const RefDecision removed = engine_decision(with_tokens(world, fewer), request);
    RC_CLASSIFY(!before.allow && added.allow, "an addition allowed");
    RC_CLASSIFY(before.allow && !removed.allow, "a removal denied");
    RC_LOG() << "user " << world.tokens().users[who].user_id << " on " << show_request(request)
             << "\n  as is:          " << reference::to_json(before)
             << "\n  with more:      " << reference::to_json(added)
             << "\n  with less:      " << reference::to_json(removed) << '\n';
    RC_ASSERT(!(before.allow && !added.allow));
    RC_ASSERT(!(!before.allow && removed.allow));
  });
  CHECK(holds);
}

TEST_CASE("properties: the operator is allowed on every route for every method it has") {
  const bool holds = on_comwit_and_random(
      "operator allowed everywhere",
      [](const World& world) {
        for (const auto& route : world.spec().routes) {
          std::vector<std::string> methods = {std::string(method_name(route.method))};
          if (route.method == Method::kGet) methods.push_back("HEAD");
          for (const auto& method : methods) {
            HttpRequest request;
            request.method = method;
            request.target = *real_path(world, route);
            request.target += *maybe_query(false);
            request.headers.emplace_back("Authorization", *bearer_value(*world.tokens().operator_token));
            if (*gen::arbitrary<bool>())
              request.headers.emplace_back(world.spec().operator_class.actor_header,
                                           *gen::element<std::string>("usr_x", " usr_y\t", "console", "A-b_9"));
            const RefDecision d = engine_decision(world, request);
            if (!d.allow)
              RC_FAIL("operator denied on " + std::string(method_name(route.method)) + " " + route.pattern + ": " +
                      show_request(request) + "\n  -> " + reference::to_json(d));
          }
        }
      },
      true);
  CHECK(holds);
}

TEST_CASE("properties: a user token is never allowed on an operator-only path") {
  const bool holds = on_comwit_and_random(
      "user never on operator-only paths",
      [](const World& world) {
        TokensFile tokens = world.tokens();
        UserTokenEntry& user = tokens.users[user_index(tokens, *user_token(world))];
        HttpRequest request = authorized_as(*near_request(world, Near::kOperatorOnly), user.token);
        // Mostly the most a user can hold: every scope, and membership of every
        // value and of every segment of this path.
        if (*gen::weightedElement<bool>({{1, false}, {3, true}})) {
          user.scopes.clear();
          for (const auto& s : world.spec().scopes) user.scopes.push_back(s.name);
          user.projects = world.values();
          for (auto& s : canonical_segments(request)) user.projects.push_back(s);
        }
        const World as_user = with_tokens(world, tokens);
        const RefDecision d = engine_decision(as_user, request);

        // Which route this method chooses, as the operator's decision shows.
        HttpRequest as_operator = with_headers(request, without_credentials(world, request.headers));
        as_operator.headers.emplace_back("Authorization", "Bearer " + *world.tokens().operator_token);
        const RefDecision op = engine_decision(as_user, as_operator);
        const bool family = in_family(world, request.target);
        const bool chosen_operator_only = op.reason == "operator_bypass" && names_operator_only_route(world, op);
        RC_CLASSIFY(family, "in a prefix family");
        RC_CLASSIFY(chosen_operator_only, "operator-only route chosen");
        // A public route is public to everyone, also inside a family: step 2
        // comes before any token is read, so only the token's allows count.
        const bool token_allowed = d.allow && d.reason != "public";
        if ((family || chosen_operator_only || names_operator_only_route(world, d)) && token_allowed)
          RC_FAIL("user " + user.user_id + " allowed on an operator-only path: " + show_request(request) +
                  "\n  -> " + reference::to_json(d) + "\n  operator: " + reference::to_json(op));
      },
      true);
  CHECK(holds);
}

TEST_CASE("properties: the actor header never changes a user-token decision") {
  const bool holds = on_comwit_and_random("actor header ignored for users", [](const World& world) {
    const std::string token = *user_token(world);
    const HttpRequest near = *likely_request(world);
    const HttpRequest plain = authorized_as(with_headers(near, without_credentials(world, near.headers)), token);
    HttpRequest spoofed = plain;
    for (const auto& h : *actor_headers(world))
      spoofed.headers.insert(
          spoofed.headers.begin() + *gen::inRange<long>(0, static_cast<long>(spoofed.headers.size()) + 1), h);
    const RefDecision without = engine_decision(world, plain);
    RefDecision expected = without;
    // Reported exactly when the user token was resolved (steps 6-13), which
    // is exactly when the actor is the user.
    expected.actor_header_ignored = without.actor.has_value();
    RC_ASSERT(!without.actor_header_ignored);
    require_same("an actor header changed a user-token decision", "with the actor headers", spoofed,
                 engine_decision(world, spoofed), "without them (and actor_header_ignored as expected)", plain,
                 expected);
  });
  CHECK(holds);
}

TEST_CASE("properties: unauthenticated callers get the same status for existing and non-existing paths") {
  const bool holds = on_comwit_and_random("unauthenticated cannot probe", [](const World& world) {
    const RouteSpec& route = *route_named(world.spec(), *gen::elementOf(route_names(world.spec())));
    HeaderList headers;
    for (int i = *gen::weightedElement<int>({{1, 0}, {6, 1}, {1, 2}}); i > 0; --i)
      headers.emplace_back("Authorization", *unauthenticated_value(world));
    const std::string method = *near_method(std::string(method_name(route.method)));
    const std::string query = *maybe_query(true);
    const HttpRequest existing{method, *real_path(world, route) + query, headers};
    const HttpRequest other{method, *canonical_near_path(world) + query, headers};
    const RefDecision a = engine_decision(world, existing);
    const RefDecision b = engine_decision(world, other);
    // Step 2 comes first and shows a public route to anyone, by design.
    RC_PRE(a.reason != "public" && b.reason != "public");
    if (world.has_operator()) {
      // What the operator learns about the other path: the pairs must cover
      // paths with and without routes.
      const HttpRequest probe{method, other.target, {{"Authorization", "Bearer " + *world.tokens().operator_token}}};
      RC_CLASSIFY(engine_decision(world, probe).reason == "no_route", "the other path has no route");
    }
    require_same("an unauthenticated caller can tell these paths apart", "a route's path", existing, a,
                 "a path near the policy", other, b);
  });
  CHECK(holds);
}

TEST_CASE("properties: canonicalization is idempotent and decides as the target") {
  const bool idempotent = rc::check("canonicalization is idempotent", [] {
    const World world = *gen::oneOf(gen::just(comwit_world()), random_world());
    const std::string target = *raw_near_path(world) + *maybe_query(true);
    const auto canonical = canonical_path(target);
    RC_CLASSIFY(canonical.has_value(), "canonical");
    if (!canonical) return;
    const auto again = canonical_path(*canonical);
    if (again != canonical)
      RC_FAIL("canonical " + quoted(*canonical) + " of " + quoted(target) + " canonicalizes to " +
              (again ? quoted(*again) : "nothing"));
  });
  CHECK(idempotent);
  const bool holds = on_comwit_and_random("a target and its canonical spelling decide alike", [](const World& world) {
    const HttpRequest request = *near_request(world);
    const RefDecision d = engine_decision(world, request);
    const auto canonical = canonical_path(request.target);
    RC_CLASSIFY(canonical.has_value(), "canonical");
    if (!canonical) {
      RC_ASSERT(d.reason == std::string("malformed_path"));
      return;
    }
    HttpRequest as_canonical = request;
    as_canonical.target = *canonical + query_of(request.target);
    require_same("the canonical spelling decides otherwise", "as sent", request, d, "canonical", as_canonical,
                 engine_decision(world, as_canonical));
    HttpRequest respelt = request;
    respelt.target = *respelled(*canonical) + query_of(request.target);
    const RefDecision r = engine_decision(world, respelt);
    // The 4096-byte bound holds for the path as received, escapes and all.
    if (path_of(respelt.target).size() > kMaxTargetPathBytes) {
      RC_ASSERT(r.reason == std::string("malformed_path"));
      return;
    }
    const auto again = canonical_path(respelt.target);
    if (again != canonical)
      RC_FAIL("respelled " + quoted(respelt.target) + " canonicalizes to " + (again ? quoted(*again) : "nothing") +
              ", not " + quoted(*canonical));
    require_same("another spelling decides otherwise", "as sent", request, d, "respelled", respelt, r);
  });
  CHECK(holds);
}

TEST_CASE("properties: a query changes a decision only through access_token and the override names") {
  const bool holds = on_comwit_and_random("query is inert", [](const World& world) {
    const HttpRequest near = *near_request(world);
    const std::string path = path_of(near.target);
    // Some parameters, maybe special ones, or no query at all; then plain
    // parameters mixed in.
    const bool has_query = *gen::arbitrary<bool>();
    const std::vector<std::string> base = has_query ? *query_parameters(true) : std::vector<std::string>{};
    std::vector<std::string> extended = base;
    for (const auto& p : *query_parameters(false))
      extended.insert(extended.begin() + *gen::inRange<long>(0, static_cast<long>(extended.size()) + 1), p);
    const HttpRequest without{near.method, path + (has_query ? query_text(base) : ""), near.headers};
    const HttpRequest with{near.method, path + query_text(extended), near.headers};
    require_same("parameters other than access_token and the override names changed the decision", "without them",
                 without, engine_decision(world, without), "with them", with, engine_decision(world, with));
  });
  CHECK(holds);
}

TEST_CASE("properties: HEAD decides as GET") {
  const bool holds = on_comwit_and_random("HEAD is GET", [](const World& world) {
    HttpRequest get = *near_request(world);
    get.method = "GET";
    HttpRequest head = get;
    head.method = "HEAD";
    require_same("HEAD decides otherwise than GET", "GET", get, engine_decision(world, get), "HEAD", head,
                 engine_decision(world, head));
  });
  CHECK(holds);
}

}  // namespace scopegate::properties
