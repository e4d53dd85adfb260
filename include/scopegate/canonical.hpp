#pragma once
/// Canonical request-targets (contract section 3). Pure functions; no
/// allocation.

#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// What the one pass over a path does with a byte: copy it (kCopy), end a
/// segment, read an escape, end the path, or refuse it (rule 1).
enum class PathByte : std::uint8_t { kCopy, kSlash, kPercent, kQuery, kRefuse };

struct PathByteTable {
  PathByte of[256] = {};
  constexpr PathByteTable() {
    for (unsigned c = 0; c < 256; ++c) of[c] = kRawChars.allowed[c] ? PathByte::kCopy : PathByte::kRefuse;
    of[static_cast<unsigned char>('/')] = PathByte::kSlash;
    of[static_cast<unsigned char>('%')] = PathByte::kPercent;
    of[static_cast<unsigned char>('?')] = PathByte::kQuery;
  }
};
inline constexpr PathByteTable kPathBytes{};

constexpr char upper_hex(unsigned char c) { return (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : static_cast<char>(c); }

constexpr bool is_forbidden_encoding(unsigned v) { return v == '/' || v == '\\' || v == '?' || v == '#' || v < 0x20 || v > 0x7E; }

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

namespace detail {

/// A path error, ranked by the rule that finds it: rules apply in order, so a
/// lower rank wins wherever in the target it lies (rule 1 has rank 0).
constexpr int rule_rank(TargetError e) {
  switch (e) {
    case TargetError::kNotAbsolute:
    case TargetError::kTooLong: return 2;
    case TargetError::kForbiddenEncoding: return 3;
    case TargetError::kDotSegment:
    case TargetError::kEmptySegment: return 4;
    default: return 6;
  }
}

/// The one pass below stops at the first path error, found at input offset
/// `i`; an error of an earlier rule may still lie further on. This finds the
/// error that the rules, applied in order, report: rule 1 anywhere in the
/// target, then the path's length (rule 2), then an escape the path refuses
/// (rule 3) ahead of a segment error (rules 4 and 5).
inline CanonicalTarget settle(std::string_view target, std::size_t i, TargetError found) {
  CanonicalTarget r;
  const std::size_t n = target.size();
  std::size_t path_end = n;
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
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
      if (path_end == n && rule_rank(found) > 3 &&
          is_forbidden_encoding(hex_value(static_cast<unsigned char>(target[i + 1])) * 16 +
                                hex_value(static_cast<unsigned char>(target[i + 2]))))
        found = TargetError::kForbiddenEncoding;
      i += 2;
    } else if (c == '?' && path_end == n) {
      path_end = i;
    }
  }
  if (rule_rank(found) > 2 && path_end > kMaxTargetPathBytes) found = TargetError::kTooLong;
  r.error = found;
  return r;
}

/// Rules 4 and 5 for the segment `out[start, end)`; `last` when the path ends
/// with it. Only a segment that starts with `.` can be a dot segment.
inline TargetError check_segment(const char* out, std::size_t start, std::size_t end, bool last) {
  if (start == end) return last ? TargetError::kNone : TargetError::kEmptySegment;
  if (out[start] == '.' && is_dot_segment({out + start, end - start})) return TargetError::kDotSegment;
  return TargetError::kNone;
}

/// The end of every canonicalization, once the path (input bytes [0, i),
/// output bytes [0, o)) has passed rules 1 to 5: rule 1 over the query, then
/// rule 6 when a `%25` was written.
inline CanonicalTarget finish_target(std::string_view target, const char* out, std::size_t i, std::size_t o,
                                     bool percent_escape) {
  CanonicalTarget r;
  const std::size_t n = target.size();
  if (i < n) {
    r.has_query = true;
    r.query = target.substr(i + 1);
    for (std::size_t j = i + 1; j < n; ++j) {
      const auto c = static_cast<unsigned char>(target[j]);
      if (!kRawChars.allowed[c]) {
        r.error = TargetError::kBadCharacter;
        return r;
      }
      if (c == '%' && (j + 2 >= n || !is_hex(static_cast<unsigned char>(target[j + 1])) ||
                       !is_hex(static_cast<unsigned char>(target[j + 2])))) {
        r.error = TargetError::kBadEscape;
        return r;
      }
    }
  }
  if (percent_escape) {
    for (std::size_t k = 0; k + 4 < o; ++k) {
      if (out[k] == '%' && out[k + 1] == '2' && out[k + 2] == '5' && is_hex(static_cast<unsigned char>(out[k + 3])) &&
          is_hex(static_cast<unsigned char>(out[k + 4]))) {
        r.error = TargetError::kDoubleEncoding;
        return r;
      }
    }
  }
  r.path_length = o;
  return r;
}

/// A sink for canonicalize_path that keeps nothing.
struct IgnoreSegments {
  void end_segment(std::size_t) {}
  void end_segments_of_short_path(std::uint64_t) {}
};

#if defined(__SSE2__)
/// Bit k is set when byte k of `block` is one of the bytes most paths are
/// made of, all copied verbatim or `/`: letters, digits, `&'()*+,-./:;`, `_`
/// and `~`. Any other byte, allowed or not, is left to the byte loop, which
/// knows every class; this keeps the test to a few instructions.
inline unsigned common_bytes(__m128i block) {
  const __m128i zero = _mm_setzero_si128();
  // x in [lo, lo + span] when the wrapped difference saturates to zero.
  const auto in_range = [&](__m128i x, char lo, char span) {
    return _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(x, _mm_set1_epi8(lo)), _mm_set1_epi8(span)), zero);
  };
  const __m128i letters = in_range(_mm_or_si128(block, _mm_set1_epi8(0x20)), 'a', 'z' - 'a');
  const __m128i marks = in_range(block, '&', ';' - '&');
  const __m128i others = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('_')), _mm_cmpeq_epi8(block, _mm_set1_epi8('~')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letters, marks), others)));
}

/// Bit k is set when byte k of `block` is `.` or `/`: the bytes that matter
/// at the start of a segment (rules 4 and 5).
inline unsigned dots_or_slashes(__m128i block) {
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(block, _mm_set1_epi8(1)), _mm_set1_epi8('/'))));
}

inline unsigned slashes_of(__m128i block) {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('/'))));
}

/// Where canonicalize_path stands: the next input byte, the next output byte
/// and the output offset where the open segment starts.
struct PathCursor {
  std::size_t i;
  std::size_t o;
  std::size_t segment;
};

/// Copies the run of common bytes at `in[at.i]`, up to 64 at a time, ending a
/// segment at each slash, and advances `at` past it; stops at the first byte
/// that needs the byte loop (or the end). The bytes of a stretch are read as
/// 16-byte blocks, the last one overlapping the one before, and summed up as
/// three bit masks; the segments are then ended from the masks. Near the end
/// of the target, while nothing has been decoded, a block that starts before
/// `at.i` is read instead, and a target of 8 to 15 bytes is read whole into
/// one block: no byte outside the target is ever read. Only for targets of 8
/// to kMaxTargetPathBytes bytes, so that every store stays inside `out`.
template <class SegmentSink>
TargetError copy_run(const char* in, std::size_t n, char* out, PathCursor& at, bool verbatim, SegmentSink& sink) {
  // Locals, not `at`: the stores into `out` may alias anything a reference
  // reaches, which would reload the offsets after every store.
  std::size_t i = at.i;
  std::size_t o = at.o;
  std::size_t segment = at.segment;
  const auto load = [](const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  const auto store = [](char* p, __m128i b) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), b); };
  while (i < n) {
    const std::size_t len = n - i < 64 ? n - i : 64;
    std::uint64_t common = 0;
    std::uint64_t slashes = 0;
    std::uint64_t dots_slashes = 0;
    const auto add = [&](__m128i b, std::size_t bit) {
      common |= std::uint64_t{common_bytes(b)} << bit;
      slashes |= std::uint64_t{slashes_of(b)} << bit;
      dots_slashes |= std::uint64_t{dots_or_slashes(b)} << bit;
    };
    if (len >= 16) {
      // INVARIANT: o <= i, so every store ends at or before o + len <= n.
      std::size_t k = 0;
      for (; k + 16 <= len; k += 16) {
        const __m128i b = load(in + i + k);
        store(out + o + k, b);
        add(b, k);
      }
      if (k < len) {
        const __m128i b = load(in + i + len - 16);
        store(out + o + len - 16, b);
        add(b, len - 16);
      }
    } else if (verbatim) {
      // The stretch ends the target. INVARIANT: verbatim, so o == i and
      // rewriting the bytes before i in `out` rewrites them as they were.
      __m128i b;
      std::size_t behind;  // bytes of the block before in[i]
      if (n >= 16) {
        behind = i + 16 - n;
        b = load(in + n - 16);
      } else {
        // Two overlapping words; the bytes past the target are zero, which
        // is no common byte. (SSE2 means x86: little-endian.)
        behind = i;
        std::uint64_t lo;
        std::uint64_t hi;
        std::memcpy(&lo, in, 8);
        std::memcpy(&hi, in + n - 8, 8);
        hi = n == 8 ? 0 : hi >> (8 * (16 - n));
        b = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
      }
      store(out + o - behind, b);
      common = common_bytes(b) >> behind;
      slashes = slashes_of(b) >> behind;
      dots_slashes = dots_or_slashes(b) >> behind;
    } else {
      break;
    }
    const std::uint64_t valid = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
    const std::uint64_t uncommon = ~common & valid;
    const std::size_t run = uncommon == 0 ? len : static_cast<std::size_t>(std::countr_zero(uncommon));
    if (run == 0) break;
    const std::uint64_t keep = run == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << run) - 1;
    slashes &= keep;
    // Rules 4 and 5 can only fire for a segment that is empty or starts with
    // a dot; a segment starts after each slash, and at bit 0 when the output
    // so far ends with a slash.
    const std::uint64_t starts = ((slashes << 1) | (segment == o ? 1u : 0u)) & keep;
    const bool open_dot = segment < o && out[segment] == '.';
    if ((starts & dots_slashes) != 0 || (open_dot && slashes != 0)) {
      while (slashes != 0) {
        const auto k = static_cast<std::size_t>(std::countr_zero(slashes));
        slashes &= slashes - 1;
        if (TargetError e = check_segment(out, segment, o + k, false); e != TargetError::kNone) {
          at = {i + k, o + k, segment};
          return e;
        }
        sink.end_segment(o + k);
        segment = o + k + 1;
      }
    } else if (slashes != 0) {
      segment = o + static_cast<std::size_t>(std::bit_width(slashes));
      do {
        sink.end_segment(o + static_cast<std::size_t>(std::countr_zero(slashes)));
        slashes &= slashes - 1;
      } while (slashes != 0);
    }
    i += run;
    o += run;
    if (run < len) break;
  }
  at = {i, o, segment};
  return TargetError::kNone;
}

/// The common case in one go: a target of 8 to 64 bytes whose path is made
/// of common bytes alone and has no segment that is empty (but the last) or
/// starts with a dot, so that rules 1 to 6 hold for the path by construction.
/// Writes the path, tells the sink its segments and returns its length; or
/// returns 0, having told the sink nothing, and the byte loop decides.
template <class SegmentSink>
std::size_t simple_path(const char* in, std::size_t n, char* out, SegmentSink& sink) {
  if (n < 8 || n > 64) return 0;
  const auto load = [](const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  const auto store = [](char* p, __m128i b) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), b); };
  std::uint64_t common = 0;
  std::uint64_t slashes = 0;
  std::uint64_t dots_slashes = 0;
  const auto add = [&](__m128i b, std::size_t at) {
    store(out + at, b);
    common |= std::uint64_t{common_bytes(b)} << at;
    slashes |= std::uint64_t{slashes_of(b)} << at;
    dots_slashes |= std::uint64_t{dots_or_slashes(b)} << at;
  };
  if (n >= 16) {
    // The last block overlaps the one before unless n is a multiple of 16.
    std::size_t at = 0;
    for (; at + 16 <= n; at += 16) add(load(in + at), at);
    if (at < n) add(load(in + n - 16), n - 16);
  } else {
    // Two overlapping words; the bytes past the target are zero, which is no
    // common byte. (SSE2 means x86: little-endian.)
    std::uint64_t lo;
    std::uint64_t hi;
    std::memcpy(&lo, in, 8);
    std::memcpy(&hi, in + n - 8, 8);
    hi = n == 8 ? 0 : hi >> (8 * (16 - n));
    add(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)), 0);
  }
  const std::uint64_t valid = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  const std::uint64_t uncommon = ~common & valid;
  const std::size_t end = uncommon == 0 ? n : static_cast<std::size_t>(std::countr_zero(uncommon));
  if (end < n && in[end] != '?') return 0;
  const std::uint64_t path = end == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << end) - 1;
  slashes &= path;
  // A segment starts after each slash; one that starts with `/` or `.` is
  // left to the byte loop (the empty last segment starts past the path).
  if ((slashes << 1) & dots_slashes & path) return 0;
  sink.end_segments_of_short_path(slashes & ~std::uint64_t{1});
  if (end > 1) sink.end_segment(end);
  return end;
}
#endif

/// canonicalize_path for the targets simple_path leaves: each byte is
/// classified, copied or decoded, and each segment checked when it ends.
template <class SegmentSink>
CanonicalTarget canonicalize_bytewise(std::string_view target, char* out, SegmentSink& sink) {
  CanonicalTarget r;
  const char* in = target.data();
  const std::size_t n = target.size();
  if (n == 0 || in[0] != '/') return settle(target, 0, TargetError::kNotAbsolute);
  // INVARIANT: every byte written comes from a byte read below `limit`, so
  // `out` (kMaxTargetPathBytes) never overflows; a longer path is refused.
  const std::size_t limit = n < kMaxTargetPathBytes ? n : kMaxTargetPathBytes;
  out[0] = '/';
  std::size_t i = 1;
  std::size_t o = 1;
  std::size_t segment = 1;
  [[maybe_unused]] bool verbatim = true;  // no escape read yet: out[0, o) == in[0, o)
  bool percent_escape = false;  // a `%25` was written: rule 6 must look
#if defined(__SSE2__)
  // Shorter targets take the byte loop alone.
  const bool wide = n >= 8 && n <= kMaxTargetPathBytes;
#endif
  while (i < limit) {
#if defined(__SSE2__)
    if (wide) {
      PathCursor at{i, o, segment};
      const TargetError e = copy_run(in, n, out, at, verbatim, sink);
      i = at.i;
      o = at.o;
      segment = at.segment;
      if (e != TargetError::kNone) return settle(target, i, e);
      if (i == limit) break;
    }
#endif
    const auto c = static_cast<unsigned char>(in[i]);
    const PathByte kind = kPathBytes.of[c];
    if (kind == PathByte::kCopy) {
      out[o++] = static_cast<char>(c);
      ++i;
    } else if (kind == PathByte::kSlash) {
      if (TargetError e = check_segment(out, segment, o, false); e != TargetError::kNone) return settle(target, i, e);
      sink.end_segment(o);
      out[o++] = '/';
      segment = o;
      ++i;
    } else if (kind == PathByte::kPercent) {
      if (i + 2 >= n || !is_hex(static_cast<unsigned char>(in[i + 1])) ||
          !is_hex(static_cast<unsigned char>(in[i + 2]))) {
        r.error = TargetError::kBadEscape;
        return r;
      }
      // Only when limit < n: the escape runs past the bound.
      if (i + 3 > limit) return settle(target, i, TargetError::kTooLong);
      const auto h1 = static_cast<unsigned char>(in[i + 1]);
      const auto h2 = static_cast<unsigned char>(in[i + 2]);
      const unsigned v = hex_value(h1) * 16 + hex_value(h2);
      if (is_unreserved(static_cast<unsigned char>(v))) {
        out[o++] = static_cast<char>(v);
      } else if (is_forbidden_encoding(v)) {
        return settle(target, i, TargetError::kForbiddenEncoding);
      } else {
        out[o] = '%';
        out[o + 1] = upper_hex(h1);
        out[o + 2] = upper_hex(h2);
        o += 3;
        percent_escape = percent_escape || v == '%';
      }
      i += 3;
      verbatim = false;
    } else if (kind == PathByte::kQuery) {
      break;
    } else {
      r.error = TargetError::kBadCharacter;
      return r;
    }
  }
  if (i == limit && i < n && in[i] != '?') return settle(target, i, TargetError::kTooLong);
  if (TargetError e = check_segment(out, segment, o, true); e != TargetError::kNone) return settle(target, i, e);
  if (o > 1) sink.end_segment(o);
  return finish_target(target, out, i, o, percent_escape);
}

/// canonicalize_target in one pass over the path. `sink` is told the output
/// offset where each segment ends, none for the root `/` (whose path has no
/// segments) and the empty last one for a trailing slash. On an error, what
/// the sink was told is meaningless.
template <class SegmentSink>
CanonicalTarget canonicalize_path(std::string_view target, char* out, SegmentSink& sink) {
#if defined(__SSE2__)
  // Small enough to inline into a decision: most targets end here.
  if (!target.empty() && target[0] == '/') {
    const std::size_t end = simple_path(target.data(), target.size(), out, sink);
    if (end == target.size()) return {.path_length = end};
    if (end != 0) return finish_target(target, out, end, end, false);
  }
#endif
  return canonicalize_bytewise(target, out, sink);
}

}  // namespace detail

inline CanonicalTarget canonicalize_target(std::string_view target, char* out) {
  detail::IgnoreSegments none;
  return detail::canonicalize_path(target, out, none);
}

inline std::optional<std::string> canonical_path(std::string_view target) {
  std::string buffer(kMaxTargetPathBytes, '\0');
  CanonicalTarget r = canonicalize_target(target, buffer.data());
  if (r.error != TargetError::kNone) return std::nullopt;
  buffer.resize(r.path_length);
  return buffer;
}

}  // namespace scopegate
