#pragma once
// policy-gate's counters and the decision latency histogram, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "scopegate/decision.hpp"

namespace scopegate::gate {

/// Lock-free counters: every member may be called from any thread at once.
class Metrics {
 public:
  /// Upper bounds of the latency buckets, in seconds (`le`), ascending.
  static constexpr std::array<double, 17> kBuckets = {5e-6,  1e-5,  2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                                      5e-3,  1e-2,  2.5e-2, 5e-2, 0.1,  0.25,   0.5,  1.0};

  /// One decision and how long it took, token resolution included.
  void record(Reason reason, std::chrono::nanoseconds elapsed);
  /// A user token that could not be checked because the introspection
  /// endpoint failed (answered 503).
  void record_unavailable() { unavailable_.fetch_add(1, std::memory_order_relaxed); }
  void record_reload(bool applied) { (applied ? reloads_applied_ : reloads_refused_).fetch_add(1, std::memory_order_relaxed); }
  void record_introspection(bool cache_hit) { (cache_hit ? cache_hits_ : cache_misses_).fetch_add(1, std::memory_order_relaxed); }
  void set_routes(std::size_t routes) { routes_.store(routes, std::memory_order_relaxed); }
  void set_cache_entries(std::size_t entries) { cache_entries_.store(entries, std::memory_order_relaxed); }

  /// Every metric, always present (zero until counted); each counter read once.
  std::string render() const;

 private:
  std::array<std::atomic<std::uint64_t>, kReasonCount> decisions_{};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};  // the last is +Inf only
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::atomic<std::uint64_t> unavailable_{0};
  std::atomic<std::uint64_t> reloads_applied_{0};
  std::atomic<std::uint64_t> reloads_refused_{0};
  std::atomic<std::uint64_t> cache_hits_{0};
  std::atomic<std::uint64_t> cache_misses_{0};
  std::atomic<std::size_t> routes_{0};
  std::atomic<std::size_t> cache_entries_{0};
};

}  // namespace scopegate::gate
