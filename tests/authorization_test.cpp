// The Authorization field value: contract section 2 (RFC 6750, RFC 9110).
// How each form is decided (400, 401) is engine_test's; here, how it parses.

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "scopegate/authorization.hpp"

namespace {

using scopegate::AuthorizationForm;

std::string form_name(AuthorizationForm f) {
  switch (f) {
    case AuthorizationForm::kAbsent: return "absent";
    case AuthorizationForm::kOtherScheme: return "other scheme";
    case AuthorizationForm::kBearer: return "bearer";
    case AuthorizationForm::kInvalid: return "invalid";
  }
  return "?";
}

/// `bearer <token>`, or the form's name.
std::string parse(std::string_view value) {
  scopegate::Authorization a = scopegate::parse_authorization(value);
  if (a.form == AuthorizationForm::kBearer) return "bearer " + std::string(a.token);
  CHECK(a.token.empty());
  return form_name(a.form);
}

struct Row {
  std::string note;
  std::string value;
  std::string want;  ///< `bearer <token>`, `absent`, `other scheme` or `invalid`
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note, " | value: [", row.value, "]");
    CHECK(parse(row.value) == row.want);
  }
}

}  // namespace

TEST_CASE("authorization: the value is trimmed of spaces and tabs; nothing left is no header") {
  check_rows({
      {"plain", "Bearer cwt_0123abcd", "bearer cwt_0123abcd"},
      {"leading spaces", "   Bearer cwt_0123abcd", "bearer cwt_0123abcd"},
      {"trailing spaces", "Bearer cwt_0123abcd   ", "bearer cwt_0123abcd"},
      {"leading and trailing tabs", "\tBearer cwt_0123abcd\t", "bearer cwt_0123abcd"},
      {"mixed OWS around", " \t Bearer cwt_0123abcd \t ", "bearer cwt_0123abcd"},
      {"empty", "", "absent"},
      {"spaces only", "    ", "absent"},
      {"tabs only", "\t\t", "absent"},
      {"spaces and tabs", " \t ", "absent"},
      // Other whitespace is not OWS.
      {"a vertical tab is not OWS", "\v", "other scheme"},
      {"a form feed before the scheme is not trimmed", "\fBearer x", "other scheme"},
  });
}

TEST_CASE("authorization: a CR or LF anywhere is invalid") {
  check_rows({
      {"CR at the end", "Bearer cwt_0123abcd\r", "invalid"},
      {"LF at the end", "Bearer cwt_0123abcd\n", "invalid"},
      {"CRLF at the end", "Bearer cwt_0123abcd\r\n", "invalid"},
      {"LF inside the token", "Bearer cwt_01\n23", "invalid"},
      {"CR before the scheme", "\rBearer cwt_0123abcd", "invalid"},
      {"CR alone: not blank", "\r", "invalid"},
      {"LF in another scheme", "Basic dXNlcg==\n", "invalid"},
      {"header injection", "Bearer x\r\nX-Original-URL: /v1/status", "invalid"},
  });
}

TEST_CASE("authorization: the scheme is the text up to the first space, Bearer in any case") {
  check_rows({
      {"Bearer", "Bearer abc", "bearer abc"},
      {"bearer", "bearer abc", "bearer abc"},
      {"BEARER", "BEARER abc", "bearer abc"},
      {"bEaReR", "bEaReR abc", "bearer abc"},
      {"Basic", "Basic dXNlcjpwYXNz", "other scheme"},
      {"Token", "Token abc", "other scheme"},
      {"Digest with parameters", "Digest username=\"a\", realm=\"b\"", "other scheme"},
      {"a scheme alone", "Basic", "other scheme"},
      {"glued to the token", "Bearercwt_0123abcd", "other scheme"},
      {"glued with a colon", "Bearer:cwt_0123abcd", "other scheme"},
      {"glued with '='", "Bearer=cwt_0123abcd", "other scheme"},
      {"followed by a tab", "Bearer\tcwt_0123abcd", "other scheme"},
      {"followed by a tab then a space", "Bearer\t cwt_0123abcd", "other scheme"},
      {"a longer word", "Bearers abc", "other scheme"},
      {"a shorter word", "Beare abc", "other scheme"},
      {"the token first", "cwt_0123abcd", "other scheme"},
      {"a non-ASCII space after the scheme", "Bearer\xC2\xA0x", "other scheme"},
  });
}

TEST_CASE("authorization: after one or more spaces, the whole rest is the token") {
  check_rows({
      {"one space", "Bearer abc", "bearer abc"},
      {"two spaces", "Bearer  abc", "bearer abc"},
      {"many spaces", "Bearer        abc", "bearer abc"},
      {"Bearer alone has no token", "Bearer", "invalid"},
      {"Bearer then spaces has no token", "Bearer    ", "invalid"},
      {"bearer alone, lower case", "bearer", "invalid"},
      {"Bearer then a tab has no token", "Bearer \t", "invalid"},
      {"a tab after the spaces starts the token", "Bearer \tabc", "invalid"},
      {"a tab between spaces", "Bearer  \t abc", "invalid"},
  });
}

TEST_CASE("authorization: the token must be token68") {
  check_rows({
      {"every body character", "Bearer AZaz09-._~+/", "bearer AZaz09-._~+/"},
      {"one trailing '='", "Bearer abc=", "bearer abc="},
      {"two trailing '='", "Bearer abc==", "bearer abc=="},
      {"one character", "Bearer a", "bearer a"},
      {"'/' first", "Bearer /a", "bearer /a"},
      {"an inner '='", "Bearer a=b", "invalid"},
      {"'=' then body", "Bearer abc==d", "invalid"},
      {"'=' only", "Bearer =", "invalid"},
      {"'==' only", "Bearer ==", "invalid"},
      {"an inner space", "Bearer abc def", "invalid"},
      {"an inner tab", "Bearer abc\tdef", "invalid"},
      {"a comma", "Bearer abc,def", "invalid"},
      {"a trailing comma", "Bearer abc,", "invalid"},
      {"a second credential", "Bearer abc, Bearer def", "invalid"},
      {"a semicolon", "Bearer abc;def", "invalid"},
      {"a colon", "Bearer abc:def", "invalid"},
      {"a quoted token", "Bearer \"abc\"", "invalid"},
      {"an auth-param", "Bearer realm=\"x\"", "invalid"},
      {"a '%'", "Bearer abc%20", "invalid"},
      {"a NUL", std::string("Bearer abc\0def", 14), "invalid"},
      {"a non-ASCII byte", "Bearer caf\xC3\xA9", "invalid"},
      {"'!' is not token68", "Bearer abc!", "invalid"},
  });
}

TEST_CASE("authorization: is_token68") {
  struct Case {
    std::string note;
    std::string_view text;
    bool want;
  };
  const Case cases[] = {
      {"letters", "abc", true},
      {"every body character", "AZaz09-._~+/", true},
      {"trailing padding", "ab==", true},
      {"empty", "", false},
      {"padding only", "==", false},
      {"padding inside", "a=b", false},
      {"space", "a b", false},
      {"comma", "a,b", false},
      {"backslash", "a\\b", false},
  };
  for (const auto& c : cases) {
    INFO(c.note);
    CHECK(scopegate::is_token68(c.text) == c.want);
  }
}

TEST_CASE("authorization: the token is a view into the value") {
  const std::string value = "  Bearer   cwt_0123abcd  ";
  scopegate::Authorization a = scopegate::parse_authorization(value);
  REQUIRE(a.form == AuthorizationForm::kBearer);
  CHECK(a.token == "cwt_0123abcd");
  CHECK(a.token.data() == value.data() + 11);
}

TEST_CASE("authorization: one byte outside token68 anywhere in a long token makes it invalid") {
  // Tokens of sixteen bytes and more are tested a block at a time, the last
  // block overlapping the one before: every position of every length counts.
  for (std::size_t length = 1; length <= 70; ++length) {
    const std::string good(length, 'a');
    CHECK(scopegate::is_token68(good));
    for (std::size_t at = 0; at < length; ++at)
      for (const char bad : {'\0', ' ', '!', '*', ',', ':', '@', '[', '`', '{', '\x7F', '\x80', '\xFF'}) {
        std::string token = good;
        token[at] = bad;
        INFO("length " << length << ", byte " << static_cast<int>(static_cast<unsigned char>(bad)) << " at " << at);
        CHECK_FALSE(scopegate::is_token68(token));
      }
  }
}

TEST_CASE("authorization: every token68 byte is accepted at every place of a long token") {
  const std::string body = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/";
  for (std::size_t shift = 0; shift < body.size(); ++shift) {
    const std::string token = body.substr(shift) + body.substr(0, shift) + "==";
    CHECK(scopegate::is_token68(token));
  }
}

TEST_CASE("authorization: case-insensitive names compare a word at a time at every length") {
  // iequals_letters serves `Bearer` (6 bytes) and `Authorization` (13): two
  // overlapping words below eight bytes, one word per eight bytes above.
  const std::string letters = "authorizationbearerxyz";
  for (std::size_t n = 1; n <= letters.size(); ++n) {
    const std::string lower = letters.substr(0, n);
    INFO("length " << n);
    CHECK(scopegate::detail::iequals_letters(lower, lower));
    CHECK_FALSE(scopegate::detail::iequals_letters(lower + "a", lower));
    for (std::size_t at = 0; at < n; ++at) {
      std::string name = lower;
      name[at] = static_cast<char>(name[at] - 32);  // upper case
      CHECK(scopegate::detail::iequals_letters(name, lower));
      for (const char other : {'[', '@', '{', static_cast<char>(lower[at] == 'z' ? 'a' : lower[at] + 1)}) {
        name[at] = other;
        CHECK_FALSE(scopegate::detail::iequals_letters(name, lower));
      }
    }
  }
}

TEST_CASE("authorization: every value built of schemes, spaces, tabs and tokens parses as the four rules say") {
  // The rules of parse_authorization's comment, written out plainly: the
  // parser takes a short cut for `Bearer <token>` with nothing to trim, and
  // must agree with them on the values around that cut as well.
  const auto by_rules = [](std::string_view value) -> std::string {
    if (value.find_first_of("\r\n") != std::string_view::npos) return "invalid";
    const std::string_view trimmed = scopegate::detail::trim_ows(value);
    if (trimmed.empty()) return "absent";
    const std::size_t space = trimmed.find(' ');
    if (!scopegate::detail::iequals(trimmed.substr(0, space), "Bearer")) return "other scheme";
    if (space == std::string_view::npos) return "invalid";
    const std::string_view token = trimmed.substr(trimmed.find_first_not_of(' ', space));
    return scopegate::is_token68(token) ? "bearer " + std::string(token) : "invalid";
  };
  int values = 0;
  for (const char* lead : {"", " ", "\t"})
    for (const char* scheme : {"Bearer", "bEaReR", "Bearer1", "Bearex", "Basic", "Bear"})
      for (const char* gap : {"", " ", "  ", "\t", " \t"})
        for (const char* token : {"abc", "a=", "\tabc", "a b", "-._~+/", "x\r", "", "="})
          for (const char* tail : {"", " ", "\t", " \t "}) {
            const std::string value = std::string(lead) + scheme + gap + token + tail;
            INFO("value: [", value, "]");
            CHECK(parse(value) == by_rules(value));
            ++values;
          }
  CHECK(values == 3 * 6 * 5 * 8 * 4);
}
