#pragma once
/// Conformance case files (format in conformance/README.md): parsing, and the
/// comparison of a case's expectations with a decision. No exception crosses
/// this header.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/reference.hpp"

namespace scopegate::conformance {

/// What a case asserts. An unset member asserts nothing; a set member of a
/// nullable field holding nullopt asserts null.
struct Expectation {
  std::optional<bool> allow;
  std::optional<int> status;
  std::optional<std::string> reason;
  std::optional<std::optional<std::string>> route;
  std::optional<std::optional<std::string>> required_scope;
  std::optional<std::optional<std::string>> project;
  std::optional<std::optional<std::string>> actor;
  std::optional<bool> actor_header_ignored;
  std::optional<std::vector<std::string>> allowed_methods;

  /// True when nothing is asserted: such a case fails (it could never fail).
  bool empty() const;
};

/// A request as bytes: method, raw target, header pairs in order.
struct CaseRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Case {
  std::string file;
  int line = 0;  ///< 1-based line of the case entry
  std::string note;
  std::string rule;
  CaseRequest request;
  Expectation expect;
};

struct CaseFile {
  std::string path;
  std::string tokens;  ///< fixture name: `<fixtures dir>/<tokens>.yaml`
  std::string policy;  ///< fixture name of the policy; empty: the runner's `--policy`
  std::vector<Case> cases;
};

/// The file, or every problem found, each as `file:line: message`.
struct CaseFileResult {
  std::optional<CaseFile> file;
  std::vector<std::string> errors;
};

/// Reads one case file. Unknown keys, missing `note`, `rule`, `request` or
/// `expect`, and values of the wrong type are errors; an empty `expect` is not
/// (the runner fails that case instead).
CaseFileResult parse_case_file(const std::string& path);

/// One line per asserted field that differs: `field: want X, got Y`.
std::vector<std::string> mismatches(const Expectation& expect, const reference::RefDecision& got);

}  // namespace scopegate::conformance
