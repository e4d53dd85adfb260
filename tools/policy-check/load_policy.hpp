#pragma once
// Loading a policy for matrix, diff, verify and audit, which need it compiled,
// and the probes that enumerate its decisions.

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "scopegate/analysis.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::cli {

/// The compiled policy in `file`, or null after printing to stderr every error
/// that stopped it (`file:line:col: error[SG...]: ...`).
inline std::shared_ptr<const CompiledPolicy> load_policy_or_report(const std::string& file) {
  LoadResult loaded = load_policy_file(file);
  if (!loaded.ok())
    for (const auto& d : loaded.diagnostics)
      if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  return loaded.policy;
}

/// The probe kit of one policy, or of several compared together; nullopt
/// after printing why the policies admit none.
template <class Policies>
std::optional<analysis::ProbeKit> probe_kit_or_report(const Policies& policies) {
  std::string error;
  auto kit = analysis::ProbeKit::make(policies, &error);
  if (!kit) std::cerr << "policy-check: error: " << error << '\n';
  return kit;
}

}  // namespace scopegate::cli
