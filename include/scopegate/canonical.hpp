#pragma once
/// Canonical request-targets (contract section 3). Pure functions; no
/// allocation.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate {

/// Why a request-target is not canonical; every one is 400 `malformed_path`.
enum class TargetError : std::uint8_t {
  kNone,
  kBadCharacter,       ///< a byte RFC 3986 does not allow raw (`#`, `\`, space, controls, non-ASCII)
  kBadEscape,          ///< `%` not followed by two hex digits
  kNotAbsolute,        ///< the path does not start with `/`
  kTooLong,            ///< the path is over 4096 bytes as received
  kForbiddenEncoding,  ///< an encoded `/`, `\`, `?`, `#`, control character or byte above 0x7E
  kDotSegment,         ///< `.` or `..`, also before a `;` path parameter
  kEmptySegment,       ///< `//`: an empty segment other than the last
  kDoubleEncoding,     ///< `%25` followed by two hex digits
};

inline std::string_view target_error_message(TargetError e);

/// The contract's bound on a path as received.
inline constexpr std::size_t kMaxTargetPathBytes = 4096;

struct CanonicalTarget {
  TargetError error = TargetError::kNone;
  std::size_t path_length = 0;  ///< bytes written to the output buffer
  std::string_view query;       ///< the raw text after the first `?`, a view into the input
  bool has_query = false;
};

/// Canonicalizes `target` into `out`, which must hold kMaxTargetPathBytes bytes.
/// The rules, in the order they are applied:
///  1. every byte of the whole target is one RFC 3986 allows raw
///     (ALPHA DIGIT `-._~!$&'()*+,;=:@/?%`), and every `%` starts `%XX`;
///  2. the path (before the first `?`) starts with `/` and is at most 4096 bytes;
///  3. escapes of unreserved characters are decoded once; other escapes stay,
///     their hex in upper case; an escape of `/`, `\`, `?`, `#`, a control
///     character or a byte above 0x7E is refused;
///  4. no segment is `.` or `..`, nor is its text before the first `;` or `%3B`;
///  5. no segment is empty, except the last;
///  6. no `%25` is followed by two hex digits (judged after step 3).
/// The output is idempotent: canonicalizing it again yields it unchanged.
inline CanonicalTarget canonicalize_target(std::string_view target, char* out);

/// Convenience for tools and tests: the canonical path, or nullopt.
inline std::optional<std::string> canonical_path(std::string_view target);

namespace detail {

constexpr bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr unsigned hex_value(unsigned char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

struct RawCharTable {
  bool allowed[256] = {};
  constexpr RawCharTable() {
    for (unsigned c = 0; c < 256; ++c) allowed[c] = is_unreserved(static_cast<unsigned char>(c));
    for (char c : std::string_view("!$&'()*+,;=:@/?%")) allowed[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr RawCharTable kRawChars{};

constexpr char upper_hex(unsigned char c) { return (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : static_cast<char>(c); }

/// True for a segment (already decoded) that resolves as a dot segment on a
/// server that strips `;` path parameters first.
constexpr bool is_dot_segment(std::string_view seg) {
  std::size_t cut = seg.size();
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == ';') { cut = i; break; }
    if (seg[i] == '%' && i + 2 < seg.size() && seg[i + 1] == '3' && seg[i + 2] == 'B') { cut = i; break; }
  }
  std::string_view head = seg.substr(0, cut);
  return head == "." || head == "..";
}

}  // namespace detail

inline std::string_view target_error_message(TargetError e) {
  switch (e) {
    case TargetError::kNone: return "canonical";
    case TargetError::kBadCharacter: return "character not allowed in a request-target";
    case TargetError::kBadEscape: return "'%' not followed by two hex digits";
    case TargetError::kNotAbsolute: return "path does not start with '/'";
    case TargetError::kTooLong: return "path over 4096 bytes";
    case TargetError::kForbiddenEncoding: return "encoded '/', '\\', '?', '#', control or non-ASCII byte";
    case TargetError::kDotSegment: return "dot segment";
    case TargetError::kEmptySegment: return "empty segment";
    case TargetError::kDoubleEncoding: return "encoded percent-escape";
  }
  return "malformed";
}

inline CanonicalTarget canonicalize_target(std::string_view target, char* out) {
  using namespace detail;
  CanonicalTarget r;
  const std::size_t n = target.size();
  std::size_t query_at = n;
  // Rule 1 over the whole target.
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(target[i]);
    if (!kRawChars.allowed[c]) {
      r.error = TargetError::kBadCharacter;
      return r;
    }
    if (c == '%') {
      if (i + 2 >= n || !is_hex(static_cast<unsigned char>(target[i + 1])) ||
          !is_hex(static_cast<unsigned char>(target[i + 2]))) {
        r.error = TargetError::kBadEscape;
        return r;
      }
    } else if (c == '?' && query_at == n) {
      query_at = i;
    }
  }
  const std::string_view path = target.substr(0, query_at);
  if (query_at < n) {
    r.has_query = true;
    r.query = target.substr(query_at + 1);
  }
  // Rule 2.
  if (path.empty() || path[0] != '/') {
    r.error = TargetError::kNotAbsolute;
    return r;
  }
  if (path.size() > kMaxTargetPathBytes) {
    r.error = TargetError::kTooLong;
    return r;
  }
  // Rule 3. INVARIANT: output never outgrows the input, so `out` suffices.
  std::size_t o = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c != '%') {
      out[o++] = c;
      continue;
    }
    auto h1 = static_cast<unsigned char>(path[i + 1]);
    auto h2 = static_cast<unsigned char>(path[i + 2]);
    auto v = static_cast<unsigned char>(hex_value(h1) * 16 + hex_value(h2));
    if (is_unreserved(v)) {
      out[o++] = static_cast<char>(v);
    } else if (v == '/' || v == '\\' || v == '?' || v == '#' || v < 0x20 || v > 0x7E) {
      r.error = TargetError::kForbiddenEncoding;
      return r;
    } else {
      out[o++] = '%';
      out[o++] = upper_hex(h1);
      out[o++] = upper_hex(h2);
    }
    i += 2;
  }
  const std::string_view canon(out, o);
  // Rules 4 and 5.
  std::size_t start = 1;
  while (start <= canon.size()) {
    std::size_t slash = canon.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view seg = canon.substr(start, last ? std::string_view::npos : slash - start);
    if (seg.empty() && !last) {
      r.error = TargetError::kEmptySegment;
      return r;
    }
    if (is_dot_segment(seg)) {
      r.error = TargetError::kDotSegment;
      return r;
    }
    if (last) break;
    start = slash + 1;
  }
  // Rule 6.
  for (std::size_t i = 0; i + 4 < canon.size(); ++i) {
    if (canon[i] == '%' && canon[i + 1] == '2' && canon[i + 2] == '5' &&
        is_hex(static_cast<unsigned char>(canon[i + 3])) && is_hex(static_cast<unsigned char>(canon[i + 4]))) {
      r.error = TargetError::kDoubleEncoding;
      return r;
    }
  }
  r.path_length = o;
  return r;
}

inline std::optional<std::string> canonical_path(std::string_view target) {
  std::string buffer(kMaxTargetPathBytes, '\0');
  CanonicalTarget r = canonicalize_target(target, buffer.data());
  if (r.error != TargetError::kNone) return std::nullopt;
  buffer.resize(r.path_length);
  return buffer;
}

}  // namespace scopegate
