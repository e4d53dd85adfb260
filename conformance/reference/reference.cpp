#include "reference.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>

// Written for reading, not for speed: every rule is one small function whose
// comment quotes the contract (shared/spec/SEMANTICS.md), and evaluate() reads
// top to bottom like the table of section 1. Where the contract is silent, the
// comment says "interpretation" and names the point (README of conformance/).

namespace scopegate::reference {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------- ASCII helpers

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

int hex_value(unsigned char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return c - 'a' + 10;
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

// "For the override headers of steps 1b and 1c, `_` and `-` in a header name
// count as the same character (`X_Original_URL`)".
bool equals_ignoring_case_and_underscore(std::string_view a, std::string_view b) {
  auto fold = [](char c) { return c == '_' ? '-' : to_lower(c); };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

// "unreserved characters (ALPHA DIGIT `-._~`)"
bool is_unreserved(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// "only the characters RFC 3986 allows raw are accepted (ALPHA, DIGIT,
// `-._~!$&'()*+,;=:@/?%`)"
bool is_allowed_raw(unsigned char c) {
  static constexpr std::string_view kOthers = "!$&'()*+,;=:@/?%";
  return is_unreserved(c) || kOthers.find(static_cast<char>(c)) != std::string_view::npos;
}

// "spaces and tabs"
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------- section 3: the target

// "The target is the path, then optionally `?` and the query."
std::string_view path_part(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string_view> query_part(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  return target.substr(q + 1);
}

// "anything else (`#`, `\`, space, ...) is 400 `malformed_path`, and so is a `%`
// not followed by two hex digits." (over the whole target)
bool whole_target_acceptable(std::string_view target) {
  for (std::size_t i = 0; i < target.size(); ++i) {
    auto c = static_cast<unsigned char>(target[i]);
    if (!is_allowed_raw(c)) return false;
    if (c == '%') {
      if (i + 2 >= target.size()) return false;
      if (!is_hex(static_cast<unsigned char>(target[i + 1])) || !is_hex(static_cast<unsigned char>(target[i + 2])))
        return false;
    }
  }
  return true;
}

// "an encoding of `/`, `\`, `?`, `#`, a control character or a byte above 0x7E
// is 400"
bool is_forbidden_encoding(unsigned char byte) {
  return byte == '/' || byte == '\\' || byte == '?' || byte == '#' || byte < 0x20 || byte > 0x7E;
}

// "percent-encoded unreserved characters (ALPHA DIGIT `-._~`) are decoded ...;
// every other percent-encoding stays encoded with its hex digits in upper case
// ... Decoding happens once, never twice". Needs a path that passed
// whole_target_acceptable, so that every `%` has two hex digits.
std::optional<std::string> decode_path_once(std::string_view path) {
  static constexpr char kUpperHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    auto byte = static_cast<unsigned char>(hex_value(static_cast<unsigned char>(path[i + 1])) * 16 +
                                           hex_value(static_cast<unsigned char>(path[i + 2])));
    if (is_forbidden_encoding(byte)) return std::nullopt;
    if (is_unreserved(byte)) {
      out += static_cast<char>(byte);
    } else {
      out += '%';
      out += kUpperHex[byte / 16];
      out += kUpperHex[byte % 16];
    }
    i += 2;
  }
  return out;
}

// The segments of a path that starts with `/`: the text between slashes.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;
  while (true) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return segments;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

// "a segment that is `.` or `..` after decoding (`%2e`, `%2E%2e`) is 400, and so
// is one whose text before its first `;` or `%3B` is (`..;`, `.;x`, `..%3B`)".
// Interpretation l: an empty text before `;` is no dot segment. `%3b` was
// already upper-cased by decode_path_once.
bool is_dot_segment(std::string_view segment) {
  auto is_dots = [](std::string_view s) { return s == "." || s == ".."; };
  auto semicolon = std::min(segment.find(';'), segment.find("%3B"));
  return is_dots(segment) || is_dots(segment.substr(0, semicolon));
}

// "an empty segment anywhere but at the very end (`//`) is 400"
bool has_inner_empty_segment(const std::vector<std::string_view>& segments) {
  for (std::size_t i = 0; i + 1 < segments.size(); ++i)
    if (segments[i].empty()) return true;
  return false;
}

// "an encoded percent-escape, `%25` followed by two hex digits (`%252f`,
// `%252e`), is 400, judged after the unreserved decoding"
bool has_encoded_escape(std::string_view decoded) {
  for (auto at = decoded.find("%25"); at != std::string_view::npos; at = decoded.find("%25", at + 1)) {
    if (at + 4 < decoded.size() && is_hex(static_cast<unsigned char>(decoded[at + 3])) &&
        is_hex(static_cast<unsigned char>(decoded[at + 4])))
      return true;
  }
  return false;
}

// Section 3 as a whole: the canonical path, or nullopt for 400 `malformed_path`.
std::optional<std::string> canonical_path(std::string_view target) {
  if (!whole_target_acceptable(target)) return std::nullopt;
  auto path = path_part(target);
  // "it must start with `/` and be at most 4096 bytes as received"
  if (path.empty() || path.front() != '/' || path.size() > 4096) return std::nullopt;
  auto decoded = decode_path_once(path);
  if (!decoded) return std::nullopt;
  auto segments = split_segments(*decoded);
  if (has_inner_empty_segment(segments)) return std::nullopt;
  for (auto segment : segments)
    if (is_dot_segment(segment)) return std::nullopt;
  if (has_encoded_escape(*decoded)) return std::nullopt;
  return decoded;
}

// "the query is split on `&`; a parameter's name is the text before its first
// `=` with unreserved percent-encodings decoded"
std::vector<std::string> query_parameter_names(std::optional<std::string_view> query) {
  std::vector<std::string> names;
  if (!query) return names;
  std::string_view rest = *query;
  while (true) {
    auto amp = rest.find('&');
    auto parameter = rest.substr(0, amp);
    auto raw_name = parameter.substr(0, parameter.find('='));
    std::string name;
    for (std::size_t i = 0; i < raw_name.size(); ++i) {
      // INVARIANT: the target passed step 1, so every `%` has two hex digits.
      if (raw_name[i] == '%') {
        auto byte = static_cast<unsigned char>(hex_value(static_cast<unsigned char>(raw_name[i + 1])) * 16 +
                                               hex_value(static_cast<unsigned char>(raw_name[i + 2])));
        if (is_unreserved(byte)) {
          name += static_cast<char>(byte);
          i += 2;
          continue;
        }
      }
      name += raw_name[i];
    }
    names.push_back(std::move(name));
    if (amp == std::string_view::npos) return names;
    rest.remove_prefix(amp + 1);
  }
}

// "`access_token` is compared case-sensitively"
bool has_access_token(const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), "access_token") != names.end();
}

// ---------------------------------------------------------------- steps 1b and 1c

// Interpretation a: "more than 256 headers, or any single header with
// name+value longer than 16384 bytes" is 400 `invalid_request`, right after step 1.
bool exceeds_header_bounds(const Headers& headers) {
  if (headers.size() > 256) return true;
  for (const auto& [name, value] : headers)
    if (name.size() + value.size() > 16384) return true;
  return false;
}

// Step 1b: "header `X-HTTP-Method-Override`, `X-HTTP-Method` or
// `X-Method-Override` (whatever its value ...), or a query parameter `_method`,
// `x-http-method-override`, `x-http-method` or `x-method-override` (names
// compared case-insensitively ...)"
bool has_method_override(const Headers& headers, const std::vector<std::string>& parameter_names) {
  static constexpr std::string_view kHeaders[] = {"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"};
  static constexpr std::string_view kParameters[] = {"_method", "x-http-method-override", "x-http-method",
                                                     "x-method-override"};
  for (const auto& header : headers)
    for (auto name : kHeaders)
      if (equals_ignoring_case_and_underscore(header.first, name)) return true;
  for (const auto& parameter : parameter_names)
    for (auto name : kParameters)
      if (equals_ignoring_case(parameter, name)) return true;
  return false;
}

// Step 1c: "header `X-Original-URL` or `X-Rewrite-URL` (whatever its value)"
bool has_url_override(const Headers& headers) {
  for (const auto& header : headers)
    if (equals_ignoring_case_and_underscore(header.first, "X-Original-URL") ||
        equals_ignoring_case_and_underscore(header.first, "X-Rewrite-URL"))
      return true;
  return false;
}

// ---------------------------------------------------------------- section 4: routes

// "Only the exact method `HEAD` is decided as `GET` ... Methods are
// case-sensitive". Interpretation c: any other string is an unknown method.
std::optional<Method> decided_method(std::string_view method) {
  if (method == "HEAD") return Method::kGet;
  for (std::size_t i = 0; i < kMethodCount; ++i)
    if (method_name(static_cast<Method>(i)) == method) return static_cast<Method>(i);
  return std::nullopt;
}

bool is_parameter(std::string_view pattern_segment) {
  return pattern_segment.size() >= 2 && pattern_segment.front() == '{' && pattern_segment.back() == '}';
}

// "Patterns are literal segments and `{name}` parameters; a parameter takes one
// non-empty segment." A literal matches its own text exactly ("Matching is
// case-sensitive").
bool pattern_matches(const RouteSpec& route, const std::vector<std::string_view>& path_segments) {
  auto pattern_segments = split_segments(route.pattern);
  if (pattern_segments.size() != path_segments.size()) return false;
  for (std::size_t i = 0; i < path_segments.size(); ++i) {
    if (is_parameter(pattern_segments[i])) {
      if (path_segments[i].empty()) return false;
    } else if (pattern_segments[i] != path_segments[i]) {
      return false;
    }
  }
  return true;
}

// "the most specific wins: comparing segment by segment from the left, a
// literal beats a parameter". True when `a` beats `b`; both match one path.
bool more_specific(const RouteSpec& a, const RouteSpec& b) {
  auto a_segments = split_segments(a.pattern);
  auto b_segments = split_segments(b.pattern);
  for (std::size_t i = 0; i < a_segments.size() && i < b_segments.size(); ++i) {
    bool a_literal = !is_parameter(a_segments[i]);
    bool b_literal = !is_parameter(b_segments[i]);
    if (a_literal != b_literal) return a_literal;
  }
  return false;
}

// "Among the routes of the request's method whose pattern matches the whole
// canonical path, the most specific wins". A linear scan over every route.
const RouteSpec* choose_route(const PolicySpec& policy, std::optional<Method> method,
                              const std::vector<std::string_view>& path_segments) {
  if (!method) return nullptr;
  const RouteSpec* chosen = nullptr;
  for (const auto& route : policy.routes) {
    if (route.method != *method || !pattern_matches(route, path_segments)) continue;
    if (chosen == nullptr || more_specific(route, *chosen)) chosen = &route;
  }
  return chosen;
}

bool any_route_matches(const PolicySpec& policy, const std::vector<std::string_view>& path_segments) {
  return std::any_of(policy.routes.begin(), policy.routes.end(),
                     [&](const RouteSpec& route) { return pattern_matches(route, path_segments); });
}

// Interpretation j: "listing exactly the declared methods of the routes that
// match the path (public, user and operator-only alike; HEAD and OPTIONS are
// not added), in alphabetical order"
std::vector<std::string> allowed_methods(const PolicySpec& policy, const std::vector<std::string_view>& path_segments) {
  std::vector<std::string> methods;
  for (const auto& route : policy.routes) {
    if (!pattern_matches(route, path_segments)) continue;
    std::string name(method_name(route.method));
    if (std::find(methods.begin(), methods.end(), name) == methods.end()) methods.push_back(std::move(name));
  }
  std::sort(methods.begin(), methods.end());
  return methods;
}

// The route as decisions report it: `GET /v1/projects/{projectId}`.
std::string route_text(const RouteSpec& route) { return std::string(method_name(route.method)) + " " + route.pattern; }

// "A project route is one whose pattern has the `{projectId}` parameter; its
// canonical value is the `project` of the decision". Interpretation g: the
// parameter is the route's project_param; empty means no project route.
std::optional<std::string> project_of(const RouteSpec& route, const std::vector<std::string_view>& path_segments) {
  if (route.project_param.empty()) return std::nullopt;
  auto pattern_segments = split_segments(route.pattern);
  auto wanted = "{" + route.project_param + "}";
  for (std::size_t i = 0; i < pattern_segments.size(); ++i)
    if (pattern_segments[i] == wanted) return std::string(path_segments[i]);
  return std::nullopt;
}

std::optional<std::string> scope_of(const RouteSpec& route) {
  if (route.auth != RouteAuth::kScope || route.scope.empty()) return std::nullopt;
  return route.scope;
}

// Step 6: "the route chosen for this method is operator-only (hidden legacy
// aliases are), or no route has this method and an operator-only route matches
// the path with another method, or the canonical path lies in an operator-only
// prefix family". Interpretation h: a family is a plain starts_with.
bool is_operator_only_path(const PolicySpec& policy, const RouteSpec* chosen, std::string_view canonical,
                           const std::vector<std::string_view>& path_segments) {
  if (chosen != nullptr && chosen->auth == RouteAuth::kOperatorOnly) return true;
  if (chosen == nullptr) {
    for (const auto& route : policy.routes)
      if (route.auth == RouteAuth::kOperatorOnly && pattern_matches(route, path_segments)) return true;
  }
  for (const auto& family : policy.operator_prefixes)
    if (canonical.starts_with(family.prefix)) return true;
  return false;
}

// ---------------------------------------------------------------- section 2: tokens

enum class AuthorizationKind {
  kAbsent,          ///< step 4: none, blank, or another scheme
  kInvalidRequest,  ///< step 3
  kBearer,
};

struct Authorization {
  AuthorizationKind kind = AuthorizationKind::kAbsent;
  std::string token;
};

// "token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=""
bool is_token68(std::string_view token) {
  std::size_t i = 0;
  while (i < token.size() && (is_unreserved(static_cast<unsigned char>(token[i])) || token[i] == '+' || token[i] == '/'))
    ++i;
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

// Steps 3 and 4 with section 2 and interpretation k.
Authorization read_authorization(const Headers& headers, bool access_token_in_query) {
  const std::string* value = nullptr;
  int count = 0;
  for (const auto& header : headers) {
    if (!equals_ignoring_case(header.first, "Authorization")) continue;
    ++count;
    value = &header.second;
  }
  // "more than one `Authorization` header (whatever their values, blank ones included)"
  if (count > 1) return {AuthorizationKind::kInvalidRequest, {}};
  if (count == 0) return {};
  // "A CR or LF anywhere: 400 `invalid_request`."
  if (value->find_first_of("\r\n") != std::string::npos) return {AuthorizationKind::kInvalidRequest, {}};
  // "The field value is trimmed of surrounding OWS (spaces and tabs). A value that
  // is then empty counts as no header (step 4)."
  auto trimmed = trim_ows(*value);
  if (trimmed.empty()) return {};
  // "The scheme is the text up to the first space; `Bearer` is matched
  // case-insensitively"
  auto space = trimmed.find(' ');
  auto scheme = trimmed.substr(0, space);
  if (!equals_ignoring_case(scheme, "Bearer")) return {};
  // "`Bearer` with no token" (interpretation k: the value is the scheme alone)
  if (space == std::string_view::npos) return {AuthorizationKind::kInvalidRequest, {}};
  // "After the scheme, one or more spaces; the token is the whole rest of the value."
  auto rest = trimmed.substr(space);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!is_token68(rest)) return {AuthorizationKind::kInvalidRequest, {}};
  // "a Bearer token in the header and an `access_token` query parameter at once"
  if (access_token_in_query) return {AuthorizationKind::kInvalidRequest, {}};
  return {AuthorizationKind::kBearer, std::string(rest)};
}

// "ranges like `0-9a-f` and single characters" (UserClassSpec::charset)
bool in_charset(std::string_view charset, char c) {
  for (std::size_t i = 0; i < charset.size(); ++i) {
    if (i + 2 < charset.size() && charset[i + 1] == '-') {
      if (c >= charset[i] && c <= charset[i + 2]) return true;
      i += 2;
    } else if (charset[i] == c) {
      return true;
    }
  }
  return false;
}

// "User class: `cwt_` followed by one or more lowercase hex digits `[0-9a-f]`, at
// most 256 characters in all, `cwt_` included." Interpretation d: read from the
// policy's user class.
bool is_user_token(const UserClassSpec& user_class, std::string_view token) {
  if (!token.starts_with(user_class.prefix) || token.size() > user_class.max_length) return false;
  auto body = token.substr(user_class.prefix.size());
  if (body.empty()) return false;
  return std::all_of(body.begin(), body.end(), [&](char c) { return in_charset(user_class.charset, c); });
}

// "Operator class: equal to the operator secret ... No secret: the operator class
// matches nothing." Constant time does not matter to an oracle.
bool is_operator_token(const std::optional<std::string>& secret, std::string_view token) {
  return secret.has_value() && !secret->empty() && *secret == token;
}

const UserTokenEntry* find_user(const TokensFile& tokens, std::string_view token) {
  for (const auto& user : tokens.users)
    if (user.token == token) return &user;
  return nullptr;
}

// "Scope names are compared exactly (case-sensitive, no wildcards)."
bool has_scope(const UserTokenEntry& user, std::string_view scope) {
  return std::find(user.scopes.begin(), user.scopes.end(), scope) != user.scopes.end();
}

// "compared exactly with the resolver's project ids"
bool is_member(const UserTokenEntry& user, std::string_view project) {
  return std::find(user.projects.begin(), user.projects.end(), project) != user.projects.end();
}

// ---------------------------------------------------------------- section 5: actor

struct ActorHeaders {
  int count = 0;
  std::optional<std::string> valid_value;  ///< set when exactly one header with a valid value
};

// "values are trimmed of OWS. A valid value is 1-128 characters of
// `[A-Za-z0-9_-]` and not the reserved word `operator` (exactly that lowercase
// spelling)"
bool is_valid_actor(std::string_view value) {
  if (value.empty() || value.size() > 128 || value == "operator") return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return is_alpha(u) || is_digit(u) || c == '_' || c == '-';
  });
}

// "Two or more such headers (whatever their values or name case) are repeated".
// Interpretation e: the name is the policy's, compared case-insensitively.
ActorHeaders read_actor_headers(const PolicySpec& policy, const Headers& headers) {
  ActorHeaders result;
  std::string_view value;
  for (const auto& header : headers) {
    if (!equals_ignoring_case(header.first, policy.operator_class.actor_header)) continue;
    ++result.count;
    value = header.second;
  }
  if (result.count == 1 && is_valid_actor(trim_ows(value))) result.valid_value = std::string(trim_ows(value));
  return result;
}

// ---------------------------------------------------------------- decisions

RefDecision outcome(std::string reason, int status) {
  RefDecision d;
  d.allow = status == 200;
  d.status = status;
  d.reason = std::move(reason);
  return d;
}

// The caller once the token is known (steps 6 to 13).
struct Caller {
  const UserTokenEntry* user = nullptr;  ///< null: the operator
  ActorHeaders actor_headers;

  bool is_operator() const { return user == nullptr; }
  // "the actor is the header's value when present and valid; with no header,
  // `operator`" / "User token: the actor is always the user id"
  std::optional<std::string> actor(const PolicySpec& policy) const {
    if (user != nullptr) return user->user_id;
    if (actor_headers.count == 0) return policy.operator_class.default_actor;
    return actor_headers.valid_value;
  }
  // "`actor_header_ignored` is true exactly when a user token was resolved (steps
  // 6 to 13) and at least one `X-Comwit-Actor-User-Id` header is present."
  bool actor_header_ignored() const { return user != nullptr && actor_headers.count > 0; }
};

RefDecision with_caller(RefDecision d, const PolicySpec& policy, const Caller& caller) {
  d.actor = caller.actor(policy);
  d.actor_header_ignored = caller.actor_header_ignored();
  return d;
}

// Section 8: "9 `invalid_actor` | the route | its scope | its `{projectId}` value"
// and "10, 11, 12, 13 | the route | its scope (null for operator-only routes) |
// its `{projectId}` value".
RefDecision with_route(RefDecision d, const RouteSpec& route, const std::vector<std::string_view>& path_segments) {
  d.route = route_text(route);
  d.required_scope = scope_of(route);
  d.project = project_of(route, path_segments);
  return d;
}

void append_json_string(std::string& out, const std::optional<std::string>& value) {
  if (!value) {
    out += "null";
    return;
  }
  out += '"';
  for (char c : *value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

RefDecision evaluate(const PolicySpec& policy, std::string_view method, std::string_view target,
                     const Headers& headers, const TokensFile& tokens, const std::optional<std::string>& operator_secret) {
  // Step 1: "request-target not canonical (section 3)"
  auto canonical = canonical_path(target);
  if (!canonical) return outcome("malformed_path", 400);
  // Interpretation a: header bounds, before step 1b.
  if (exceeds_header_bounds(headers)) return outcome("invalid_request", 400);

  auto parameter_names = query_parameter_names(query_part(target));
  // Step 1b: "a method override"
  if (has_method_override(headers, parameter_names)) return outcome("method_override", 400);
  // Step 1c: "a URL override"
  if (has_url_override(headers)) return outcome("url_override", 400);

  auto path_segments = split_segments(*canonical);
  const RouteSpec* chosen = choose_route(policy, decided_method(method), path_segments);

  // Step 2: "a public route (`auth: none`) of this method matches the path; no
  // header is looked at". Interpretation b: the chosen route is public.
  if (chosen != nullptr && chosen->auth == RouteAuth::kPublic) {
    auto d = outcome("public", 200);
    d.route = route_text(*chosen);
    return d;
  }

  // Steps 3 and 4.
  auto authorization = read_authorization(headers, has_access_token(parameter_names));
  if (authorization.kind == AuthorizationKind::kInvalidRequest) return outcome("invalid_request", 400);
  if (authorization.kind == AuthorizationKind::kAbsent) return outcome("missing_token", 401);

  // Step 5: "the Bearer token matches no token class, or the resolver does not
  // know it (revoked, unknown)"
  Caller caller;
  caller.actor_headers = read_actor_headers(policy, headers);
  if (is_user_token(policy.user, authorization.token)) {
    caller.user = find_user(tokens, authorization.token);
    if (caller.user == nullptr) return outcome("invalid_token", 401);
  } else if (!is_operator_token(operator_secret, authorization.token)) {
    return outcome("invalid_token", 401);
  }

  // Step 6: "user token, and the path is operator-only". Interpretation i: the
  // route fact is the chosen route only when it is the operator-only one.
  if (!caller.is_operator() && is_operator_only_path(policy, chosen, *canonical, path_segments)) {
    auto d = with_caller(outcome("operator_only", 403), policy, caller);
    if (chosen != nullptr && chosen->auth == RouteAuth::kOperatorOnly) {
      d.route = route_text(*chosen);
      d.project = project_of(*chosen, path_segments);
    }
    return d;
  }

  // Step 7: "no route has this path"
  if (!any_route_matches(policy, path_segments)) return with_caller(outcome("no_route", 404), policy, caller);
  // Step 8: "the path exists but not for this method"
  if (chosen == nullptr) {
    auto d = with_caller(outcome("method_not_allowed", 405), policy, caller);
    d.allowed_methods = allowed_methods(policy, path_segments);
    return d;
  }

  if (caller.is_operator()) {
    // Step 9: "operator token with a malformed or repeated
    // `X-Comwit-Actor-User-Id`"; "the actor is then null".
    if (caller.actor_headers.count > 0 && !caller.actor_headers.valid_value)
      return with_route(outcome("invalid_actor", 400), *chosen, path_segments);
    // Step 10: "operator token"
    return with_route(with_caller(outcome("operator_bypass", 200), policy, caller), *chosen, path_segments);
  }

  auto project = project_of(*chosen, path_segments);
  // Step 11: "user token lacks the route's scope" (scope before membership)
  if (!has_scope(*caller.user, chosen->scope))
    return with_route(with_caller(outcome("insufficient_scope", 403), policy, caller), *chosen, path_segments);
  // Step 12: "user token, project route, user not a member of that project"
  if (project && !is_member(*caller.user, *project))
    return with_route(with_caller(outcome("not_a_member", 403), policy, caller), *chosen, path_segments);
  // Step 13: "otherwise"
  return with_route(with_caller(outcome("granted", 200), policy, caller), *chosen, path_segments);
}

std::string to_json(const RefDecision& d) {
  std::string out = "{\"allow\": ";
  out += d.allow ? "true" : "false";
  out += ", \"status\": " + std::to_string(d.status);
  out += ", \"reason\": ";
  append_json_string(out, d.reason);
  out += ", \"route\": ";
  append_json_string(out, d.route);
  out += ", \"required_scope\": ";
  append_json_string(out, d.required_scope);
  out += ", \"project\": ";
  append_json_string(out, d.project);
  out += ", \"actor\": ";
  append_json_string(out, d.actor);
  out += ", \"actor_header_ignored\": ";
  out += d.actor_header_ignored ? "true" : "false";
  if (d.status == 405) {
    out += ", \"allowed_methods\": [";
    for (std::size_t i = 0; i < d.allowed_methods.size(); ++i) {
      if (i != 0) out += ", ";
      append_json_string(out, d.allowed_methods[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace scopegate::reference
