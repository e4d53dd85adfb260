#pragma once
// Route patterns: `/v1/projects/{projectId}/apps`. Shared by compile() and the
// policy tools; the decision path never parses a pattern.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/diagnostic.hpp"

namespace scopegate::detail {

struct PatternSegment {
  std::string_view text;   ///< the literal, or the parameter name for a parameter
  bool is_param = false;
};

struct ParsedPattern {
  std::vector<PatternSegment> segments;
  std::string error;        ///< empty when the pattern is well formed
  std::uint32_t error_offset = 0;
  bool bound_exceeded = false;  ///< the error is a size bound, not a syntax fault

  bool ok() const { return error.empty(); }
  /// Index of the parameter named `name`, or -1.
  int param_index(std::string_view name) const {
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i].is_param && segments[i].text == name) return static_cast<int>(i);
    return -1;
  }
};

/// Characters a literal segment may hold: those that survive canonicalization
/// unchanged (RFC 3986 unreserved, sub-delims, `:` and `@`). A `%` is refused
/// because a canonical path keeps only non-unreserved escapes, which no sane
/// route names.
constexpr bool is_literal_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(':
    case ')': case '*': case '+': case ',': case ';': case '=': case ':': case '@':
      return true;
    default:
      return false;
  }
}

constexpr bool is_param_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto head = static_cast<unsigned char>(name[0]);
  if (!((head >= 'a' && head <= 'z') || (head >= 'A' && head <= 'Z') || head == '_')) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/// Parses a pattern. `/` alone is the root and has no segments. The views in
/// the result point into `pattern`.
inline ParsedPattern parse_pattern(std::string_view pattern, std::size_t max_bytes, std::size_t max_segments) {
  ParsedPattern out;
  auto fail = [&](std::string message, std::size_t offset, bool bound = false) {
    out.error = std::move(message);
    out.error_offset = static_cast<std::uint32_t>(offset);
    out.bound_exceeded = bound;
    out.segments.clear();
    return out;
  };
  if (pattern.size() > max_bytes)
    return fail("pattern is " + std::to_string(pattern.size()) + " bytes, over the bound of " +
                    std::to_string(max_bytes), 0, true);
  if (pattern.empty() || pattern[0] != '/') return fail("pattern must start with '/'", 0);
  if (pattern == "/") return out;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = pattern.find('/', start);
    std::size_t end = slash == std::string_view::npos ? pattern.size() : slash;
    std::string_view seg = pattern.substr(start, end - start);
    if (seg.empty()) return fail("empty segment in pattern", start);
    if (out.segments.size() == max_segments)
      return fail("pattern has more than " + std::to_string(max_segments) + " segments", start, true);
    if (seg.front() == '{' || seg.back() == '}' || seg.find_first_of("{}") != std::string_view::npos) {
      if (seg.front() != '{' || seg.back() != '}' || seg.size() < 2)
        return fail("unbalanced brace in segment " + quote(seg), start);
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (name.find_first_of("{}") != std::string_view::npos)
        return fail("unbalanced brace in segment " + quote(seg), start);
      if (!is_param_name(name))
        return fail("bad parameter name " + quote(name), start + 1);
      if (out.param_index(name) >= 0)
        return fail("parameter " + quote(name) + " appears twice", start + 1);
      out.segments.push_back({name, true});
    } else {
      if (seg == "." || seg == "..") return fail("dot segment " + quote(seg) + " in pattern", start);
      for (std::size_t i = 0; i < seg.size(); ++i)
        if (!is_literal_char(static_cast<unsigned char>(seg[i])))
          return fail("character " + quote(seg.substr(i, 1)) + " cannot appear in a canonical path", start + i);
      out.segments.push_back({seg, false});
    }
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

/// The shape of a pattern with parameter names erased: two routes of one
/// method with equal shapes match exactly the same paths.
inline std::string pattern_shape(const ParsedPattern& p) {
  std::string shape;
  for (const auto& s : p.segments) {
    shape += '/';
    if (s.is_param) shape += "{}";
    else shape += s.text;
  }
  return shape.empty() ? "/" : shape;
}

}  // namespace scopegate::detail
