#pragma once
/// The case runner's adapter around the engine: decides a case's request with
/// scopegate::decide() and converts the decision for comparison. `--break`
/// injects one deliberate fault here, around the real engine and never inside
/// it, so that the runner can be shown to catch a broken engine.

#include <array>
#include <cstdint>
#include <string_view>

#include "case_file.hpp"
#include "reference/reference.hpp"
#include "scopegate/engine.hpp"

namespace scopegate::conformance {

enum class Fault : std::uint8_t {
  kNone,
  kSkipMembership,
  kDecodeSlash,
  kTrustActor,
  kHeadNotGet,
  kIgnoreOperatorOnly,
};

struct FaultInfo {
  Fault fault;
  std::string_view name;    ///< the `--break` value
  std::string_view breaks;  ///< what goes wrong, and the contract rule it breaks
};

inline constexpr std::array<FaultInfo, 5> kFaults = {{
    {Fault::kSkipMembership, "skip-membership", "not_a_member becomes granted: membership is never checked (§1 step 12)"},
    {Fault::kDecodeSlash, "decode-slash", "%2F and %2f in the path are decoded to / before deciding (§3)"},
    {Fault::kTrustActor, "trust-actor", "a user token's actor is taken from the actor header when one is sent (§5)"},
    {Fault::kHeadNotGet, "head-not-get", "HEAD is not decided as GET: it has no routes of its own (§4)"},
    {Fault::kIgnoreOperatorOnly, "ignore-operator-only",
     "operator_only becomes granted: user tokens reach operator-only paths (§1 step 6)"},
}};

/// The entry of kFaults named `name`, or nullptr.
const FaultInfo* find_fault(std::string_view name);

/// Decides `request` with the engine, with `fault` injected around it
/// (Fault::kNone: the engine as it is). Safe to call concurrently.
reference::RefDecision decide_with_engine(const CaseRequest& request, const CompiledPolicy& policy,
                                          const TokenResolver& resolver, const OperatorSecret& secret, Fault fault);

}  // namespace scopegate::conformance
