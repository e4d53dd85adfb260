// The request-target canonicalizer (contract section 3) on any bytes. Checks
// the laws that make a canonical path safe to match on: it is idempotent, never
// longer than the input, and holds no dot segment, no empty segment but the
// last, no encoded slash or backslash, no lower-case or encoded escape, and
// only bytes RFC 3986 allows raw.

#include <array>
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 2 * kMaxTargetPathBytes + 64;

bool is_dot_head(std::string_view segment) {
  std::string_view head = segment.substr(0, std::min(segment.find(';'), segment.find("%3B")));
  return head == "." || head == "..";
}

void check_canonical(std::string_view input, std::string_view canon) {
  const std::string_view path = input.substr(0, input.find('?'));
  SCOPEGATE_FUZZ_CHECK(!canon.empty() && canon.front() == '/', "canonical path '%.*s' does not start with '/'",
                       static_cast<int>(canon.size()), canon.data());
  SCOPEGATE_FUZZ_CHECK(canon.size() <= path.size(), "canonical path is longer (%zu) than its input (%zu)",
                       canon.size(), path.size());
  for (std::size_t i = 0; i < canon.size(); ++i) {
    auto c = static_cast<unsigned char>(canon[i]);
    SCOPEGATE_FUZZ_CHECK(c != '?' && detail::kRawChars.allowed[c], "byte 0x%02x at %zu of a canonical path", c, i);
    if (c != '%') continue;
    SCOPEGATE_FUZZ_CHECK(i + 2 < canon.size(), "truncated escape at %zu", i);
    const char h1 = canon[i + 1];
    const char h2 = canon[i + 2];
    SCOPEGATE_FUZZ_CHECK(detail::is_hex(static_cast<unsigned char>(h1)) && detail::is_hex(static_cast<unsigned char>(h2)),
                         "bad escape at %zu", i);
    SCOPEGATE_FUZZ_CHECK(!(h1 >= 'a' && h1 <= 'f') && !(h2 >= 'a' && h2 <= 'f'), "lower-case escape at %zu", i);
    auto v = static_cast<unsigned char>(detail::hex_value(static_cast<unsigned char>(h1)) * 16 +
                                        detail::hex_value(static_cast<unsigned char>(h2)));
    SCOPEGATE_FUZZ_CHECK(!detail::is_unreserved(v), "escape of unreserved 0x%02x left at %zu", v, i);
    SCOPEGATE_FUZZ_CHECK(v != '/' && v != '\\' && v != '?' && v != '#' && v >= 0x20 && v <= 0x7E,
                         "forbidden escape of 0x%02x at %zu", v, i);
    SCOPEGATE_FUZZ_CHECK(!(v == '%' && i + 4 < canon.size() && detail::is_hex(static_cast<unsigned char>(canon[i + 3])) &&
                           detail::is_hex(static_cast<unsigned char>(canon[i + 4]))),
                         "encoded escape at %zu", i);
  }
  for (std::size_t start = 1;;) {
    const std::size_t slash = canon.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::string_view segment = canon.substr(start, last ? std::string_view::npos : slash - start);
    SCOPEGATE_FUZZ_CHECK(last || !segment.empty(), "empty segment at %zu", start);
    SCOPEGATE_FUZZ_CHECK(!is_dot_head(segment), "dot segment '%.*s' at %zu", static_cast<int>(segment.size()),
                         segment.data(), start);
    if (last) break;
    start = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = scopegate::fuzz::capped(data, size, kMaxInput);
  if (!input) return -1;
  std::array<char, kMaxTargetPathBytes> out;
  const CanonicalTarget r = canonicalize_target(*input, out.data());
  if (r.error != TargetError::kNone) {
    SCOPEGATE_FUZZ_CHECK(!canonical_path(*input), "canonical_path accepts what canonicalize_target refuses");
    return 0;
  }
  const std::string_view canon(out.data(), r.path_length);
  check_canonical(*input, canon);
  SCOPEGATE_FUZZ_CHECK(r.has_query == (input->find('?') != std::string_view::npos), "query presence is wrong");
  if (r.has_query)
    SCOPEGATE_FUZZ_CHECK(r.query == input->substr(input->find('?') + 1), "query is not the text after the first '?'");

  // Idempotent: the canonical path is its own canonical form.
  std::array<char, kMaxTargetPathBytes> again;
  const CanonicalTarget r2 = canonicalize_target(canon, again.data());
  SCOPEGATE_FUZZ_CHECK(r2.error == TargetError::kNone, "canonical path '%.*s' is refused on a second pass: %s",
                       static_cast<int>(canon.size()), canon.data(), std::string(target_error_message(r2.error)).c_str());
  SCOPEGATE_FUZZ_CHECK(std::string_view(again.data(), r2.path_length) == canon,
                       "second pass changes '%.*s' into '%.*s'", static_cast<int>(canon.size()), canon.data(),
                       static_cast<int>(r2.path_length), again.data());
  return 0;
}
