#pragma once
// The access matrix writers of `policy-check matrix`, also used by `audit`.
// Every cell is a decision that decide() returned for a concrete request
// (scopegate/analysis.hpp); the writers only lay them out.

#include <map>
#include <ostream>
#include <string>

#include "findings.hpp"
#include "scopegate/analysis.hpp"

namespace scopegate::cli {

enum class MatrixFormat { kText, kMarkdown, kJson, kCsv, kHtml };
/// `text`, `markdown`, `json`, `csv`, `html`, for CLI11's transform.
const std::map<std::string, MatrixFormat>& matrix_format_names();

/// `public`, `operator-only`, `operator-only prefix family` or
/// `scope app:read, member of {projectId}`.
std::string matrix_guard(const analysis::MatrixRow& row);

/// `37 routes, 1 prefix family`
std::string matrix_size_text(const analysis::AccessMatrix& matrix);

/// Writes the matrix of `policy` in `format`; `style` colours the text format only.
void write_matrix(std::ostream& out, const CompiledPolicy& policy, const analysis::AccessMatrix& matrix,
                  MatrixFormat format, const Style& style);

/// The matrix as JSON: policy name and file, the situations, and per row its
/// route, guard, probed path and per situation the request, tokens, caller and
/// decision (null where the situation does not apply).
nlohmann::ordered_json matrix_json(const CompiledPolicy& policy, const analysis::AccessMatrix& matrix);

/// One self-contained HTML page: inline CSS and JavaScript, no external
/// asset; a coloured grid, hidden routes marked, a filter box.
std::string matrix_html(const CompiledPolicy& policy, const analysis::AccessMatrix& matrix);

}  // namespace scopegate::cli
