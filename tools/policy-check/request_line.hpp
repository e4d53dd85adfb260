#pragma once
// The JSON-lines request reader of `policy-check decide` (contract section 8).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/decision.hpp"

namespace scopegate::cli {

/// Longest request line accepted; a longer one is not a request.
inline constexpr std::size_t kMaxRequestLineBytes = 1u << 20;
/// Deepest JSON nesting accepted: a request needs three levels.
inline constexpr std::size_t kMaxRequestLineDepth = 8;

/// A request that owns its text, and the views the engine takes. Move-only:
/// the header views point into `headers`, whose buffer a move keeps.
struct OwnedRequest {
  OwnedRequest() = default;
  OwnedRequest(OwnedRequest&&) = default;
  OwnedRequest& operator=(OwnedRequest&&) = default;
  OwnedRequest(const OwnedRequest&) = delete;
  OwnedRequest& operator=(const OwnedRequest&) = delete;

  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Header> header_views;

  Request view() const { return Request{method, target, header_views}; }
};

struct RequestLine {
  std::optional<OwnedRequest> request;
  std::string error;  ///< why the line is not a request, when it is not
};

/// Parses one line: a JSON object with string `method` (an RFC 9110 token)
/// and `target`, and optional `headers` as an array of two-string arrays;
/// other fields are ignored. Never throws.
RequestLine parse_request_line(std::string_view line);

}  // namespace scopegate::cli
