#pragma once
// Character sets of token classes, written as ranges and single characters.

#include <array>
#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace scopegate::detail {

/// Whether every byte of `text` is in `set`. No early exit and four
/// independent accumulators: tokens are valid far more often than not, and a
/// loop without a branch or a chain per byte runs at the speed of its loads.
constexpr bool all_in_set(std::string_view text, const bool* set) {
  const auto in = [set](char c) { return static_cast<unsigned>(set[static_cast<unsigned char>(c)]); };
  unsigned a = 1, b = 1, c = 1, d = 1;
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    a &= in(text[i]);
    b &= in(text[i + 1]);
    c &= in(text[i + 2]);
    d &= in(text[i + 3]);
  }
  for (; i < text.size(); ++i) a &= in(text[i]);
  return (a & b & c & d) != 0;
}

/// A byte set as a few ranges, for testing sixteen bytes at once: token
/// charsets are a handful of ranges (`0-9a-f`; token68 is six).
struct ByteRanges {
  static constexpr std::size_t kMax = 8;
  std::array<unsigned char, kMax> low{};
  std::array<unsigned char, kMax> span{};  ///< high minus low
  std::size_t count = 0;                   ///< 0: more than kMax ranges, use the table

  static constexpr ByteRanges of(const bool* set) {
    ByteRanges r;
    for (unsigned c = 0; c < 256;) {
      if (!set[c]) {
        ++c;
        continue;
      }
      unsigned end = c;
      while (end + 1 < 256 && set[end + 1]) ++end;
      if (r.count == kMax) return {};
      r.low[r.count] = static_cast<unsigned char>(c);
      r.span[r.count] = static_cast<unsigned char>(end - c);
      ++r.count;
      c = end + 1;
    }
    return r;
  }
};

#if defined(__SSE2__)
/// Whether all sixteen bytes at `p` lie in one of the ranges: x is in
/// [low, low + span] when the wrapped difference saturates to zero.
inline bool block_in_ranges(const char* p, const ByteRanges& ranges) {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i zero = _mm_setzero_si128();
  __m128i in = zero;
  for (std::size_t k = 0; k < ranges.count; ++k) {
    const __m128i offset = _mm_sub_epi8(block, _mm_set1_epi8(static_cast<char>(ranges.low[k])));
    in = _mm_or_si128(in, _mm_cmpeq_epi8(_mm_subs_epu8(offset, _mm_set1_epi8(static_cast<char>(ranges.span[k]))), zero));
  }
  return _mm_movemask_epi8(in) == 0xFFFF;
}
#endif

/// all_in_set, sixteen bytes at a time where the set has a ByteRanges form.
inline bool all_in(std::string_view text, const bool* set, const ByteRanges& ranges) {
#if defined(__SSE2__)
  if (ranges.count != 0 && text.size() >= 16) {
    bool all = true;
    std::size_t i = 0;
    for (; i + 16 <= text.size(); i += 16) all &= block_in_ranges(text.data() + i, ranges);
    // The last block overlaps the one before: no byte loop for the tail.
    if (i != text.size()) all &= block_in_ranges(text.data() + text.size() - 16, ranges);
    return all;
  }
#else
  (void)ranges;
#endif
  return all_in_set(text, set);
}

/// Parses a charset such as `0-9a-f` (ranges and single characters).
inline bool parse_charset(std::string_view text, std::array<bool, 256>& table) {
  if (text.empty()) return false;
  for (std::size_t i = 0; i < text.size();) {
    auto lo = static_cast<unsigned char>(text[i]);
    if (i + 2 < text.size() && text[i + 1] == '-') {
      auto hi = static_cast<unsigned char>(text[i + 2]);
      if (hi < lo) return false;
      for (unsigned c = lo; c <= hi; ++c) table[c] = true;
      i += 3;
    } else {
      table[lo] = true;
      ++i;
    }
  }
  return true;
}

}  // namespace scopegate::detail
