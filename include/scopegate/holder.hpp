#pragma once
/// The policy a running server decides with, swapped whole on reload.

#include <atomic>
#include <memory>
#include <vector>

#include "scopegate/compiled_policy.hpp"

namespace scopegate {

/// Holds the current policy. `current()` and `replace()` may be called from any
/// threads at once: a reader gets either the old or the new policy, whole, and
/// keeps it alive for as long as it holds the pointer. libstdc++ implements the
/// atomic shared_ptr with a short spin on the pointer itself, held only for a
/// reference-count update, never while a policy compiles.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const CompiledPolicy> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const CompiledPolicy> current() const { return current_.load(std::memory_order_acquire); }

  /// Swaps in a newly compiled policy when it compiled; otherwise keeps the
  /// last good one. Returns the compile diagnostics either way.
  std::vector<Diagnostic> replace(CompileResult result) {
    if (result.ok()) current_.store(std::move(result.policy), std::memory_order_release);
    return std::move(result.diagnostics);
  }

 private:
  std::atomic<std::shared_ptr<const CompiledPolicy>> current_;
};

}  // namespace scopegate
