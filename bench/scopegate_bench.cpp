// scopegate-bench: the benchmarks of issue 7. Names are stable so that runs
// compare over time (bench/README.md); scripts/bench runs them with
// repetitions and checks the targets.

#include <benchmark/benchmark.h>

#include <string>

#include "alloc_counter.hpp"
#include "baselines.hpp"
#include "reference/reference.hpp"
#include "scopegate/yaml.hpp"
#include "workload.hpp"

namespace scopegate::bench {
namespace {

/// Threads of one benchmark start at different requests, as concurrent
/// clients would, and each cycles over the whole request set.
std::size_t first_request(const benchmark::State& state, std::size_t count) {
  return static_cast<std::size_t>(state.thread_index()) * count / static_cast<std::size_t>(state.threads());
}

void count_allocations(benchmark::State& state, std::uint64_t before) {
  state.counters["allocs_per_decision"] = benchmark::Counter(
      static_cast<double>(thread_allocations() - before) / static_cast<double>(state.iterations()),
      benchmark::Counter::kAvgThreads);
}

void decide_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  const std::span<const Header> headers = w.full_user_headers.headers;
  std::size_t i = first_request(state, w.mix.size());
  const std::uint64_t before = thread_allocations();
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    Decision d = decide(*w.policy, Request{q.method, q.target, headers}, *w.resolver, w.operator_secret);
    benchmark::DoNotOptimize(d);
    if (++i == w.mix.size()) i = 0;
  }
  count_allocations(state, before);
}

void decide_one(benchmark::State& state, const SingleRequest* q) {
  const Workload& w = workload("comwit");
  const Request request{q->method, q->target, q->headers.headers};
  const std::uint64_t before = thread_allocations();
  for (auto _ : state) {
    Decision d = decide(*w.policy, request, *w.resolver, w.operator_secret);
    benchmark::DoNotOptimize(d);
  }
  count_allocations(state, before);
}

void check_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  std::size_t i = first_request(state, w.mix.size());
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    Decision d = check(*w.policy, q.method, q.target, w.full_user);
    benchmark::DoNotOptimize(d);
    if (++i == w.mix.size()) i = 0;
  }
}

void match_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  std::size_t i = first_request(state, w.mix.size());
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    char buffer[detail::kMatchBufferBytes];
    const CompiledRoute* route = detail::match_route(*w.policy, q.method, q.target, buffer);
    benchmark::DoNotOptimize(route);
    if (++i == w.mix.size()) i = 0;
  }
}

void floor_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  const Floor& floor = floor_of(w);
  const std::uint64_t user = ScopeBits::full_user(*w.policy);
  std::size_t i = first_request(state, w.mix.size());
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    Verdict v = floor.decide(q.method, q.target, user);
    benchmark::DoNotOptimize(v);
    if (++i == w.mix.size()) i = 0;
  }
}

void regex_scan_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  const RegexScan& scan = regex_scan_of(w);
  const std::uint64_t user = ScopeBits::full_user(*w.policy);
  std::size_t i = first_request(state, w.mix.size());
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    Verdict v = scan.decide(q.method, q.target, user, Workload::kProjects);
    benchmark::DoNotOptimize(v);
    if (++i == w.mix.size()) i = 0;
  }
}

void reference_mix(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  std::size_t i = first_request(state, w.mix.size());
  for (auto _ : state) {
    const BenchRequest& q = w.mix[i];
    reference::RefDecision d =
        reference::evaluate(w.policy->spec(), q.method, q.target, w.full_user_headers.pairs, w.tokens, w.operator_token);
    benchmark::DoNotOptimize(d);
    if (++i == w.mix.size()) i = 0;
  }
}

void compile(benchmark::State& state, const std::string& table) {
  const Workload& w = workload(table);
  const std::string file = table + ".yaml";
  // What a compiled policy holds, weighed once outside the timed loop: every
  // heap byte the load allocated and did not free. The policy keeps its
  // routes' source compactly; spec() is not called, as a server that only
  // decides never calls it.
  const std::int64_t before = thread_live_bytes();
  double held_bytes = 0;
  double matcher_bytes = 0;
  double routes = 0;
  {
    LoadResult r = load_policy_text(w.yaml, file);
    held_bytes = static_cast<double>(thread_live_bytes() - before);
    matcher_bytes = static_cast<double>(r.policy->trie().memory_bytes());
    routes = static_cast<double>(r.policy->routes().size());
  }
  for (auto _ : state) {
    LoadResult r = load_policy_text(w.yaml, file);
    benchmark::DoNotOptimize(r);
    // Freeing a policy is not part of compiling one.
    state.PauseTiming();
    r = {};
    state.ResumeTiming();
  }
  state.counters["routes"] = routes;
  state.counters["bytes_per_route"] = held_bytes / routes;
  state.counters["matcher_bytes_per_route"] = matcher_bytes / routes;
}

void register_all() {
  for (const auto& [kind, request] : comwit_kinds())
    benchmark::RegisterBenchmark(("BM_Decide/comwit/" + kind).c_str(), decide_one, &request);

  using Body = void (*)(benchmark::State&, const std::string&);
  const std::pair<const char*, Body> mixes[] = {
      {"BM_Decide", decide_mix},       {"BM_Check", check_mix},         {"BM_Match", match_mix},
      {"BM_RegexScan", regex_scan_mix}, {"BM_Reference", reference_mix}, {"BM_Floor", floor_mix}};
  for (const auto& [family, body] : mixes)
    for (const std::string& table : table_names())
      benchmark::RegisterBenchmark((std::string(family) + "/" + table + "/mix").c_str(), body, table)
          ->ThreadRange(1, 2);
  for (const std::string& table : table_names())
    benchmark::RegisterBenchmark(("BM_Compile/" + table).c_str(), compile, table)->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace scopegate::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  scopegate::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
