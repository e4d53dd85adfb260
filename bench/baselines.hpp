#pragma once
// What a server would do instead of scopegate, timed on the same requests:
// the floor (an exact-path hash lookup plus a bitmask test: not a matcher) and
// a std::regex linear scan (what hand-written servers do).

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workload.hpp"

namespace scopegate::bench {

enum class Verdict : std::uint8_t { kAllow, kDeny, kNotFound };

/// Scopes as bits for the baselines: bit 0 means "a route exists", bit 1 + i
/// is the policy's scope i, bit 63 marks an operator-only route, which no user
/// mask has.
class ScopeBits {
 public:
  static std::uint64_t route_needs(const CompiledPolicy& policy, const RouteSpec& route);
  /// The full user's mask: every scope of the policy.
  static std::uint64_t full_user(const CompiledPolicy& policy);
};

/// The method index of a request method, HEAD as GET; nullopt when unknown.
std::optional<Method> baseline_method(std::string_view method);

/// An unordered_map from the exact target of every request of the mix that
/// names a route to the scope bits each method needs there. Immutable.
class Floor {
 public:
  explicit Floor(const Workload& w);

  Verdict decide(std::string_view method, std::string_view target, std::uint64_t user) const {
    const auto m = baseline_method(method);
    const auto it = needs_.find(target);
    if (!m || it == needs_.end()) return Verdict::kNotFound;
    const std::uint64_t need = it->second[static_cast<std::size_t>(*m)];
    if (need == 0) return Verdict::kNotFound;
    return (need & user) == need ? Verdict::kAllow : Verdict::kDeny;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::array<std::uint64_t, kMethodCount>, Hash, std::equal_to<>> needs_;
};

/// One std::regex per route, tried in declaration order until one matches the
/// raw path; then the scope bits and, on project routes, membership of the
/// captured project. Immutable; std::regex matching is const and thread-safe.
class RegexScan {
 public:
  explicit RegexScan(const Workload& w);

  Verdict decide(std::string_view method, std::string_view target, std::uint64_t user,
                 std::span<const std::string_view> projects) const;

 private:
  struct Entry {
    Method method;
    std::regex pattern;
    std::uint64_t need;
    int project_group;  ///< capture group of the project parameter; 0: none
  };
  std::vector<Entry> routes_;
};

/// The baselines of a workload, built on first use and kept: thread-safe.
const Floor& floor_of(const Workload& w);
const RegexScan& regex_scan_of(const Workload& w);

}  // namespace scopegate::bench
