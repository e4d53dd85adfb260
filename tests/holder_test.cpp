// PolicyHolder: the policy a running server decides with, swapped whole.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace sgtest;

/// Policy B differs from the Comwit policy A where the requests below look:
/// /v1/status is public, and listing projects needs app:read.
PolicySpec variant_spec() {
  PolicySpec spec = comwit_spec();
  for (RouteSpec& r : spec.routes) {
    if (r.pattern == "/v1/status") r.auth = RouteAuth::kPublic;
    if (r.pattern == "/v1/projects" && r.method == Method::kGet) r.scope = "app:read";
  }
  return spec;
}

/// A spec that does not compile: an unknown scope.
PolicySpec broken_spec() {
  PolicySpec spec = comwit_spec();
  spec.routes[2].scope = "project:raed";
  return spec;
}

struct Probe {
  std::string method;
  std::string target;
  Headers headers;
};

std::vector<Probe> probes() {
  return {
      {"GET", "/v1/status", {}},                                  // A: 401, B: public
      {"GET", "/v1/status", {bearer("cwt_0123abcd")}},            // A: 403 operator_only, B: public
      {"GET", "/v1/projects", {bearer("cwt_0123abcd")}},          // A: project:read granted, B: app:read granted
      {"GET", "/v1/projects", {bearer("cwt_10")}},                 // only project:read: A granted, B insufficient
      {"GET", "/v1/projects/prj_alpha/apps", {bearer("cwt_0123abcd")}},  // the same in both
      {"PUT", "/v1/projects", {bearer(kOperatorSecret)}},        // the same in both
  };
}

Facts decide_with(const CompiledPolicy& policy, const Harness& h, const Probe& p) {
  const std::vector<Header> views = header_views(p.headers);
  return facts_of(decide(policy, Request{p.method, p.target, views}, h.resolver, h.secret));
}

}  // namespace

TEST_CASE("holder: replace() keeps the last good policy when a compile failed") {
  const Harness& h = comwit();
  const auto a = h.policy;
  PolicyHolder holder(a);
  CHECK(holder.current() == a);

  SUBCASE("a failed compile changes nothing and hands back its errors") {
    std::vector<Diagnostic> diags = holder.replace(compile(broken_spec()));
    CHECK(holder.current() == a);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].code == "SG101");
    CHECK(decide_with(*holder.current(), h, probes()[0]) == want(401, "missing_token"));
  }
  SUBCASE("a good compile swaps, a later failed one keeps it") {
    std::vector<Diagnostic> diags = holder.replace(compile(variant_spec()));
    CHECK(diags.empty());
    const auto swapped = holder.current();
    CHECK(swapped != a);
    CHECK(decide_with(*swapped, h, probes()[0]) == want(200, "public").with_route("GET /v1/status"));
    CHECK_FALSE(holder.replace(compile(broken_spec())).empty());
    CHECK(holder.current() == swapped);
  }
  SUBCASE("a reader keeps the policy it holds alive across a swap, and only the reader") {
    std::shared_ptr<const CompiledPolicy> fresh = compile_ok(variant_spec());
    std::weak_ptr<const CompiledPolicy> watch = fresh;
    PolicyHolder own(std::move(fresh));
    std::shared_ptr<const CompiledPolicy> reader = own.current();
    own.replace(CompileResult{a, {}});
    CHECK(own.current() == a);
    CHECK_FALSE(watch.expired());
    CHECK(decide_with(*reader, h, probes()[0]) == want(200, "public").with_route("GET /v1/status"));
    reader.reset();
    CHECK(watch.expired());
  }
}

TEST_CASE("holder: readers deciding while a writer swaps see one whole policy or the other") {
  const Harness& h = comwit();
  const std::shared_ptr<const CompiledPolicy> a = h.policy;
  const std::shared_ptr<const CompiledPolicy> b = compile_ok(variant_spec());
  const std::vector<Probe> ps = probes();

  // What each policy decides, computed before any thread starts.
  std::vector<Facts> want_a, want_b;
  for (const Probe& p : ps) {
    want_a.push_back(decide_with(*a, h, p));
    want_b.push_back(decide_with(*b, h, p));
  }
  // The probes must tell the two policies apart, or the test proves nothing.
  CHECK(want_a[0] != want_b[0]);
  CHECK(want_a[3] != want_b[3]);
  CHECK(want_a[4] == want_b[4]);

  PolicyHolder holder(a);
  std::atomic<bool> stop{false};
  std::atomic<long> decisions{0}, seen_a{0}, seen_b{0}, wrong{0}, foreign{0};
  auto reader = [&](std::size_t offset) {
    std::size_t i = offset;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::shared_ptr<const CompiledPolicy> p = holder.current();
      const std::size_t k = i++ % ps.size();
      const Facts got = decide_with(*p, h, ps[k]);
      if (p == a) {
        ++seen_a;
        if (got != want_a[k]) ++wrong;
      } else if (p == b) {
        ++seen_b;
        if (got != want_b[k]) ++wrong;
      } else {
        ++foreign;
      }
      ++decisions;
    }
  };
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < 2; ++t) readers.emplace_back(reader, t);

  // About 200 ms and at least 16 swaps; a writer starved on a loaded machine
  // (or under a sanitizer) gives up after 5 s, and the checks below say so.
  constexpr long kMinSwaps = 16;
  long swaps = 0, refused = 0;
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if ((elapsed >= std::chrono::milliseconds(200) && swaps >= kMinSwaps) || elapsed >= std::chrono::seconds(5)) break;
    holder.replace(CompileResult{(swaps % 2 == 0) ? b : a, {}});
    ++swaps;
    if (swaps % 64 == 0) {
      // A failed reload in the middle of it all changes nothing.
      const auto before = holder.current();
      CompileResult failed;
      failed.diagnostics.push_back(Diagnostic{"SG101", Severity::kError, "x.yaml", {1, 1}, "bad", "fix", {}});
      holder.replace(std::move(failed));
      if (holder.current() != before) ++refused;
    }
  }
  stop = true;
  for (auto& t : readers) t.join();

  INFO("decisions ", decisions.load(), ", under A ", seen_a.load(), ", under B ", seen_b.load(), ", swaps ", swaps);
  CHECK(decisions.load() > 0);
  CHECK(swaps >= kMinSwaps);
  CHECK(wrong.load() == 0);
  CHECK(foreign.load() == 0);
  CHECK(refused == 0);
  CHECK(seen_a.load() + seen_b.load() == decisions.load());
}
