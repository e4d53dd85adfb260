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
/// charsets are a handful of ranges (`0-9a-f`; token68 is seven). Each bound
/// is stored sixteen times over, so that a test loads it as a vector as is.
struct ByteRanges {
  static constexpr std::size_t kMax = 8;
  using Lanes = std::array<unsigned char, 16>;
  alignas(16) std::array<Lanes, kMax> low{};
  alignas(16) std::array<Lanes, kMax> span{};  ///< high minus low
  std::size_t count = 0;                       ///< 0: more than kMax ranges, use the table

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
      r.low[r.count].fill(static_cast<unsigned char>(c));
      r.span[r.count].fill(static_cast<unsigned char>(end - c));
      ++r.count;
      c = end + 1;
    }
    return r;
  }
};

#if defined(__SSE2__)
/// Whether every byte of `text` (sixteen or more) lies in one of the first
/// `K` ranges, sixteen bytes at a time: x is in [low, low + span] when the
/// wrapped difference saturates to zero. With `K` fixed, the bounds stay in
/// registers across the blocks.
template <std::size_t K>
bool blocks_in_ranges(std::string_view text, const ByteRanges& ranges) {
  __m128i low[K];
  __m128i span[K];
  for (std::size_t k = 0; k < K; ++k) {
    low[k] = _mm_load_si128(reinterpret_cast<const __m128i*>(ranges.low[k].data()));
    span[k] = _mm_load_si128(reinterpret_cast<const __m128i*>(ranges.span[k].data()));
  }
  const auto in_ranges = [&](const char* p) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i zero = _mm_setzero_si128();
    __m128i in = zero;
    for (std::size_t k = 0; k < K; ++k)
      in = _mm_or_si128(in, _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(block, low[k]), span[k]), zero));
    return static_cast<unsigned>(_mm_movemask_epi8(in));
  };
  unsigned all = 0xFFFF;
  std::size_t i = 0;
  for (; i + 16 <= text.size(); i += 16) all &= in_ranges(text.data() + i);
  // The last block overlaps the one before: no byte loop for the tail.
  if (i != text.size()) all &= in_ranges(text.data() + text.size() - 16);
  return all == 0xFFFF;
}
#endif

/// all_in_set, sixteen bytes at a time where the set has a ByteRanges form.
inline bool all_in(std::string_view text, const bool* set, const ByteRanges& ranges) {
#if defined(__SSE2__)
  static_assert(ByteRanges::kMax == 8);
  if (text.size() >= 16) {
    switch (ranges.count) {
      case 1: return blocks_in_ranges<1>(text, ranges);
      case 2: return blocks_in_ranges<2>(text, ranges);
      case 3: return blocks_in_ranges<3>(text, ranges);
      case 4: return blocks_in_ranges<4>(text, ranges);
      case 5: return blocks_in_ranges<5>(text, ranges);
      case 6: return blocks_in_ranges<6>(text, ranges);
      case 7: return blocks_in_ranges<7>(text, ranges);
      case 8: return blocks_in_ranges<8>(text, ranges);
      default: break;
    }
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
