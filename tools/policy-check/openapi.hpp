#pragma once
// The OpenAPI 3 reader behind `policy-check coverage` and `audit`: a YAML
// (yaml-cpp) or JSON (nlohmann) description in, the operations that coverage
// compares out. A library of its own so that the tests link it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/coverage.hpp"
#include "scopegate/diagnostic.hpp"

namespace scopegate::cli {

/// An API description, or the SG400 diagnostics that say why there is none.
struct OpenApiResult {
  std::optional<ApiDescription> api;
  std::vector<Diagnostic> diagnostics;
};

/// Reads an OpenAPI 3 description. JSON when the text starts with `{` (after
/// blanks), else YAML. YAML findings carry positions, JSON ones the file
/// alone. Security is the operation's `security`, else the document's; the
/// scopes are every name that any requirement lists. Never throws.
OpenApiResult read_openapi_text(std::string_view text, std::string file_name);

/// read_openapi_text on a file's content; SG400 when it cannot be read.
OpenApiResult read_openapi_file(const std::string& path);

}  // namespace scopegate::cli
