#include "metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace scopegate::gate {
namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name_and_labels, std::uint64_t value) {
  out += name_and_labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", s);
  return text;
}

}  // namespace

void Metrics::record(Reason reason, std::chrono::nanoseconds elapsed) {
  decisions_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  const double s = std::chrono::duration<double>(elapsed).count();
  const auto bucket = static_cast<std::size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), s) - kBuckets.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  header(out, "policy_gate_decisions_total", "counter", "Decisions by reason code (contract section 1).");
  for (std::size_t i = 0; i < kReasonCount; ++i)
    sample(out,
           "policy_gate_decisions_total{reason=\"" + std::string(kReasonNames[i]) + "\",status=\"" +
               std::to_string(kReasonStatus[i]) + "\"}",
           decisions_[i].load(std::memory_order_relaxed));

  header(out, "policy_gate_decision_duration_seconds", "histogram",
         "Time to decide one request, token resolution included.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    sample(out, "policy_gate_decision_duration_seconds_bucket{le=\"" + seconds(kBuckets[i]) + "\"}", cumulative);
  }
  cumulative += buckets_[kBuckets.size()].load(std::memory_order_relaxed);
  sample(out, "policy_gate_decision_duration_seconds_bucket{le=\"+Inf\"}", cumulative);
  out += "policy_gate_decision_duration_seconds_sum " +
         seconds(static_cast<double>(latency_sum_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  sample(out, "policy_gate_decision_duration_seconds_count", cumulative);

  header(out, "policy_gate_introspection_unavailable_total", "counter",
         "User tokens answered 503 because the introspection endpoint failed.");
  sample(out, "policy_gate_introspection_unavailable_total", unavailable_.load(std::memory_order_relaxed));
  header(out, "policy_gate_token_cache_lookups_total", "counter", "Introspection cache lookups by result.");
  sample(out, "policy_gate_token_cache_lookups_total{result=\"hit\"}", cache_hits_.load(std::memory_order_relaxed));
  sample(out, "policy_gate_token_cache_lookups_total{result=\"miss\"}", cache_misses_.load(std::memory_order_relaxed));
  header(out, "policy_gate_token_cache_entries", "gauge", "Tokens held in the introspection cache.");
  sample(out, "policy_gate_token_cache_entries", cache_entries_.load(std::memory_order_relaxed));
  header(out, "policy_gate_policy_reloads_total", "counter",
         "Policy loads by result; a refused one keeps the last good policy.");
  sample(out, "policy_gate_policy_reloads_total{result=\"applied\"}", reloads_applied_.load(std::memory_order_relaxed));
  sample(out, "policy_gate_policy_reloads_total{result=\"refused\"}", reloads_refused_.load(std::memory_order_relaxed));
  header(out, "policy_gate_policy_routes", "gauge", "Routes of the policy in force.");
  sample(out, "policy_gate_policy_routes", routes_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace scopegate::gate
