#pragma once
/// The Authorization field value (contract section 2; RFC 6750, RFC 9110).

#include <string_view>

#include "scopegate/detail/ascii.hpp"

namespace scopegate {

enum class AuthorizationForm : unsigned char {
  kAbsent,       ///< empty or blank: as if no header (step 4)
  kOtherScheme,  ///< not `Bearer` (step 4)
  kBearer,       ///< a Bearer token in token68 form
  kInvalid,      ///< CR or LF, `Bearer` with no token, or a token outside token68 (step 3)
};

struct Authorization {
  AuthorizationForm form = AuthorizationForm::kAbsent;
  std::string_view token;  ///< the Bearer token, a view into the value
};

namespace detail {

/// The bytes of token68's body, as a table: tested range by range, a random
/// token (hex digits and letters in turn) mispredicts a branch on most bytes.
struct Token68Table {
  bool body[256] = {};
  constexpr Token68Table() {
    for (unsigned c = 0; c < 256; ++c)
      body[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  }
};
inline constexpr Token68Table kToken68{};

}  // namespace detail

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
constexpr bool is_token68(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && detail::kToken68.body[static_cast<unsigned char>(s[i])]) ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

/// Parses one Authorization value:
///  1. a CR or LF anywhere is invalid;
///  2. surrounding spaces and tabs are trimmed; nothing left is absent;
///  3. the scheme is the text up to the first space, `Bearer` in any case;
///     a scheme glued to the token or followed by a tab is another scheme;
///  4. after one or more spaces, the whole rest is the token, which must be
///     token68; `Bearer` alone has no token and is invalid.
constexpr Authorization parse_authorization(std::string_view value) {
  // Two scans: find_first_of would call memchr once per byte of the value.
  if (value.find('\r') != std::string_view::npos || value.find('\n') != std::string_view::npos)
    return {AuthorizationForm::kInvalid, {}};
  value = detail::trim_ows(value);
  if (value.empty()) return {AuthorizationForm::kAbsent, {}};
  std::size_t space = value.find(' ');
  std::string_view scheme = value.substr(0, space);
  if (!detail::iequals(scheme, "Bearer")) return {AuthorizationForm::kOtherScheme, {}};
  if (space == std::string_view::npos) return {AuthorizationForm::kInvalid, {}};
  std::string_view token = value.substr(value.find_first_not_of(' ', space));
  if (!is_token68(token)) return {AuthorizationForm::kInvalid, {}};
  return {AuthorizationForm::kBearer, token};
}

}  // namespace scopegate
