#pragma once
// Character sets of token classes, written as ranges and single characters.

#include <array>
#include <string_view>

namespace scopegate::detail {

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
