#pragma once
// What validate and coverage check, for audit to reuse.

#include <string>
#include <vector>

#include "findings.hpp"
#include "scopegate/compiled_policy.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::cli {

/// The loader's findings, then lint's when the policy loaded, by position.
std::vector<Finding> policy_findings(const LoadResult& loaded);

/// What coverage finds between a policy and an OpenAPI description.
struct CoverageReport {
  std::vector<Finding> findings;
  bool readable = false;  ///< false: the description could not be used (its SG400 findings say why)
  std::size_t operations = 0;
};

/// Reads the OpenAPI description at `spec_path` and compares it with `policy`.
CoverageReport openapi_coverage(const CompiledPolicy& policy, const std::string& spec_path);

}  // namespace scopegate::cli
