#pragma once
// ASCII helpers: header names compare case-insensitively and never by locale.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace scopegate::detail {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// ASCII case-insensitive equality with a name of lower-case letters only,
/// a word at a time: for a letter, `c | 0x20` equals it exactly when `c` is
/// that letter in either case. Names of 4 to 7 bytes take two overlapping
/// 4-byte words, longer ones an 8-byte word per eight bytes, the last
/// overlapping the one before.
inline bool iequals_letters(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  const std::size_t n = name.size();
  if (n < 4) return iequals(name, lower);
  const auto folded_equal = [&](std::size_t at, auto word) {
    decltype(word) a;
    decltype(word) b;
    std::memcpy(&a, name.data() + at, sizeof a);
    std::memcpy(&b, lower.data() + at, sizeof b);
    return static_cast<decltype(word)>(a | static_cast<decltype(word)>(0x2020202020202020ull)) == b;
  };
  if (n < 8) return folded_equal(0, std::uint32_t{}) && folded_equal(n - 4, std::uint32_t{});
  for (std::size_t i = 0; i + 8 < n; i += 8)
    if (!folded_equal(i, std::uint64_t{})) return false;
  return folded_equal(n - 8, std::uint64_t{});
}

/// Case-insensitive, with `_` and `-` counted as one character: CGI-style
/// servers merge them, so `X_Original_URL` reaches the framework as
/// `X-Original-URL`.
constexpr bool iequals_dash(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == '_' ? '-' : ascii_lower(a[i]);
    char y = b[i] == '_' ? '-' : ascii_lower(b[i]);
    if (x != y) return false;
  }
  return true;
}

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace scopegate::detail
