#include "case_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace scopegate::conformance {
namespace {

// A problem with the file's content: caught in parse_case_file, never thrown
// out of it.
struct InputError {
  int line;
  std::string message;
};

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }  // yaml-cpp marks are 0-based

[[noreturn]] void fail(const YAML::Node& node, std::string message) { throw InputError{line_of(node), std::move(message)}; }

void check_keys(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> known) {
  if (!map.IsMap()) fail(map, std::string(what) + " must be a mapping");
  for (const auto& entry : map) {
    auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      fail(entry.first, "unknown key \"" + key + "\" in " + std::string(what));
  }
}

YAML::Node required(const YAML::Node& map, const char* key, std::string_view what) {
  auto node = map[key];
  if (!node) fail(map, std::string(what) + " has no \"" + key + "\"");
  return node;
}

std::string scalar(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be a string");
  return node.Scalar();
}

bool boolean(const YAML::Node& node, std::string_view what) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) fail(node, std::string(what) + " must be true or false");
  return value;
}

// YAML strings are Unicode text, so a request byte above 0x7F cannot be written
// alone. With `raw_bytes: true` each code point U+0000-U+00FF of a request
// string stands for the one byte of that value ("\xC3\xA9" is C3 A9, "\xFF" is
// FF); this undoes yaml-cpp's UTF-8 encoding of those code points.
std::string to_raw_bytes(const std::string& utf8, const YAML::Node& node) {
  std::string bytes;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      bytes += static_cast<char>(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      auto next = static_cast<unsigned char>(utf8[++i]);
      bytes += static_cast<char>(((c & 0x03) << 6) | (next & 0x3F));
    } else {
      fail(node, "raw_bytes strings may hold only code points U+0000-U+00FF");
    }
  }
  return bytes;
}

CaseRequest parse_request(const YAML::Node& node) {
  check_keys(node, "request", {"method", "target", "headers", "raw_bytes"});
  bool raw = node["raw_bytes"] && boolean(node["raw_bytes"], "raw_bytes");
  auto text = [&](const YAML::Node& n, std::string_view what) {
    auto s = scalar(n, what);
    return raw ? to_raw_bytes(s, n) : s;
  };
  CaseRequest request;
  request.method = text(required(node, "method", "request"), "method");
  request.target = text(required(node, "target", "request"), "target");
  if (auto headers = node["headers"]) {
    if (!headers.IsSequence()) fail(headers, "headers must be a list of [name, value] pairs");
    for (const auto& pair : headers) {
      if (!pair.IsSequence() || pair.size() != 2) fail(pair, "a header must be a [name, value] pair");
      request.headers.emplace_back(text(pair[0], "header name"), text(pair[1], "header value"));
    }
  }
  return request;
}

// `field: null` asserts null; any string asserts that string.
std::optional<std::string> nullable(const YAML::Node& node, std::string_view what) {
  if (node.IsNull()) return std::nullopt;
  return scalar(node, what);
}

Expectation parse_expect(const YAML::Node& node) {
  Expectation e;
  if (node.IsNull()) return e;  // `expect:` with nothing: the runner fails the case
  check_keys(node, "expect",
             {"allow", "status", "reason", "route", "required_scope", "project", "actor", "actor_header_ignored",
              "allowed_methods"});
  if (auto n = node["allow"]) e.allow = boolean(n, "allow");
  if (auto n = node["status"]) {
    int status = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, status)) fail(n, "status must be an integer");
    e.status = status;
  }
  if (auto n = node["reason"]) e.reason = scalar(n, "reason");
  if (auto n = node["route"]) e.route = nullable(n, "route");
  if (auto n = node["required_scope"]) e.required_scope = nullable(n, "required_scope");
  if (auto n = node["project"]) e.project = nullable(n, "project");
  if (auto n = node["actor"]) e.actor = nullable(n, "actor");
  if (auto n = node["actor_header_ignored"]) e.actor_header_ignored = boolean(n, "actor_header_ignored");
  if (auto n = node["allowed_methods"]) {
    if (!n.IsSequence()) fail(n, "allowed_methods must be a list");
    std::vector<std::string> methods;
    for (const auto& m : n) methods.push_back(scalar(m, "a method"));
    e.allowed_methods = std::move(methods);
  }
  return e;
}

Case parse_case(const YAML::Node& node, const std::string& path) {
  check_keys(node, "case", {"note", "rule", "request", "expect"});
  Case c;
  c.file = path;
  c.line = line_of(node);
  c.note = scalar(required(node, "note", "case"), "note");
  if (c.note.empty()) fail(node, "a case needs a note saying why it exists");
  c.rule = scalar(required(node, "rule", "case"), "rule");
  c.request = parse_request(required(node, "request", "case"));
  c.expect = parse_expect(required(node, "expect", "case"));
  return c;
}

std::string quoted(const std::optional<std::string>& s) {
  if (!s) return "null";
  std::string out = "\"";
  for (char c : *s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u / 16];
      out += kHex[u % 16];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string listed(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ", ") + items[i];
  return out + "]";
}

std::string flag(bool b) { return b ? "true" : "false"; }

}  // namespace

bool Expectation::empty() const {
  return !allow && !status && !reason && !route && !required_scope && !project && !actor && !actor_header_ignored &&
         !allowed_methods;
}

CaseFileResult parse_case_file(const std::string& path) {
  CaseFileResult result;
  try {
    auto root = YAML::LoadFile(path);
    if (!root.IsMap()) throw InputError{1, "a case file must be a mapping with `tokens` and `cases`"};
    check_keys(root, "the case file", {"policy", "tokens", "cases"});
    CaseFile file;
    file.path = path;
    file.tokens = scalar(required(root, "tokens", "the case file"), "tokens");
    if (auto policy = root["policy"]) file.policy = scalar(policy, "policy");
    auto cases = required(root, "cases", "the case file");
    if (!cases.IsSequence()) fail(cases, "cases must be a list");
    for (const auto& node : cases) {
      try {
        file.cases.push_back(parse_case(node, path));
      } catch (const InputError& e) {
        result.errors.push_back(path + ":" + std::to_string(e.line) + ": " + e.message);
      }
    }
    if (result.errors.empty()) result.file = std::move(file);
  } catch (const InputError& e) {
    result.errors.push_back(path + ":" + std::to_string(e.line) + ": " + e.message);
  } catch (const YAML::Exception& e) {
    result.errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return result;
}

std::vector<std::string> mismatches(const Expectation& expect, const reference::RefDecision& got) {
  std::vector<std::string> out;
  auto differ = [&](std::string_view field, const std::string& want, const std::string& have) {
    if (want != have) out.push_back(std::string(field) + ": want " + want + ", got " + have);
  };
  if (expect.allow) differ("allow", flag(*expect.allow), flag(got.allow));
  if (expect.status) differ("status", std::to_string(*expect.status), std::to_string(got.status));
  if (expect.reason) differ("reason", *expect.reason, got.reason);
  if (expect.route) differ("route", quoted(*expect.route), quoted(got.route));
  if (expect.required_scope) differ("required_scope", quoted(*expect.required_scope), quoted(got.required_scope));
  if (expect.project) differ("project", quoted(*expect.project), quoted(got.project));
  if (expect.actor) differ("actor", quoted(*expect.actor), quoted(got.actor));
  if (expect.actor_header_ignored)
    differ("actor_header_ignored", flag(*expect.actor_header_ignored), flag(got.actor_header_ignored));
  if (expect.allowed_methods) differ("allowed_methods", listed(*expect.allowed_methods), listed(got.allowed_methods));
  return out;
}

}  // namespace scopegate::conformance
