#pragma once
// Loading a policy for matrix, diff and verify, which need it compiled.

#include <iostream>
#include <memory>
#include <string>

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

}  // namespace scopegate::cli
