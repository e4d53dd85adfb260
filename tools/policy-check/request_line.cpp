#include "request_line.hpp"

#include <nlohmann/json.hpp>

namespace scopegate::cli {
namespace {

// nlohmann's parser is iterative, but the depth is still bounded up front so
// that a hostile line cannot build a huge tree before it is refused.
bool nesting_within(std::string_view line, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

bool is_method_token(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

RequestLine fail(std::string why) {
  RequestLine r;
  r.error = std::move(why);
  return r;
}

}  // namespace

RequestLine parse_request_line(std::string_view line) {
  if (line.size() > kMaxRequestLineBytes) return fail("line is over " + std::to_string(kMaxRequestLineBytes) + " bytes");
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return fail("blank line");
  if (!nesting_within(line, kMaxRequestLineDepth)) return fail("JSON nested too deeply");
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("not valid JSON (or not valid UTF-8)");
  if (!doc.is_object()) return fail("not a JSON object");
  auto method = doc.find("method");
  if (method == doc.end() || !method->is_string()) return fail("'method' must be a string");
  auto target = doc.find("target");
  if (target == doc.end() || !target->is_string()) return fail("'target' must be a string");
  OwnedRequest req;
  req.method = method->get<std::string>();
  if (!is_method_token(req.method)) return fail("'method' is not an HTTP token");
  req.target = target->get<std::string>();
  if (auto headers = doc.find("headers"); headers != doc.end()) {
    if (!headers->is_array()) return fail("'headers' must be an array of [name, value] pairs");
    for (const auto& pair : *headers) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
        return fail("'headers' must be an array of [name, value] pairs");
      req.headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  for (const auto& [name, value] : req.headers) req.header_views.push_back(Header{name, value});
  RequestLine r;
  r.request = std::move(req);
  return r;
}

}  // namespace scopegate::cli
