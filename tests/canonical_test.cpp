// Canonical request-targets: contract section 3, one table per rule.

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "scopegate/canonical.hpp"

namespace {

using scopegate::CanonicalTarget;
using scopegate::TargetError;

/// The canonical path of `target`, or `400: <why>` when it is not canonical.
std::string canon(std::string_view target) {
  std::string buffer(scopegate::kMaxTargetPathBytes, '\0');
  CanonicalTarget r = scopegate::canonicalize_target(target, buffer.data());
  if (r.error != TargetError::kNone) return "400: " + std::string(scopegate::target_error_message(r.error));
  return buffer.substr(0, r.path_length);
}

std::string err(TargetError e) { return "400: " + std::string(scopegate::target_error_message(e)); }

struct Row {
  std::string note;
  std::string target;
  std::string want;  ///< the canonical path, or err(...)
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note, " | target: ", row.target);
    CHECK(canon(row.target) == row.want);
  }
}

// Every byte 0x00-0xFF that RFC 3986 does not allow raw.
std::vector<char> disallowed_bytes() {
  const std::string_view allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%";
  std::vector<char> out;
  for (int c = 0; c < 256; ++c)
    if (allowed.find(static_cast<char>(c)) == std::string_view::npos) out.push_back(static_cast<char>(c));
  return out;
}

}  // namespace

TEST_CASE("canonical: the characters RFC 3986 allows raw pass unchanged") {
  check_rows({
      {"unreserved: letters, digits, - . _ ~", "/AZaz09-._~", "/AZaz09-._~"},
      {"sub-delims, ':' and '@'", "/!$&'()*+,;=:@", "/!$&'()*+,;=:@"},
      {"all of them across segments", "/v1/a.b/c~d/e-f_g/h;i=j/k:l@m", "/v1/a.b/c~d/e-f_g/h;i=j/k:l@m"},
      {"matching is case-sensitive, so case is kept", "/V1/Status", "/V1/Status"},
      {"a '%' with two hex digits is allowed", "/a%3Ab", "/a%3Ab"},
      {"the root", "/", "/"},
  });
}

TEST_CASE("canonical: any other byte is 400, in the path and in the query") {
  SUBCASE("every byte outside the allowed set") {
    const std::vector<char> bad = disallowed_bytes();
    // 256 bytes minus 62 ALPHA/DIGIT, 4 unreserved marks, 11 sub-delims and ':@/?%'.
    CHECK(bad.size() == 256 - 82);
    for (char c : bad) {
      const std::string byte(1, c);
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto u = static_cast<unsigned char>(c);
      INFO("byte 0x", std::string{kHex[u >> 4], kHex[u & 15]});
      CHECK(canon("/v1/sta" + byte + "tus") == err(TargetError::kBadCharacter));
      CHECK(canon("/v1/status" + byte) == err(TargetError::kBadCharacter));
      CHECK(canon("/v1/status?a=" + byte) == err(TargetError::kBadCharacter));
    }
  }
  SUBCASE("named examples") {
    check_rows({
        {"'#' (a fragment is never sent)", "/v1/status#x", err(TargetError::kBadCharacter)},
        {"'\\'", "/v1\\status", err(TargetError::kBadCharacter)},
        {"space", "/v1/ status", err(TargetError::kBadCharacter)},
        {"'\"'", "/v1/\"status\"", err(TargetError::kBadCharacter)},
        {"'<' '>'", "/v1/<x>", err(TargetError::kBadCharacter)},
        {"'[' ']'", "/v1/[x]", err(TargetError::kBadCharacter)},
        {"'^'", "/v1/^", err(TargetError::kBadCharacter)},
        {"'`'", "/v1/`", err(TargetError::kBadCharacter)},
        {"'{' '|' '}'", "/v1/{x|y}", err(TargetError::kBadCharacter)},
        {"NUL", std::string("/v1/st\0atus", 11), err(TargetError::kBadCharacter)},
        {"TAB", "/v1/\tstatus", err(TargetError::kBadCharacter)},
        {"CR LF", "/v1/status\r\n", err(TargetError::kBadCharacter)},
        {"DEL", "/v1/status\x7F", err(TargetError::kBadCharacter)},
        {"UTF-8 of e-acute", "/v1/caf\xC3\xA9", err(TargetError::kBadCharacter)},
        {"byte 0xFF", "/v1/\xFF", err(TargetError::kBadCharacter)},
        {"'#' in the query", "/v1/status?a#b", err(TargetError::kBadCharacter)},
        {"space in the query", "/v1/status?a= b", err(TargetError::kBadCharacter)},
    });
  }
}

TEST_CASE("canonical: a '%' not followed by two hex digits is 400") {
  check_rows({
      {"'%' at the very end", "/%", err(TargetError::kBadEscape)},
      {"one hex digit, then the end", "/%4", err(TargetError::kBadEscape)},
      {"one hex digit, then a letter that is not hex", "/%4g", err(TargetError::kBadEscape)},
      {"not hex first", "/%g4", err(TargetError::kBadEscape)},
      {"'%%41'", "/%%41", err(TargetError::kBadEscape)},
      {"mid-path", "/a%zz/b", err(TargetError::kBadEscape)},
      {"IIS %u encoding", "/%u002e", err(TargetError::kBadEscape)},
      {"one hex digit before '?'", "/a%4?x", err(TargetError::kBadEscape)},
      {"in the query, at the end", "/v1/status?x=%", err(TargetError::kBadEscape)},
      {"in the query, one digit", "/v1/status?x=%4", err(TargetError::kBadEscape)},
      {"in the query, not hex", "/v1/status?x=%GG&y=1", err(TargetError::kBadEscape)},
      // Control row: a well-formed escape at the very end is fine.
      {"two hex digits at the very end", "/a%41", "/aA"},
  });
}

TEST_CASE("canonical: the path starts with '/'") {
  check_rows({
      {"empty target", "", err(TargetError::kNotAbsolute)},
      {"relative path", "v1/status", err(TargetError::kNotAbsolute)},
      {"asterisk-form", "*", err(TargetError::kNotAbsolute)},
      {"query only", "?a=1", err(TargetError::kNotAbsolute)},
      {"absolute-form", "http://api.cloud.comwit.io/v1/status", err(TargetError::kNotAbsolute)},
  });
}

TEST_CASE("canonical: escapes of unreserved characters are decoded, once") {
  check_rows({
      {"the contract's example", "/v1/%73tatus", "/v1/status"},
      {"the contract's underscore example", "/v1/projects/prj%5Falpha", "/v1/projects/prj_alpha"},
      {"letters and digits, upper-case hex", "/%41%5A%61%7A%30%39", "/AZaz09"},
      {"the four marks, upper-case hex", "/%2D%2E%5F%7E", "/-._~"},
      {"the four marks, lower-case hex", "/%2d%2e%5f%7e", "/-._~"},
      {"a dot inside a segment", "/a%2Eb", "/a.b"},
      {"three dots are not a dot segment", "/%2e%2e%2e", "/..."},
      {"a whole segment encoded", "/%76%31/%73%74%61%74%75%73", "/v1/status"},
      {"a decoded '%' is not decoded again", "/%25zz", "/%25zz"},
      {"'%25' then a non-hex pair stays as it was", "/100%25/x", "/100%25/x"},
  });
}

TEST_CASE("canonical: other escapes stay encoded, their hex in upper case") {
  check_rows({
      {"the contract's example ':'", "/a%3ab", "/a%3Ab"},
      {"already upper case", "/a%3Ab", "/a%3Ab"},
      {"space is not a control character", "/a%20b", "/a%20b"},
      {"quote and angle brackets", "/%22%3c%3E", "/%22%3C%3E"},
      {"encoded sub-delims and '@' are not unreserved", "/%40%21%24%26%27%28%29%2a%2B%2c%3b%3D", "/%40%21%24%26%27%28%29%2A%2B%2C%3B%3D"},
      {"braces and brackets", "/%7b%7D%5b%5D", "/%7B%7D%5B%5D"},
      {"caret, backtick, pipe", "/%5e%60%7c", "/%5E%60%7C"},
      {"a lone encoded percent", "/%25", "/%25"},
  });
}

TEST_CASE("canonical: encodings of '/', '\\', '?', '#', controls and bytes above 0x7E are 400") {
  check_rows({
      {"%2F", "/v1%2Fstatus", err(TargetError::kForbiddenEncoding)},
      {"%2f", "/v1%2fstatus", err(TargetError::kForbiddenEncoding)},
      {"%5C", "/v1%5Cstatus", err(TargetError::kForbiddenEncoding)},
      {"%5c", "/v1%5cstatus", err(TargetError::kForbiddenEncoding)},
      {"%3F", "/v1/status%3F", err(TargetError::kForbiddenEncoding)},
      {"%3f", "/v1/status%3f", err(TargetError::kForbiddenEncoding)},
      {"%23", "/v1/status%23", err(TargetError::kForbiddenEncoding)},
      {"%00", "/v1/status%00", err(TargetError::kForbiddenEncoding)},
      {"%01", "/v1/status%01", err(TargetError::kForbiddenEncoding)},
      {"%09 (TAB)", "/v1/status%09", err(TargetError::kForbiddenEncoding)},
      {"%0a", "/v1/status%0a", err(TargetError::kForbiddenEncoding)},
      {"%0A", "/v1/status%0A", err(TargetError::kForbiddenEncoding)},
      {"%0d", "/v1/status%0d", err(TargetError::kForbiddenEncoding)},
      {"%1f, the last control", "/v1/status%1f", err(TargetError::kForbiddenEncoding)},
      {"%7F", "/v1/status%7F", err(TargetError::kForbiddenEncoding)},
      {"%7f", "/v1/status%7f", err(TargetError::kForbiddenEncoding)},
      {"%80", "/v1/status%80", err(TargetError::kForbiddenEncoding)},
      {"%FF", "/v1/status%FF", err(TargetError::kForbiddenEncoding)},
      {"%ff", "/v1/status%ff", err(TargetError::kForbiddenEncoding)},
      {"UTF-8 e-acute, encoded", "/v1/caf%C3%A9", err(TargetError::kForbiddenEncoding)},
      {"%2F as a whole segment", "/v1/%2F/status", err(TargetError::kForbiddenEncoding)},
      // Control rows: the neighbours of the forbidden bytes are allowed.
      {"%20, just above the controls", "/v1/a%20b", "/v1/a%20b"},
      {"%7E, just below DEL, is '~'", "/v1/a%7Eb", "/v1/a~b"},
  });
}

TEST_CASE("canonical: dot segments are 400, raw, encoded or before a path parameter") {
  check_rows({
      {"'.' alone", "/.", err(TargetError::kDotSegment)},
      {"'..' alone", "/..", err(TargetError::kDotSegment)},
      {"'.' first", "/./v1/status", err(TargetError::kDotSegment)},
      {"'..' mid-path", "/v1/../v1/status", err(TargetError::kDotSegment)},
      {"'.' mid-path", "/v1/./status", err(TargetError::kDotSegment)},
      {"'..' last", "/v1/status/..", err(TargetError::kDotSegment)},
      {"'.' last", "/v1/status/.", err(TargetError::kDotSegment)},
      {"'..' then a trailing slash", "/v1/../", err(TargetError::kDotSegment)},
      {"%2e", "/v1/%2e/status", err(TargetError::kDotSegment)},
      {"%2E", "/v1/%2E/status", err(TargetError::kDotSegment)},
      {"%2E%2e", "/v1/%2E%2e/status", err(TargetError::kDotSegment)},
      {"'.%2e'", "/v1/.%2e/status", err(TargetError::kDotSegment)},
      {"'%2e.' last", "/v1/%2e.", err(TargetError::kDotSegment)},
      {"'..;'", "/v1/..;/status", err(TargetError::kDotSegment)},
      {"'..;' last", "/v1/status/..;", err(TargetError::kDotSegment)},
      {"'..;x'", "/v1/..;x/status", err(TargetError::kDotSegment)},
      {"'.;x'", "/v1/.;x/status", err(TargetError::kDotSegment)},
      {"'.;'", "/.;", err(TargetError::kDotSegment)},
      {"'..%3B'", "/v1/..%3B/status", err(TargetError::kDotSegment)},
      {"'..%3b'", "/v1/..%3b/status", err(TargetError::kDotSegment)},
      {"'.%3bx'", "/v1/.%3bx/status", err(TargetError::kDotSegment)},
      {"'%2e%2e;'", "/v1/%2e%2e;/status", err(TargetError::kDotSegment)},
      {"'%2e%2e%3b'", "/v1/%2e%2e%3b/status", err(TargetError::kDotSegment)},
      {"'..;a;b'", "/v1/..;a;b", err(TargetError::kDotSegment)},
      // Control rows: segments that only look like dot segments.
      {"three dots", "/v1/.../status", "/v1/.../status"},
      {"dot then a letter", "/v1/.a/status", "/v1/.a/status"},
      {"letter then a dot", "/v1/a./status", "/v1/a./status"},
      {"two dots then a letter", "/v1/..a", "/v1/..a"},
      {"'.a;' cuts to '.a'", "/v1/.a;", "/v1/.a;"},
      {"';..' cuts to ''", "/v1/;..", "/v1/;.."},
      {"'..%3A': only ';' starts a path parameter", "/v1/..%3a", "/v1/..%3A"},
      {"dots in the query are not judged", "/v1/status?x=/../", "/v1/status"},
  });
}

TEST_CASE("canonical: an empty segment is 400 except at the very end") {
  check_rows({
      {"'//' alone", "//", err(TargetError::kEmptySegment)},
      {"'//' first", "//v1/status", err(TargetError::kEmptySegment)},
      {"'//' mid-path", "/v1//status", err(TargetError::kEmptySegment)},
      {"'//' at the end", "/v1/status//", err(TargetError::kEmptySegment)},
      {"three slashes", "///", err(TargetError::kEmptySegment)},
      {"the root is one empty last segment", "/", "/"},
      {"a single trailing slash is kept", "/v1/projects/", "/v1/projects/"},
      {"trailing slash before the query", "/v1/status/?x=1", "/v1/status/"},
      {"slashes in the query are not judged", "/v1/status?x=//", "/v1/status"},
  });
}

TEST_CASE("canonical: an encoded percent-escape is 400, judged after decoding") {
  check_rows({
      {"%252f", "/v1%252fstatus", err(TargetError::kDoubleEncoding)},
      {"%252F", "/v1%252Fstatus", err(TargetError::kDoubleEncoding)},
      {"%252e", "/v1/%252e/status", err(TargetError::kDoubleEncoding)},
      {"%2525", "/v1/%2525", err(TargetError::kDoubleEncoding)},
      {"%2541 (an encoded unreserved)", "/v1/%2541", err(TargetError::kDoubleEncoding)},
      {"%253B", "/v1/..%253B/status", err(TargetError::kDoubleEncoding)},
      {"%25%32%66: digits decoded first", "/v1%25%32%66status", err(TargetError::kDoubleEncoding)},
      {"%25%32f: half decoded", "/v1%25%32fstatus", err(TargetError::kDoubleEncoding)},
      {"%25%34%31 becomes %2541", "/v1/%25%34%31", err(TargetError::kDoubleEncoding)},
      {"%252f at the very end", "/v1/%252f", err(TargetError::kDoubleEncoding)},
      // Control rows.
      {"%25 alone", "/v1/%25", "/v1/%25"},
      {"%25 then one hex digit", "/v1/%25a", "/v1/%25a"},
      {"%25 then hex and non-hex", "/v1/%25ag", "/v1/%25ag"},
      {"%252f in the query is not judged", "/v1/status?x=%252f", "/v1/status"},
  });
}

TEST_CASE("canonical: the path is at most 4096 bytes as received") {
  const std::string a4095(4095, 'a');
  const std::string a4096(4096, 'a');
  std::string escaped;  // 1365 escapes: 4095 bytes received, 1365 decoded
  for (int i = 0; i < 1365; ++i) escaped += "%61";
  check_rows({
      {"4096 bytes", "/" + a4095, "/" + a4095},
      {"4097 bytes", "/" + a4096, err(TargetError::kTooLong)},
      {"4096 bytes then a long query: the query does not count", "/" + a4095 + "?" + std::string(8000, 'q'),
       "/" + a4095},
      {"4096 bytes received, 1366 decoded", "/" + escaped, "/" + std::string(1365, 'a')},
      {"4097 bytes received, 1367 decoded: judged before decoding", "/" + escaped + "a", err(TargetError::kTooLong)},
  });
}

TEST_CASE("canonical: the query starts after the first '?'") {
  struct QueryRow {
    std::string note;
    std::string target;
    std::string path;
    bool has_query;
    std::string query;
  };
  const std::vector<QueryRow> rows = {
      {"no query", "/v1/status", "/v1/status", false, ""},
      {"an empty query", "/v1/status?", "/v1/status", true, ""},
      {"a second '?' belongs to the query", "/v1/status?a=1?b=2", "/v1/status", true, "a=1?b=2"},
      {"the query is not decoded", "/v1/status?x=%2e%2E&_method", "/v1/status", true, "x=%2e%2E&_method"},
      {"path rules do not apply to the query", "/v1/status?//../%2F%252f", "/v1/status", true, "//../%2F%252f"},
      {"the path is decoded, the query kept", "/v1/%73tatus?%73=1", "/v1/status", true, "%73=1"},
  };
  for (const auto& row : rows) {
    INFO(row.note, " | target: ", row.target);
    std::string buffer(scopegate::kMaxTargetPathBytes, '\0');
    CanonicalTarget r = scopegate::canonicalize_target(row.target, buffer.data());
    REQUIRE(r.error == TargetError::kNone);
    CHECK(buffer.substr(0, r.path_length) == row.path);
    CHECK(r.has_query == row.has_query);
    CHECK(r.query == row.query);
  }
  SUBCASE("an encoded '?' does not start a query") {
    CHECK(canon("/v1/status%3Fa=1") == err(TargetError::kForbiddenEncoding));
  }
}

TEST_CASE("canonical: canonical_path is the canonical path or nothing") {
  CHECK(scopegate::canonical_path("/v1/%73tatus?x=1") == std::optional<std::string>("/v1/status"));
  CHECK_FALSE(scopegate::canonical_path("/v1/%2e%2e/status").has_value());
  CHECK_FALSE(scopegate::canonical_path("/v1/%252f").has_value());
}

TEST_CASE("canonical: canonicalizing a canonical path changes nothing") {
  const std::vector<std::string> inputs = {
      "/",
      "/v1/status",
      "/v1/%73tatus",
      "/v1/projects/prj%5Falpha/apps",
      "/a%3ab%3Bc",
      "/%2d%2e%5f%7e",
      "/%22%3c%3E%7b%7D",
      "/%40%21%24%26%27%28%29%2a%2B%2c%3b%3D",
      "/v1/projects/",
      "/%25zz",
      "/%25",
      "/%2e%2e%2e/..a/.a;/;..",
      "/v1/..%3a",
      "/!$&'()*+,;=:@",
      "/V1/Status/",
      "/a%20b%7e",
  };
  for (const auto& input : inputs) {
    INFO("input: ", input);
    const std::string once = canon(input);
    REQUIRE(once.rfind("400", 0) != 0);
    CHECK(canon(once) == once);
    // Once canonical, the only escapes left are upper-case and not of unreserved characters.
    for (std::size_t i = 0; i < once.size(); ++i) {
      if (once[i] != '%') continue;
      CHECK_FALSE((once[i + 1] >= 'a' && once[i + 1] <= 'f'));
      CHECK_FALSE((once[i + 2] >= 'a' && once[i + 2] <= 'f'));
    }
  }
}
