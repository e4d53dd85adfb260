#pragma once
// decide() and check(): contract section 1 as one table of rules. Included by
// engine.hpp; not a public header.

#include <cstdlib>
#include <cstring>

#include "scopegate/authorization.hpp"
#include "scopegate/canonical.hpp"
#include "scopegate/detail/ascii.hpp"

namespace scopegate {

struct DecisionWriter {
  static_assert(sizeof(Decision::canonical_) >= kMaxTargetPathBytes + detail::kSegmentSlack);
  static char* buffer(Decision& d) { return d.canonical_.data(); }
  static void set_canonical_length(Decision& d, std::size_t n) { d.canonical_length_ = static_cast<std::uint16_t>(n); }
  /// `value` must be a view into the decision's own canonical path.
  static void set_project(Decision& d, std::string_view value) {
    d.project_offset_ = static_cast<std::uint16_t>(value.data() - d.canonical_.data());
    d.project_length_ = static_cast<std::uint16_t>(value.size());
  }
};

namespace detail {

/// What one pass over the header list finds, for steps 1b to 9.
struct HeaderFacts {
  bool over_bounds = false;
  bool method_override = false;
  bool url_override = false;
  std::size_t authorization_count = 0;
  std::string_view authorization;
  std::size_t actor_count = 0;
  std::string_view actor_value;
};

/// Lower case for letters, one instruction: two bytes that differ in case
/// alone fold to one, as do a few pairs of non-letters, so that equal folds
/// only preselect a name for an exact comparison.
constexpr char folded(char c) { return static_cast<char>(c | 0x20); }

inline HeaderFacts scan_headers(std::span<const Header> headers, std::string_view actor_header) {
  HeaderFacts f;
  if (headers.size() > kMaxHeaders) f.over_bounds = true;
  // INVARIANT: the policy's actor header is an RFC 9110 token, never empty.
  const char actor_first = folded(actor_header.front());
  for (const Header& h : headers) {
    if (h.name.size() + h.value.size() > kMaxHeaderBytes) f.over_bounds = true;
    if (h.name.empty()) continue;
    // Every name below starts with its own letter: most headers are told
    // apart by one comparison, which the full comparison then confirms.
    const char first = folded(h.name.front());
    if (first == 'x' && (iequals_dash(h.name, "X-HTTP-Method-Override") || iequals_dash(h.name, "X-HTTP-Method") ||
                         iequals_dash(h.name, "X-Method-Override"))) {
      f.method_override = true;
    } else if (first == 'x' && (iequals_dash(h.name, "X-Original-URL") || iequals_dash(h.name, "X-Rewrite-URL"))) {
      f.url_override = true;
    } else if (first == 'a' && iequals_letters(h.name, "authorization")) {
      ++f.authorization_count;
      f.authorization = h.value;
    } else if (first == actor_first && iequals(h.name, actor_header)) {
      ++f.actor_count;
      f.actor_value = h.value;
    }
  }
  return f;
}

/// Compares a raw query parameter name, with escapes of unreserved characters
/// decoded, against `expected` (lower case when `fold_case`).
constexpr bool query_name_is(std::string_view raw, std::string_view expected, bool fold_case) {
  std::size_t j = 0;
  for (std::size_t i = 0; i < raw.size(); ++i, ++j) {
    char c = raw[i];
    // INVARIANT: step 1 has checked that every '%' is followed by two hex digits.
    if (c == '%' && i + 2 < raw.size()) {
      auto v = static_cast<unsigned char>(hex_value(static_cast<unsigned char>(raw[i + 1])) * 16 +
                                          hex_value(static_cast<unsigned char>(raw[i + 2])));
      if (is_unreserved(v)) {
        c = static_cast<char>(v);
        i += 2;
      }
    }
    if (j >= expected.size()) return false;
    if ((fold_case ? ascii_lower(c) : c) != expected[j]) return false;
  }
  return j == expected.size();
}

struct QueryFacts {
  bool access_token = false;
  bool method_override = false;
};

/// Parameters are split on `&`; a name is the text before its first `=`.
constexpr QueryFacts scan_query(std::string_view query) {
  QueryFacts f;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    std::string_view param = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    std::string_view name = param.substr(0, param.find('='));
    if (query_name_is(name, "access_token", false)) f.access_token = true;
    if (query_name_is(name, "_method", true) || query_name_is(name, "x-http-method-override", true) ||
        query_name_is(name, "x-http-method", true) || query_name_is(name, "x-method-override", true))
      f.method_override = true;
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return f;
}

/// A method name of 3 to 7 bytes as one number: its first and last (up to)
/// four bytes, which at these lengths cover every byte, so that two names of
/// one length are equal exactly when their numbers are. Compilers read each
/// group of four bytes with one load.
constexpr std::uint64_t method_key(std::string_view name) {
  const auto byte = [&](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(name[i])}; };
  if (name.size() == 3) return byte(0) | byte(1) << 8 | byte(2) << 16;
  const auto four = [&](std::size_t at) { return byte(at) | byte(at + 1) << 8 | byte(at + 2) << 16 | byte(at + 3) << 24; };
  return four(0) | four(name.size() - 4) << 32;
}

/// The method routes are looked up under: `HEAD` decides as GET; an unknown
/// or lower-case method has no routes of its own. The length picks the one or
/// two names to compare, rather than trying all eight in turn. Inlined: as a
/// call it cost twice its own work.
[[gnu::always_inline]] constexpr std::optional<Method> route_method(std::string_view method) {
  const auto is = [&](std::string_view name) { return method_key(method) == method_key(name); };
  switch (method.size()) {
    case 3:
      if (is("GET")) return Method::kGet;
      if (is("PUT")) return Method::kPut;
      break;
    case 4:
      if (is("POST")) return Method::kPost;
      if (is("HEAD")) return Method::kGet;
      break;
    case 5:
      if (is("PATCH")) return Method::kPatch;
      if (is("TRACE")) return Method::kTrace;
      break;
    case 6:
      if (is("DELETE")) return Method::kDelete;
      break;
    case 7:
      if (is("OPTIONS")) return Method::kOptions;
      if (is("CONNECT")) return Method::kConnect;
      break;
  }
  return std::nullopt;
}

/// Steps 1 to 2, shared by decide() and check(): fills the canonical path and
/// returns true when the decision is already made.
struct Prelude {
  SegmentCuts segments;
  std::optional<Method> method;
  Match match;  ///< kept for summarize(): often it needs no second walk
  const CompiledRoute* chosen = nullptr;
  QueryFacts query;
};

inline void set_project(Decision& d, const CompiledRoute& route, const SegmentCuts& segs) {
  if (route.project_segment >= 0) DecisionWriter::set_project(d, segs.item(static_cast<std::size_t>(route.project_segment)));
}

inline void set_route_facts(Decision& d, const CompiledRoute& route, const SegmentCuts& segs) {
  d.route = route.display;
  d.required_scope = route.scope;
  set_project(d, route, segs);
}

inline bool canonical_step(Decision& d, std::string_view target, Prelude& p) {
  p.segments.text = DecisionWriter::buffer(d);
  CanonicalTarget canon = canonicalize_path(target, DecisionWriter::buffer(d), p.segments);
  if (canon.error != TargetError::kNone) {
    d.reason = Reason::kMalformedPath;
    return true;
  }
  DecisionWriter::set_canonical_length(d, canon.path_length);
  std::memset(DecisionWriter::buffer(d) + canon.path_length, 0, kSegmentSlack);
  if (canon.has_query) p.query = scan_query(canon.query);
  return false;
}

inline void choose_route(const CompiledPolicy& policy, std::string_view method, Prelude& p) {
  p.method = route_method(method);
  if (!p.method) return;
  p.match = policy.trie().find(p.segments, *p.method);
  if (p.match.route != kNoIndex) p.chosen = &policy.routes()[p.match.route];
}

/// Bytes of the buffer that match_route takes.
inline constexpr std::size_t kMatchBufferBytes = kMaxTargetPathBytes + kSegmentSlack;

/// The route a request is decided under, or nullptr: step 1 and the route
/// choice of section 4 with no authorization at all (the matcher alone, for
/// scopegate-bench). `buffer` must hold kMatchBufferBytes bytes.
inline const CompiledRoute* match_route(const CompiledPolicy& policy, std::string_view method,
                                        std::string_view target, char* buffer) {
  SegmentCuts segments;
  segments.text = buffer;
  const CanonicalTarget canon = canonicalize_path(target, buffer, segments);
  if (canon.error != TargetError::kNone) return nullptr;
  std::memset(buffer + canon.path_length, 0, kSegmentSlack);
  const auto m = route_method(method);
  if (!m) return nullptr;
  const std::uint32_t r = policy.trie().find(segments, *m).route;
  return r == kNoIndex ? nullptr : &policy.routes()[r];
}

/// Steps 6 to 8 and 11 to 13 for a resolved user token.
template <class HasScope, class IsMember>
void decide_user(Decision& d, const CompiledPolicy& policy, const Prelude& p, std::string_view user_id,
                 bool actor_header_present, HasScope has_scope, IsMember is_member) {
  d.actor = user_id;
  d.actor_header_ignored = actor_header_present;
  // Step 6: user tokens learn nothing about what lies under operator-only paths.
  if (p.chosen && p.chosen->auth == RouteAuth::kOperatorOnly) {
    d.reason = Reason::kOperatorOnly;
    d.route = p.chosen->display;
    set_project(d, *p.chosen, p.segments);
    return;
  }
  MatchSummary all;
  if (!p.chosen) all = policy.trie().summarize(p.segments, p.match);
  const bool in_family = p.chosen ? policy.in_operator_family(d.canonical_path(), *p.chosen)
                                  : all.any_operator_only || policy.in_operator_family(d.canonical_path());
  if (in_family) {
    d.reason = Reason::kOperatorOnly;
    return;
  }
  // Steps 7 and 8.
  if (!p.chosen) {
    d.reason = all.methods ? Reason::kMethodNotAllowed : Reason::kNoRoute;
    d.allowed_methods = all.methods;
    return;
  }
  const CompiledRoute& route = *p.chosen;
  set_route_facts(d, route, p.segments);
  // Step 11, then 12: scope is checked before membership.
  if (!has_scope(route)) {
    d.reason = Reason::kInsufficientScope;
    return;
  }
  if (route.project_segment >= 0 && !is_member(d.project())) {
    d.reason = Reason::kNotAMember;
    return;
  }
  d.reason = Reason::kGranted;
}

/// Steps 7 to 10 for the operator token; an empty `actor` means the actor
/// header was malformed or repeated.
inline void decide_operator(Decision& d, const CompiledPolicy& policy, const Prelude& p, std::string_view actor) {
  d.actor = actor;
  if (!p.chosen) {
    MatchSummary all = policy.trie().summarize(p.segments, p.match);
    d.reason = all.methods ? Reason::kMethodNotAllowed : Reason::kNoRoute;
    d.allowed_methods = all.methods;
    return;
  }
  set_route_facts(d, *p.chosen, p.segments);
  d.reason = actor.empty() ? Reason::kInvalidActor : Reason::kOperatorBypass;
}

/// Equality of short texts (scopes, project ids) without a memcmp call: up
/// to 16 bytes, two overlapping words on each side decide it.
inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8 || n > 16) return a == b;
  const auto word = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  return word(a.data()) == word(b.data()) && word(a.data() + n - 8) == word(b.data() + n - 8);
}

inline bool grant_has(std::span<const std::string_view> values, std::string_view wanted) {
  for (auto v : values)
    if (same_text(v, wanted)) return true;
  return false;
}

}  // namespace detail

inline bool OperatorSecret::matches(std::string_view token) const {
  if (secret_.empty()) return false;
  // Every byte of the longer string is compared, so the time taken depends on
  // the lengths alone, never on where the first difference lies.
  const std::size_t n = std::max(token.size(), secret_.size());
  unsigned diff = token.size() != secret_.size() ? 1u : 0u;
  for (std::size_t i = 0; i < n; ++i) {
    auto a = static_cast<unsigned char>(i < token.size() ? token[i] : 0);
    auto b = static_cast<unsigned char>(i < secret_.size() ? secret_[i] : 0);
    diff |= static_cast<unsigned>(a ^ b);
  }
  return diff == 0;
}

inline std::optional<OperatorSecret> OperatorSecret::make(std::string_view secret, const CompiledPolicy& policy,
                                                          std::string* error) {
  OperatorSecret s;
  if (secret.empty()) return s;
  if (!is_token68(secret)) {
    if (error) *error = "the operator secret is not a token68 string";
    return std::nullopt;
  }
  if (policy.user_class().matches(secret)) {
    if (error) *error = "the operator secret has the shape of a user token";
    return std::nullopt;
  }
  if (!policy.settings().operator_class.present) return s;
  s.secret_ = secret;
  return s;
}

inline std::optional<OperatorSecret> OperatorSecret::from_environment(const CompiledPolicy& policy, std::string* error) {
  const char* value = std::getenv(policy.settings().operator_class.secret_env.c_str());
  return make(value ? std::string_view(value) : std::string_view(), policy, error);
}

inline Decision decide(const CompiledPolicy& policy, const Request& request, const TokenResolver& resolver,
                       const OperatorSecret& secret) {
  using namespace detail;
  Decision d;
  Prelude p;
  // Step 1: the request-target is canonical.
  if (canonical_step(d, request.target, p)) return d;
  const HeaderFacts h = scan_headers(request.headers, policy.actor_header());
  // Bounds of the header list fail closed before anything reads a header.
  if (h.over_bounds) {
    d.reason = Reason::kInvalidRequest;
    return d;
  }
  // Step 1b: no method override, in a header or the query.
  if (h.method_override || p.query.method_override) {
    d.reason = Reason::kMethodOverride;
    return d;
  }
  // Step 1c: no URL override header.
  if (h.url_override) {
    d.reason = Reason::kUrlOverride;
    return d;
  }
  // Step 2: the route chosen for this method is public.
  choose_route(policy, request.method, p);
  if (p.chosen && p.chosen->auth == RouteAuth::kPublic) {
    d.reason = Reason::kPublic;
    d.route = p.chosen->display;
    return d;
  }
  // Step 3: the Authorization header is well formed.
  Authorization auth;
  if (h.authorization_count > 1) {
    d.reason = Reason::kInvalidRequest;
    return d;
  }
  if (h.authorization_count == 1) auth = split_authorization(h.authorization);
  if (auth.form == AuthorizationForm::kInvalid || (auth.form == AuthorizationForm::kBearer && p.query.access_token)) {
    d.reason = Reason::kInvalidRequest;
    return d;
  }
  // Step 4: a Bearer token is present.
  if (auth.form != AuthorizationForm::kBearer) {
    d.reason = Reason::kMissingToken;
    return d;
  }
  // Step 3's token68 test, taken after the class test: most tokens are of
  // the user class, which is token68 throughout when its spec says so.
  const bool user_class = policy.user_class().matches(auth.token);
  if (!(user_class && policy.user_class().within_token68()) && !is_token68(auth.token)) {
    d.reason = Reason::kInvalidRequest;
    return d;
  }
  // Step 5: the token belongs to a class and is known.
  if (user_class) {
    std::optional<UserGrant> grant = resolver.resolve(auth.token);
    if (!grant) {
      d.reason = Reason::kInvalidToken;
      return d;
    }
    decide_user(
        d, policy, p, grant->user_id, h.actor_count > 0,
        [&](const CompiledRoute& r) { return grant_has(grant->scopes, r.scope); },
        [&](std::string_view project) { return grant_has(grant->projects, project); });
    return d;
  }
  if (!secret.matches(auth.token)) {
    d.reason = Reason::kInvalidToken;
    return d;
  }
  std::string_view actor = policy.default_actor();
  if (h.actor_count > 1) {
    actor = {};
  } else if (h.actor_count == 1) {
    actor = trim_ows(h.actor_value);
    if (!is_actor_id(actor) || actor == "operator") actor = {};
  }
  decide_operator(d, policy, p, actor);
  return d;
}

inline Decision check(const CompiledPolicy& policy, std::string_view method, std::string_view target,
                      const Principal& principal) {
  using namespace detail;
  Decision d;
  Prelude p;
  if (canonical_step(d, target, p)) return d;
  if (p.query.method_override) {
    d.reason = Reason::kMethodOverride;
    return d;
  }
  choose_route(policy, method, p);
  if (p.chosen && p.chosen->auth == RouteAuth::kPublic) {
    d.reason = Reason::kPublic;
    d.route = p.chosen->display;
    return d;
  }
  switch (principal.kind) {
    case Principal::Kind::kAnonymous:
      d.reason = Reason::kMissingToken;
      return d;
    case Principal::Kind::kUser:
      decide_user(
          d, policy, p, principal.actor, principal.actor_header_present,
          [&](const CompiledRoute& r) { return principal.scopes.test(r.scope_index); },
          [&](std::string_view project) { return grant_has(principal.projects, project); });
      return d;
    case Principal::Kind::kOperator:
      decide_operator(d, policy, p, principal.actor);
      return d;
  }
  return d;
}

}  // namespace scopegate
