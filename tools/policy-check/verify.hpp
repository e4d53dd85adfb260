#pragma once
// The invariant check of `policy-check verify`, also used by `audit`.

#include <vector>

#include "findings.hpp"
#include "scopegate/analysis.hpp"

namespace scopegate::cli {

/// One finding per violated invariant of `policy` (codes SG501-SG505 of
/// analysis::kInvariantRules), at the invariant's position, with the route as
/// the related position and, when there is one, a counterexample that
/// `policy-check decide` replays to the decision it shows. Empty when every
/// declared invariant holds (or none is declared). `kit` must be made from
/// `policy` alone.
std::vector<Finding> verify_findings(const CompiledPolicy& policy, const analysis::ProbeKit& kit);

}  // namespace scopegate::cli
