#pragma once
/// What a server sends back for a decision (contract section 7) and the JSON
/// decision line of `policy-check decide` (section 8). These allocate; call
/// them only for responses, never on the allow path.

#include <string>
#include <string_view>

#include "scopegate/decision.hpp"

namespace scopegate {

namespace detail {

/// Appends `s` as a JSON string. Bytes above 0x7F pass through: inputs are
/// UTF-8 (policy text, canonical paths and actor ids are ASCII by construction).
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

inline void append_json_nullable(std::string& out, std::string_view s, bool present) {
  if (present) append_json_string(out, s);
  else out += "null";
}

}  // namespace detail

/// Methods of a 405, alphabetical, joined by ", " (the `Allow` value).
inline std::string allow_header(MethodSet methods) {
  std::string out;
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    if (!(methods & (1u << i))) continue;
    if (!out.empty()) out += ", ";
    out += kMethodNames[i];
  }
  return out;
}

/// The `WWW-Authenticate` value for a 401, a 403 `insufficient_scope` or a 400
/// `invalid_request`; empty when the decision takes none.
inline std::string www_authenticate(const Decision& d, std::string_view realm) {
  std::string out = "Bearer realm=\"";
  out += realm;
  out += '"';
  switch (d.reason) {
    case Reason::kMissingToken: return out;
    case Reason::kInvalidToken: return out + ", error=\"invalid_token\"";
    case Reason::kInvalidRequest: return out + ", error=\"invalid_request\"";
    case Reason::kInsufficientScope:
      return out + ", error=\"insufficient_scope\", scope=\"" + std::string(d.required_scope) + "\"";
    default: return {};
  }
}

/// A one-line human message for each reason; never mentions the token.
inline std::string_view reason_message(Reason r) {
  switch (r) {
    case Reason::kMalformedPath: return "the request path is not canonical";
    case Reason::kMethodOverride: return "method override is not supported";
    case Reason::kUrlOverride: return "URL override headers are not supported";
    case Reason::kPublic: return "public route";
    case Reason::kInvalidRequest: return "malformed authorization";
    case Reason::kMissingToken: return "a bearer token is required";
    case Reason::kInvalidToken: return "the token is invalid, expired or revoked";
    case Reason::kOperatorOnly: return "this route is reserved for operators";
    case Reason::kNoRoute: return "no such route";
    case Reason::kMethodNotAllowed: return "method not allowed on this route";
    case Reason::kInvalidActor: return "malformed actor header";
    case Reason::kOperatorBypass: return "operator access";
    case Reason::kInsufficientScope: return "the token lacks the required scope";
    case Reason::kNotAMember: return "not a member of this project";
    case Reason::kGranted: return "granted";
  }
  return "denied";
}

/// `{"error": {"status": 403, "code": "...", "message": "...", ...}}` with
/// `required_scope` for insufficient_scope and `project` for not_a_member.
inline std::string error_body_json(const Decision& d) {
  std::string out = "{\"error\": {\"status\": " + std::to_string(d.status()) + ", \"code\": ";
  detail::append_json_string(out, reason_name(d.reason));
  out += ", \"message\": ";
  detail::append_json_string(out, reason_message(d.reason));
  if (d.reason == Reason::kInsufficientScope) {
    out += ", \"required_scope\": ";
    detail::append_json_string(out, d.required_scope);
  }
  if (d.reason == Reason::kNotAMember) {
    out += ", \"project\": ";
    detail::append_json_string(out, d.project());
  }
  out += "}}";
  return out;
}

/// The decision line of contract section 8, fields in the contract's order.
inline std::string decision_json(const Decision& d) {
  std::string out = "{\"allow\": ";
  out += d.allow() ? "true" : "false";
  out += ", \"status\": " + std::to_string(d.status()) + ", \"reason\": ";
  detail::append_json_string(out, reason_name(d.reason));
  out += ", \"route\": ";
  detail::append_json_nullable(out, d.route, d.has_route());
  out += ", \"required_scope\": ";
  detail::append_json_nullable(out, d.required_scope, !d.required_scope.empty());
  out += ", \"project\": ";
  detail::append_json_nullable(out, d.project(), d.has_project());
  out += ", \"actor\": ";
  detail::append_json_nullable(out, d.actor, !d.actor.empty());
  out += ", \"actor_header_ignored\": ";
  out += d.actor_header_ignored ? "true" : "false";
  if (d.reason == Reason::kMethodNotAllowed) {
    out += ", \"allowed_methods\": [";
    bool first = true;
    for (std::size_t i = 0; i < kMethodCount; ++i) {
      if (!(d.allowed_methods & (1u << i))) continue;
      if (!first) out += ", ";
      first = false;
      detail::append_json_string(out, kMethodNames[i]);
    }
    out += "]";
  }
  out += "}";
  return out;
}

}  // namespace scopegate
