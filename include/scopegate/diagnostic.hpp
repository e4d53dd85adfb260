#pragma once
/// Positioned findings about a policy: loader errors and lint findings share
/// this shape so that every front end prints them the same way.

#include <algorithm>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "scopegate/policy_spec.hpp"

namespace scopegate {

/// Policy text made safe for a one-line message: control characters, `'`,
/// `\\` and bytes above 0x7E are escaped, so input can never break a line or
/// forge a second finding.
inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c > 0x7E) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

/// User input quoted for a message: `'text'`, escaped by printable().
inline std::string quote(std::string_view text) { return "'" + printable(text) + "'"; }

enum class Severity : std::uint8_t { kError, kWarning, kNote };

constexpr std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

/// One finding. `code` is stable across releases (`SG104`); `message` is
/// lowercase with no final period; `hint` says how to fix it.
struct Diagnostic {
  std::string code;
  Severity severity = Severity::kError;
  std::string file;
  SourcePos pos;
  std::string message;
  std::string hint;
  std::optional<SourcePos> related;  ///< a second position, e.g. the conflicting route

  /// `file:line:col: error[SG104]: message (related line:col); hint`
  std::string format() const {
    std::string out = file;
    if (pos.line != 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    out += ": ";
    out += severity_name(severity);
    out += "[" + code + "]: " + message;
    if (related && related->line != 0)
      out += " (" + std::to_string(related->line) + ":" + std::to_string(related->column) + ")";
    if (!hint.empty()) out += "; " + hint;
    return out;
  }
};

/// Sorts by position, then code, so that reports read top to bottom.
inline void sort_diagnostics(std::vector<Diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.pos != b.pos) return a.pos < b.pos;
    return a.code < b.code;
  });
}

inline bool has_errors(const std::vector<Diagnostic>& diags) {
  return std::any_of(diags.begin(), diags.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

}  // namespace scopegate
