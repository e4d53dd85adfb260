#pragma once
/// The YAML front end: policy files and tokens files (format in policies/README.md).
/// Only our own types cross this header; the YAML library stays inside
/// src/yaml_loader.cpp. No function throws: every problem is a Diagnostic, and
/// every problem found is reported, sorted by position. All functions are
/// reentrant and may run concurrently; each call owns everything it builds.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/compiled_policy.hpp"
#include "scopegate/diagnostic.hpp"
#include "scopegate/policy_spec.hpp"
#include "scopegate/tokens.hpp"

namespace scopegate {

/// A policy text above this many bytes is refused (SG004) before it is parsed.
inline constexpr std::size_t kMaxPolicyBytes = 32u << 20;
/// A tokens text above this many bytes is refused (SG004) before it is parsed.
inline constexpr std::size_t kMaxTokensBytes = 4u << 20;

/// A parsed but uncompiled policy: `spec` only when `diagnostics` holds no error.
struct SpecResult {
  std::optional<PolicySpec> spec;
  std::vector<Diagnostic> diagnostics;  ///< sorted by position
};

/// Reads a policy's YAML into a PolicySpec, checking structure only: YAML syntax
/// (SG001), keys (SG002), types and required fields (SG003), size (SG004),
/// format version (SG005), methods (SG107), secrets (SG108), contradictory route
/// auth (SG109) and token class settings the spec does not keep (SG110). The
/// semantic checks are compile()'s. `file_name` is used in diagnostics only.
/// Linear in the size of the text.
SpecResult parse_policy_text(std::string_view text, std::string file_name);

/// parse_policy_text on a file's content; SG000 when it cannot be read, SG004
/// when it is larger than kMaxPolicyBytes (checked before reading it).
SpecResult parse_policy_file(const std::string& path);

/// A compiled policy, or every error found on the way to one.
struct LoadResult {
  std::shared_ptr<const CompiledPolicy> policy;
  std::vector<Diagnostic> diagnostics;  ///< parse and compile findings, sorted by position
  bool ok() const { return policy != nullptr; }
};

/// parse_policy_text, then compile() when parsing found no error.
LoadResult load_policy_text(std::string_view text, std::string file_name);

/// parse_policy_file, then compile() when parsing found no error.
LoadResult load_policy_file(const std::string& path);

/// A tokens file (contract section 8): `tokens` only when `diagnostics` holds no error.
struct TokensResult {
  std::optional<TokensFile> tokens;
  std::vector<Diagnostic> diagnostics;  ///< sorted by position
};

/// Reads a tokens file's YAML. Every user token must be of `policy`'s user class
/// and listed once; codes SG201-SG206 (policies/README.md), plus SG000, SG001
/// and SG004 as for policies with kMaxTokensBytes as the bound.
TokensResult parse_tokens_text(std::string_view text, std::string file_name, const PolicySpec& policy);

/// parse_tokens_text on a file's content.
TokensResult load_tokens_file(const std::string& path, const PolicySpec& policy);

}  // namespace scopegate
