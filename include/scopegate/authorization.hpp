#pragma once
/// The Authorization field value (contract section 2; RFC 6750, RFC 9110).

#include <string_view>

#include "scopegate/detail/ascii.hpp"
#include "scopegate/detail/charset.hpp"

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
inline constexpr ByteRanges kToken68Ranges = ByteRanges::of(kToken68.body);

}  // namespace detail

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
inline bool is_token68(std::string_view s) {
  std::size_t body = s.size();
  while (body > 0 && s[body - 1] == '=') --body;
  return body > 0 && detail::all_in(s.substr(0, body), detail::kToken68.body, detail::kToken68Ranges);
}

namespace detail {

/// parse_authorization without the token68 test of a Bearer token: `kBearer`
/// here means only that the scheme is `Bearer` and a token follows. decide()
/// tests token68 only for a token that no class claims, since a token that
/// matches a class is token68 already.
inline Authorization split_authorization(std::string_view value) {
  // Most values are `Bearer <token>` with nothing to trim and one space: the
  // token is the rest, found without trimming or searching.
  if (value.size() > 7 && value[6] == ' ' && value[7] != ' ' && value.back() != ' ' && value.back() != '\t' &&
      iequals_letters(value.substr(0, 6), "bearer"))
    return {AuthorizationForm::kBearer, value.substr(7)};
  const std::string_view trimmed = trim_ows(value);
  // Neither CR nor LF is trimmed, nor part of a token68: a value whose scheme
  // is `Bearer` and whose token is token68 holds neither, and needs no scan
  // for them. `Bearer ` leads most values: one look at byte 6, no search.
  if (trimmed.size() > 6 && trimmed[6] == ' ' && iequals_letters(trimmed.substr(0, 6), "bearer"))
    return {AuthorizationForm::kBearer, trimmed.substr(trimmed.find_first_not_of(' ', 6))};
  const std::size_t space = trimmed.find(' ');
  if (space != std::string_view::npos && iequals(trimmed.substr(0, space), "Bearer"))
    return {AuthorizationForm::kBearer, trimmed.substr(trimmed.find_first_not_of(' ', space))};
  // Two scans: find_first_of would call memchr once per byte of the value.
  if (value.find('\r') != std::string_view::npos || value.find('\n') != std::string_view::npos)
    return {AuthorizationForm::kInvalid, {}};
  if (trimmed.empty()) return {AuthorizationForm::kAbsent, {}};
  if (!iequals(trimmed, "Bearer")) return {AuthorizationForm::kOtherScheme, {}};
  return {AuthorizationForm::kInvalid, {}};
}

}  // namespace detail

/// Parses one Authorization value:
///  1. a CR or LF anywhere is invalid;
///  2. surrounding spaces and tabs are trimmed; nothing left is absent;
///  3. the scheme is the text up to the first space, `Bearer` in any case;
///     a scheme glued to the token or followed by a tab is another scheme;
///  4. after one or more spaces, the whole rest is the token, which must be
///     token68; `Bearer` alone has no token and is invalid.
inline Authorization parse_authorization(std::string_view value) {
  const Authorization a = detail::split_authorization(value);
  if (a.form == AuthorizationForm::kBearer && !is_token68(a.token)) return {AuthorizationForm::kInvalid, {}};
  return a;
}

}  // namespace scopegate
