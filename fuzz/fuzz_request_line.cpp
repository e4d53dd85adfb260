// The JSON-lines reader of `policy-check decide` (contract section 8) on any
// line. Checks: a request or a reason, never both; the header views point into
// the request's own storage, also after a move; a request written back as JSON
// reads the same; and the request decides alike in the engine and the reference
// evaluator on the Comwit policy, as `policy-check decide` would decide it.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

#include "differential.hpp"
#include "request_line.hpp"

using namespace scopegate;

namespace {

constexpr std::size_t kMaxInput = 64 * 1024;

void check_views(const cli::OwnedRequest& req) {
  SCOPEGATE_FUZZ_CHECK(req.header_views.size() == req.headers.size(), "%zu views for %zu headers",
                       req.header_views.size(), req.headers.size());
  for (std::size_t i = 0; i < req.headers.size(); ++i) {
    SCOPEGATE_FUZZ_CHECK(req.header_views[i].name.data() == req.headers[i].first.data() &&
                             req.header_views[i].name.size() == req.headers[i].first.size() &&
                             req.header_views[i].value.data() == req.headers[i].second.data() &&
                             req.header_views[i].value.size() == req.headers[i].second.size(),
                         "header view %zu does not point into the request", i);
  }
}

std::string write_back(const cli::OwnedRequest& req) {
  nlohmann::json doc = {{"method", req.method}, {"target", req.target}, {"headers", nlohmann::json::array()}};
  for (const auto& [name, value] : req.headers) doc["headers"].push_back({name, value});
  return doc.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto line = fuzz::capped(data, size, kMaxInput);
  if (!line) return -1;
  cli::RequestLine parsed = cli::parse_request_line(*line);
  SCOPEGATE_FUZZ_CHECK(parsed.request.has_value() == parsed.error.empty(), "request '%d' with error '%s'",
                       parsed.request.has_value(), parsed.error.c_str());
  if (!parsed.request) return 0;

  const cli::OwnedRequest req = std::move(*parsed.request);
  SCOPEGATE_FUZZ_CHECK(!req.method.empty() && detail::is_http_token(req.method), "method is not a token");
  check_views(req);

  const std::string written = write_back(req);
  cli::RequestLine again = cli::parse_request_line(written);
  SCOPEGATE_FUZZ_CHECK(again.request.has_value(), "written back, the request is refused: %s (%s)",
                       again.error.c_str(), written.c_str());
  SCOPEGATE_FUZZ_CHECK(again.request->method == req.method && again.request->target == req.target &&
                           again.request->headers == req.headers,
                       "written back, the request reads otherwise: %s", written.c_str());

  const auto& f = fuzz::ComwitFixture::get();
  const std::optional<std::string> secret(fuzz::kOperatorSecret);
  fuzz::decide_both(*f.policy, f.tokens, *f.resolver, f.secret, secret, req.method, req.target, req.headers);
  return 0;
}
