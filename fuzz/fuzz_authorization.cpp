// The Authorization field value (contract section 2) on any bytes: the parser's
// own promises, then the whole decision on the Comwit policy with that value,
// engine against reference, bare and beside an `access_token` parameter.

#include <cstddef>
#include <cstdint>

#include "differential.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 1024;

void check_parse(std::string_view value) {
  const Authorization a = parse_authorization(value);
  const std::string_view trimmed = detail::trim_ows(value);
  const bool has_line_break = value.find_first_of("\r\n") != std::string_view::npos;
  switch (a.form) {
    case AuthorizationForm::kAbsent:
      SCOPEGATE_FUZZ_CHECK(trimmed.empty() && !has_line_break, "absent, yet the value holds text or a line break");
      break;
    case AuthorizationForm::kOtherScheme:
      SCOPEGATE_FUZZ_CHECK(!has_line_break && !trimmed.empty(), "another scheme, yet blank or with a line break");
      SCOPEGATE_FUZZ_CHECK(!detail::iequals(trimmed.substr(0, trimmed.find(' ')), "Bearer"),
                           "another scheme, yet the scheme is Bearer");
      break;
    case AuthorizationForm::kBearer:
      SCOPEGATE_FUZZ_CHECK(!has_line_break, "a Bearer token in a value with a line break");
      SCOPEGATE_FUZZ_CHECK(is_token68(a.token), "the Bearer token is not token68");
      // The token is a view of the value's tail, so it never outlives the request.
      SCOPEGATE_FUZZ_CHECK(trimmed.ends_with(a.token) && a.token.data() + a.token.size() == trimmed.data() + trimmed.size(),
                           "the token is not the tail of the value");
      SCOPEGATE_FUZZ_CHECK(detail::iequals(trimmed.substr(0, 6), "Bearer") && trimmed.size() > 7 && trimmed[6] == ' ',
                           "a token without `Bearer ` in front");
      break;
    case AuthorizationForm::kInvalid:
      SCOPEGATE_FUZZ_CHECK(a.token.empty(), "an invalid value carries a token");
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto value = fuzz::capped(data, size, kMaxInput);
  if (!value) return -1;
  check_parse(*value);
  const auto& f = fuzz::ComwitFixture::get();
  const std::optional<std::string> secret(fuzz::kOperatorSecret);
  const fuzz::HeaderPairs headers = {{"Authorization", std::string(*value)}};
  // A project route with every step after 2 reachable.
  fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, "GET", "/v1/projects/prj_alpha/apps", headers);
  fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, "POST",
                    "/v1/projects/prj_alpha/apps?access_token=x", headers);
  return 0;
}
