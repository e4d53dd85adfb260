#pragma once
// ASCII helpers: header names compare case-insensitively and never by locale.

#include <string_view>

namespace scopegate::detail {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
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
