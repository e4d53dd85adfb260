// `policy-check explain`: one request, decided by decide(), with the steps
// around it: the canonical path, the routes compared with it and why each was
// passed over, the rule that decided, and for a denial the smallest change
// that allows it, itself decided again to prove it.

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "findings.hpp"
#include "scopegate/analysis.hpp"
#include "scopegate/authorization.hpp"
#include "scopegate/canonical.hpp"
#include "scopegate/detail/ascii.hpp"
#include "scopegate/detail/pattern.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/render.hpp"
#include "scopegate/tokens.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::cli {
namespace {

using Json = nlohmann::ordered_json;

enum class ExplainFormat { kText, kJson };
enum class CallerClass { kNone, kAnonymous, kUser, kOperator };

struct ExplainOptions {
  std::string policy;
  std::string tokens;
  std::string token;
  CallerClass caller = CallerClass::kNone;
  std::vector<std::string> scopes;
  std::vector<std::string> members;
  std::string user_id = "usr_explain";
  std::vector<std::string> headers;
  std::string method;
  std::string target;
  ExplainFormat format = ExplainFormat::kText;
};

/// Routes listed at most, in either format.
constexpr std::size_t kMaxListedRoutes = 40;

// ---------------------------------------------------------------------------
// The request and the caller behind it

/// Everything decide() needs, owned.
struct Setup {
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<UserTokenEntry> users;
  std::string secret;           ///< the operator secret; empty: none
  std::string secret_source;    ///< where the secret came from, for the caller line
  std::string caller_words;     ///< `user usr_alice (tokens.yaml), scopes [...], member of [...]`
};

/// The real decision for the request. Its views refer to `setup` and
/// `resolver`, which must outlive it.
Decision decide_with(const CompiledPolicy& policy, const ExplainOptions& opt, const Setup& setup,
                     const StaticTokenResolver& resolver) {
  std::vector<Header> views;
  for (const auto& [name, value] : setup.headers) views.push_back(Header{name, value});
  // INVARIANT: build_setup checked the secret, so make() cannot fail here.
  const OperatorSecret secret = *OperatorSecret::make(setup.secret, policy, nullptr);
  return decide(policy, Request{opt.method, opt.target, views}, resolver, secret);
}

/// `a, b, c`
std::string list_words(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string bracketed(const std::vector<std::string>& items) { return "[" + list_words(items) + "]"; }

std::optional<Setup> build_setup(const CompiledPolicy& policy, const ExplainOptions& opt, std::string* error) {
  Setup s;
  bool has_authorization = false;
  for (const auto& h : opt.headers) {
    const std::size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      *error = "--header '" + h + "' is not 'Name: value'";
      return std::nullopt;
    }
    std::string value = h.substr(colon + 1);
    // Like curl -H: the blanks after the colon separate, they are not the value.
    const std::size_t start = value.find_first_not_of(" \t");
    value.erase(0, start == std::string::npos ? value.size() : start);
    s.headers.emplace_back(h.substr(0, colon), std::move(value));
    has_authorization = has_authorization || detail::iequals(s.headers.back().first, "Authorization");
  }
  const bool adds_authorization = !opt.token.empty() || opt.caller == CallerClass::kUser ||
                                  opt.caller == CallerClass::kOperator;
  if (adds_authorization && has_authorization) {
    *error = "--token and --class user|operator send the Authorization header themselves; drop the --header";
    return std::nullopt;
  }
  if (opt.caller != CallerClass::kUser &&
      (!opt.scopes.empty() || !opt.members.empty() || opt.user_id != ExplainOptions{}.user_id)) {
    *error = "--scopes, --member and --user-id describe a user: add --class user";
    return std::nullopt;
  }

  if (!opt.tokens.empty()) {
    TokensResult t = load_tokens_file(opt.tokens, policy.spec());
    if (!t.tokens) {
      for (const auto& d : t.diagnostics) *error += "\n  " + d.format();
      *error = "the tokens file has errors:" + *error;
      return std::nullopt;
    }
    s.users = std::move(t.tokens->users);
    if (t.tokens->operator_token) {
      s.secret = *t.tokens->operator_token;
      s.secret_source = opt.tokens;
    }
  }
  // Present (even empty), the tokens file's operator_token replaces the environment's.
  if (s.secret_source.empty()) {
    if (const char* env = std::getenv(policy.spec().operator_class.secret_env.c_str()); env && *env) {
      s.secret = env;
      s.secret_source = "$" + policy.spec().operator_class.secret_env;
    }
  }

  switch (opt.caller) {
    case CallerClass::kNone:
      if (!opt.token.empty()) {
        s.headers.emplace_back("Authorization", "Bearer " + opt.token);
        auto user = std::find_if(s.users.begin(), s.users.end(), [&](const auto& u) { return u.token == opt.token; });
        if (user != s.users.end())
          s.caller_words = "user " + user->user_id + " (" + opt.tokens + "), scopes " + bracketed(user->scopes) +
                           ", member of " + bracketed(user->projects);
        else if (!s.secret.empty() && opt.token == s.secret)
          s.caller_words = "the operator token (" + s.secret_source + ")";
        else
          s.caller_words = "a token that " + opt.tokens + " does not list";
      } else {
        s.caller_words = "as the headers say";
      }
      break;
    case CallerClass::kAnonymous:
      s.caller_words = "anonymous (no Authorization header)";
      break;
    case CallerClass::kUser:
    case CallerClass::kOperator: {
      std::optional<analysis::ProbeKit> kit = analysis::ProbeKit::make(policy, error);
      if (!kit) return std::nullopt;
      if (opt.caller == CallerClass::kUser) {
        const std::string token(kit->user_token(0));
        s.users = {UserTokenEntry{token, opt.user_id, opt.scopes, opt.members, {}}};
        s.headers.emplace_back("Authorization", "Bearer " + token);
        s.caller_words = "user " + opt.user_id + " (a token of the user class), scopes " + bracketed(opt.scopes) +
                         ", member of " + bracketed(opt.members);
      } else {
        s.secret = kit->operator_secret();
        s.secret_source = "a stand-in secret";
        s.headers.emplace_back("Authorization", "Bearer " + s.secret);
        s.caller_words = policy.spec().operator_class.present
                             ? "the operator token"
                             : "the operator token, but the policy declares no operator class";
      }
      break;
    }
  }
  if (!OperatorSecret::make(s.secret, policy, error)) return std::nullopt;
  return s;
}

// ---------------------------------------------------------------------------
// Routes compared with the path

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() <= 1) return out;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

struct RouteCheck {
  std::size_t route = 0;         ///< index into routes()
  std::size_t matched = 0;       ///< leading segments that match
  bool path_matches = false;     ///< the pattern matches the whole path
  std::string verdict;           ///< `chosen` or `passed over`
  std::string why;
};

/// Compares one pattern with the path segment by segment, as section 4 reads.
RouteCheck compare(const CompiledPolicy& policy, std::size_t index, const std::vector<std::string_view>& path) {
  RouteCheck c;
  c.route = index;
  const RouteSpec& spec = policy.spec().routes[policy.routes()[index].spec_index];
  const detail::ParsedPattern p = detail::parse_pattern(spec.pattern, kMaxPatternBytes, kMaxPatternSegments);
  const std::size_t n = std::min(p.segments.size(), path.size());
  for (std::size_t k = 0; k < n; ++k) {
    const auto& seg = p.segments[k];
    if (seg.is_param && path[k].empty()) {
      c.why = "segment " + std::to_string(k + 1) + " is empty; parameter {" + std::string(seg.text) +
              "} takes a non-empty segment";
      return c;
    }
    if (!seg.is_param && seg.text != path[k]) {
      c.why = "segment " + std::to_string(k + 1) + " '" + std::string(path[k]) + "' != literal '" +
              std::string(seg.text) + "'";
      return c;
    }
    ++c.matched;
  }
  if (path.size() < p.segments.size()) {
    c.why = "the path ends after segment " + std::to_string(path.size()) + "; the pattern has " +
            std::to_string(p.segments.size());
    return c;
  }
  if (path.size() > p.segments.size()) {
    c.why = "the path has " + std::to_string(path.size()) + " segments; the pattern " +
            std::to_string(p.segments.size());
    return c;
  }
  c.path_matches = true;
  return c;
}

/// True when pattern a is more specific than b: at the first position where
/// one is a literal and the other a parameter, the literal wins (section 4).
/// `at`, when given, receives that position.
bool more_specific(const CompiledPolicy& policy, std::size_t a, std::size_t b, std::size_t* at = nullptr) {
  const auto& ra = policy.spec().routes[policy.routes()[a].spec_index];
  const auto& rb = policy.spec().routes[policy.routes()[b].spec_index];
  const auto pa = detail::parse_pattern(ra.pattern, kMaxPatternBytes, kMaxPatternSegments);
  const auto pb = detail::parse_pattern(rb.pattern, kMaxPatternBytes, kMaxPatternSegments);
  for (std::size_t k = 0; k < pa.segments.size() && k < pb.segments.size(); ++k) {
    if (pa.segments[k].is_param == pb.segments[k].is_param) continue;
    if (at) *at = k;
    return !pa.segments[k].is_param;
  }
  return false;
}

struct RouteAnalysis {
  std::vector<RouteCheck> listed;
  bool by_length = true;              ///< listed: routes of the path's length; else those that got furthest
  std::size_t omitted = 0;
  std::optional<std::size_t> chosen;  ///< the route of the request's method that matches most specifically
  std::size_t full_matches = 0;       ///< routes of any method matching the whole path
  std::optional<RouteCheck> closest;  ///< the route that matched the most leading segments
};

RouteAnalysis analyse_routes(const CompiledPolicy& policy, std::string_view canonical, std::string_view method) {
  const auto path = split_path(canonical);
  const std::optional<Method> lookup = method == "HEAD" ? std::optional(Method::kGet) : parse_declared_method(method);
  std::vector<RouteCheck> all;
  for (std::size_t i = 0; i < policy.routes().size(); ++i) all.push_back(compare(policy, i, path));

  RouteAnalysis out;
  for (const auto& c : all) {
    if (!c.path_matches) continue;
    ++out.full_matches;
    if (!lookup || policy.routes()[c.route].method != *lookup) continue;
    if (!out.chosen || more_specific(policy, c.route, *out.chosen)) out.chosen = c.route;
  }
  for (auto& c : all) {
    if (!c.path_matches) {
      c.verdict = "passed over";
      continue;
    }
    const CompiledRoute& r = policy.routes()[c.route];
    if (!lookup) {
      c.verdict = "passed over";
      c.why = "method " + std::string(method) + " is not one a route can declare";
    } else if (r.method != *lookup) {
      c.verdict = "passed over";
      c.why = "method " + std::string(method_name(r.method)) + " != " + std::string(method) +
              (method == "HEAD" ? " (HEAD is decided as GET)" : "");
    } else if (c.route == *out.chosen) {
      c.verdict = "chosen";
      c.why = "every segment matches";
      if (method == "HEAD") c.why += "; HEAD is decided as GET";
    } else {
      std::size_t at = 0;
      more_specific(policy, *out.chosen, c.route, &at);
      c.verdict = "passed over";
      c.why = "matches too, but " + std::string(policy.routes()[*out.chosen].display) + " is more specific: at segment " +
              std::to_string(at + 1) + " a literal beats a parameter";
    }
  }
  // The routes that could be relevant: those of the path's length; failing
  // that, those that got furthest along it.
  std::size_t best = 0;
  for (const auto& c : all) {
    if (c.matched > best) out.closest = c;
    best = std::max(best, c.matched);
  }
  std::vector<RouteCheck> relevant;
  for (const auto& c : all) {
    const std::size_t length = detail::parse_pattern(policy.spec().routes[policy.routes()[c.route].spec_index].pattern,
                                                     kMaxPatternBytes, kMaxPatternSegments)
                                   .segments.size();
    if (length == path.size()) relevant.push_back(c);
  }
  if (relevant.empty()) {
    out.by_length = false;
    for (const auto& c : all)
      if (best > 0 && c.matched == best) relevant.push_back(c);
  }
  std::stable_sort(relevant.begin(), relevant.end(), [](const RouteCheck& a, const RouteCheck& b) {
    auto rank = [](const RouteCheck& c) { return c.verdict == "chosen" ? 0 : c.path_matches ? 1 : 2; };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.matched > b.matched;
  });
  if (relevant.size() > kMaxListedRoutes) {
    out.omitted = relevant.size() - kMaxListedRoutes;
    relevant.resize(kMaxListedRoutes);
  }
  out.listed = std::move(relevant);
  return out;
}

// ---------------------------------------------------------------------------
// The steps of contract section 1

struct StepInfo {
  std::string_view id;
  std::string_view rule;
  std::string_view sections;  ///< contract sections behind the step
};

/// Each step with its condition as the contract's table states it: the first
/// condition that holds fires and decides.
StepInfo step_of(Reason r) {
  switch (r) {
    case Reason::kMalformedPath: return {"1", "request-target not canonical", "1, 3"};
    case Reason::kMethodOverride: return {"1b", "a method override", "1"};
    case Reason::kUrlOverride: return {"1c", "a URL override", "1"};
    case Reason::kPublic: return {"2", "a public route of this method matches", "1, 4"};
    case Reason::kInvalidRequest: return {"3", "malformed or repeated Authorization", "1, 2"};
    case Reason::kMissingToken: return {"4", "no Bearer token", "1, 2"};
    case Reason::kInvalidToken: return {"5", "the token matches no class or is unknown", "1, 2"};
    case Reason::kOperatorOnly: return {"6", "user token on an operator-only path", "1, 4, 6"};
    case Reason::kNoRoute: return {"7", "no route has this path", "1, 4"};
    case Reason::kMethodNotAllowed: return {"8", "the path exists but not for this method", "1, 4"};
    case Reason::kInvalidActor: return {"9", "operator token with a malformed or repeated actor header", "1, 5"};
    case Reason::kOperatorBypass: return {"10", "operator token", "1"};
    case Reason::kInsufficientScope: return {"11", "user token lacks the route's scope", "1, 2"};
    case Reason::kNotAMember: return {"12", "user not a member of the route's project", "1, 4"};
    case Reason::kGranted: return {"13", "otherwise", "1"};
  }
  return {"?", "", ""};
}

struct Step {
  std::string id;
  std::string rule;
  bool fired = false;
  std::string detail;
};

/// What the explanation knows besides the decision.
struct Facts {
  std::string canonical;
  std::string target_error;  ///< why the target is not canonical
  std::vector<std::string> method_overrides;
  std::vector<std::string> url_overrides;
  std::size_t authorization_headers = 0;
  Authorization authorization;
  bool user_token = false;  ///< the Bearer token has the user class's shape
  std::vector<std::string> actor_headers;
  RouteAnalysis routes;
};

constexpr std::array<std::string_view, 3> kMethodOverrideHeaders = {"X-HTTP-Method-Override", "X-HTTP-Method",
                                                                    "X-Method-Override"};
constexpr std::array<std::string_view, 4> kMethodOverrideParams = {"_method", "x-http-method-override",
                                                                   "x-http-method", "x-method-override"};

/// A query parameter's name with escapes of unreserved characters decoded (section 3).
std::string query_name(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size()) {
      const auto v = static_cast<unsigned char>(detail::hex_value(static_cast<unsigned char>(raw[i + 1])) * 16 +
                                                detail::hex_value(static_cast<unsigned char>(raw[i + 2])));
      if (detail::is_unreserved(v)) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += raw[i];
  }
  return out;
}

Facts gather(const CompiledPolicy& policy, const ExplainOptions& opt, const Setup& setup) {
  Facts f;
  std::string buffer(kMaxTargetPathBytes, '\0');
  const CanonicalTarget canon = canonicalize_target(opt.target, buffer.data());
  if (canon.error != TargetError::kNone) {
    f.target_error = target_error_message(canon.error);
    return f;
  }
  f.canonical = buffer.substr(0, canon.path_length);
  for (const auto& [name, value] : setup.headers) {
    for (auto h : kMethodOverrideHeaders)
      if (detail::iequals_dash(name, h)) f.method_overrides.push_back("header " + name);
    if (detail::iequals_dash(name, "X-Original-URL") || detail::iequals_dash(name, "X-Rewrite-URL"))
      f.url_overrides.push_back("header " + name);
    if (detail::iequals(name, "Authorization")) {
      ++f.authorization_headers;
      f.authorization = parse_authorization(value);
    }
    if (detail::iequals(name, policy.actor_header())) f.actor_headers.push_back(value);
  }
  if (canon.has_query) {
    std::string_view q = canon.query;
    while (true) {
      const std::size_t amp = q.find('&');
      const std::string_view param = q.substr(0, amp);
      const std::string name = query_name(param.substr(0, param.find('=')));
      for (auto p : kMethodOverrideParams)
        if (detail::iequals(name, p)) f.method_overrides.push_back("query parameter " + name);
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
  }
  f.user_token = f.authorization.form == AuthorizationForm::kBearer &&
                 policy.user_class().matches(f.authorization.token);
  f.routes = analyse_routes(policy, f.canonical, opt.method);
  return f;
}

const RouteSpec* chosen_spec(const CompiledPolicy& policy, const Facts& f) {
  if (!f.routes.chosen) return nullptr;
  return &policy.spec().routes[policy.routes()[*f.routes.chosen].spec_index];
}

/// The operator-only prefix family the path lies in, if any.
std::optional<std::string> family_of(const CompiledPolicy& policy, std::string_view path) {
  for (const auto& p : policy.operator_prefixes())
    if (path.starts_with(p)) return p;
  return std::nullopt;
}

/// The steps in the order the engine takes them, up to the one that decided.
std::vector<Step> trace(const CompiledPolicy& policy, const ExplainOptions& opt, const Facts& f, const Decision& d) {
  const RouteSpec* chosen = chosen_spec(policy, f);
  const std::string chosen_words = chosen ? std::string(method_name(chosen->method)) + " " + chosen->pattern : "";
  const std::string user = std::string(d.actor);
  std::vector<Step> steps;
  auto add = [&](std::string_view id, std::string detail) {
    const StepInfo decided = step_of(d.reason);
    Step s;
    s.id = id;
    s.fired = id == decided.id;
    s.detail = std::move(detail);
    for (std::size_t r = 0; r < kReasonCount; ++r)
      if (step_of(static_cast<Reason>(r)).id == id) s.rule = step_of(static_cast<Reason>(r)).rule;
    steps.push_back(std::move(s));
    return steps.back().fired;
  };

  if (add("1", f.target_error.empty() ? "canonical path " + f.canonical
                                      : "'" + opt.target + "' is not canonical: " + f.target_error))
    return steps;
  if (add("1b", f.method_overrides.empty() ? "no override header or query parameter"
                                           : "found " + list_words(f.method_overrides)))
    return steps;
  if (add("1c", f.url_overrides.empty() ? "no X-Original-URL or X-Rewrite-URL header"
                                        : "found " + list_words(f.url_overrides)))
    return steps;
  std::string public_detail;
  if (d.reason == Reason::kPublic) public_detail = "public route " + std::string(d.route) + "; no header is read";
  else if (chosen) public_detail = "the " + opt.method + " route " + chosen_words + " is not public";
  else public_detail = "no route of " + opt.method + " matches";
  if (add("2", public_detail)) return steps;
  std::string auth_detail;
  if (f.authorization_headers > 1) auth_detail = std::to_string(f.authorization_headers) + " Authorization headers";
  else if (f.authorization.form == AuthorizationForm::kInvalid) auth_detail = "malformed Bearer credentials";
  else if (d.reason == Reason::kInvalidRequest) auth_detail = "a Bearer token and an access_token query parameter";
  else if (f.authorization_headers == 0) auth_detail = "no Authorization header";
  else auth_detail = "one Authorization header";
  if (add("3", auth_detail)) return steps;
  if (add("4", f.authorization.form == AuthorizationForm::kBearer ? "a Bearer token"
               : f.authorization.form == AuthorizationForm::kOtherScheme ? "a scheme other than Bearer"
                                                                         : "no Bearer token"))
    return steps;
  std::string token_detail;
  if (d.reason == Reason::kInvalidToken)
    token_detail = f.user_token ? "a token of the user class that the resolver does not know"
                                : "neither a user token nor the operator secret";
  else token_detail = f.user_token ? "user token of " + user : "the operator token";
  if (add("5", token_detail)) return steps;

  const std::string family = family_of(policy, f.canonical).value_or("");
  if (f.user_token) {
    std::string op_detail;
    if (d.reason == Reason::kOperatorOnly) {
      if (chosen && chosen->auth == RouteAuth::kOperatorOnly) op_detail = "route " + chosen_words + " is operator-only";
      else if (!family.empty()) op_detail = "the path lies in operator-only prefix family '" + family + "'";
      else op_detail = "no route of " + opt.method + " matches, and an operator-only route of another method does";
    } else {
      op_detail = "not an operator-only route, in no operator-only prefix family";
    }
    if (add("6", op_detail)) return steps;
  }
  if (add("7", f.routes.full_matches ? std::to_string(f.routes.full_matches) + " route(s) match the path"
                                     : "no route matches the path"))
    return steps;
  if (add("8", chosen ? "route " + chosen_words + " chosen"
                      : "the path exists for " + allow_header(d.allowed_methods) + " only"))
    return steps;
  if (!f.user_token) {
    std::string actor_detail;
    if (f.actor_headers.empty()) actor_detail = "no " + std::string(policy.actor_header()) + " header: actor '" +
                                                std::string(policy.default_actor()) + "'";
    else if (f.actor_headers.size() > 1) actor_detail = std::to_string(f.actor_headers.size()) + " actor headers";
    else if (d.reason == Reason::kInvalidActor) actor_detail = "actor header '" + f.actor_headers[0] + "' is malformed";
    else actor_detail = "actor '" + std::string(d.actor) + "'";
    if (add("9", actor_detail)) return steps;
    add("10", "the operator token bypasses scope and membership");
    return steps;
  }
  const std::string scope(d.required_scope);
  if (add("11", d.reason == Reason::kInsufficientScope ? "the token lacks scope '" + scope + "'"
                                                       : "the token holds scope '" + scope + "'"))
    return steps;
  std::string member_detail;
  if (!d.has_project()) member_detail = "not a project route";
  else if (d.reason == Reason::kNotAMember)
    member_detail = user + " is not a member of '" + std::string(d.project()) + "'";
  else member_detail = user + " is a member of '" + std::string(d.project()) + "'";
  if (add("12", member_detail)) return steps;
  add("13", "allowed");
  return steps;
}

// ---------------------------------------------------------------------------
// The smallest change that allows a denied request

struct Fix {
  std::string change;
  std::optional<std::string> then;  ///< the decision line once the change is made, when it can be replayed
};

std::optional<Fix> smallest_change(const CompiledPolicy& policy, const ExplainOptions& opt, const Setup& setup,
                                   const Facts& f, const Decision& d) {
  if (d.allow()) return std::nullopt;
  const RouteSpec* chosen = chosen_spec(policy, f);
  Fix fix;
  switch (d.reason) {
    case Reason::kMalformedPath:
      fix.change = "send a canonical request-target (" + f.target_error + ")";
      break;
    case Reason::kMethodOverride:
      fix.change = "drop the " + list_words(f.method_overrides) + " and send the real method";
      break;
    case Reason::kUrlOverride:
      fix.change = "drop the " + list_words(f.url_overrides) + "; the server routes by the request-target";
      break;
    case Reason::kInvalidRequest:
      fix.change = "send exactly one Authorization header 'Bearer <token68>', and no access_token query parameter "
                   "beside it";
      break;
    case Reason::kMissingToken: {
      fix.change = "send a Bearer token";
      if (chosen && chosen->auth == RouteAuth::kScope)
        fix.change += ": a user token with scope '" + chosen->scope + "'" +
                      (chosen->project_param.empty() ? "" : " that is a member of the project") +
                      ", or the operator token";
      else if (chosen && chosen->auth == RouteAuth::kOperatorOnly)
        fix.change += ": the operator token (operator only)";
      break;
    }
    case Reason::kInvalidToken:
      fix.change = f.user_token ? "use a token that the resolver knows (this one is unknown or revoked)"
                                : "send a user token (" + policy.spec().user.prefix + " and [" +
                                      policy.spec().user.charset + "]) or the operator token";
      break;
    case Reason::kOperatorOnly:
      fix.change = "operator only: only the operator token may call this";
      break;
    case Reason::kNoRoute:
      fix.change = "no route: check the path";
      if (f.routes.closest)
        fix.change += "; the closest route is " + std::string(policy.routes()[f.routes.closest->route].display) + " (" +
                      f.routes.closest->why + ")";
      break;
    case Reason::kMethodNotAllowed:
      fix.change = "use a method the path has: " + allow_header(d.allowed_methods);
      break;
    case Reason::kInvalidActor:
      fix.change = "send at most one " + std::string(policy.actor_header()) +
                   " header, 1-128 characters of [A-Za-z0-9_-] and not 'operator'";
      break;
    case Reason::kInsufficientScope:
    case Reason::kNotAMember: {
      // Change the user's grant, then let decide() confirm it.
      std::vector<UserTokenEntry> users = setup.users;
      auto user = std::find_if(users.begin(), users.end(), [&](const UserTokenEntry& u) {
        return f.authorization.form == AuthorizationForm::kBearer && u.token == f.authorization.token;
      });
      // INVARIANT: both reasons come from a resolved user token, which is in `users`.
      std::vector<std::string> changes;
      if (d.reason == Reason::kInsufficientScope) {
        user->scopes.emplace_back(d.required_scope);
        changes.push_back("add scope '" + std::string(d.required_scope) + "' to the token");
      }
      if (d.has_project() &&
          std::find(user->projects.begin(), user->projects.end(), d.project()) == user->projects.end()) {
        user->projects.emplace_back(d.project());
        changes.push_back("make " + user->user_id + " a member of project '" + std::string(d.project()) + "'");
      }
      fix.change = changes.size() == 2 ? changes[0] + ", and " + changes[1] : changes[0];
      const StaticTokenResolver changed(std::move(users));
      fix.then = decision_json(decide_with(policy, opt, setup, changed));
      break;
    }
    case Reason::kPublic:
    case Reason::kOperatorBypass:
    case Reason::kGranted:
      break;
  }
  return fix;
}

// ---------------------------------------------------------------------------
// Output

Json decision_fields(const Decision& d) { return Json::parse(decision_json(d)); }

/// Header values as shown: an Authorization value keeps its scheme only, so
/// that no token lands in a log or a terminal's scrollback.
std::string shown_value(std::string_view name, std::string_view value) {
  if (!detail::iequals(name, "Authorization")) return std::string(value);
  const std::string_view trimmed = detail::trim_ows(value);
  const std::size_t space = trimmed.find(' ');
  return space == std::string_view::npos ? std::string(value) : std::string(trimmed.substr(0, space)) + " <token>";
}

void write_json(const CompiledPolicy& policy, const ExplainOptions& opt, const Setup& setup, const Facts& f,
                const std::vector<Step>& steps, const Decision& d, const std::optional<Fix>& fix) {
  Json out;
  Json headers = Json::array();
  for (const auto& [name, value] : setup.headers)
    headers.push_back(Json::array({name, shown_value(name, value)}));
  out["request"] = {{"method", opt.method}, {"target", opt.target}, {"headers", headers}};
  out["caller"] = setup.caller_words;
  out["canonical_path"] = f.target_error.empty() ? Json(f.canonical) : Json(nullptr);
  out["target_error"] = f.target_error.empty() ? Json(nullptr) : Json(f.target_error);
  Json routes = Json::array();
  for (const auto& c : f.routes.listed)
    routes.push_back({{"route", policy.routes()[c.route].display}, {"verdict", c.verdict}, {"why", c.why}});
  out["routes"] = routes;
  out["routes_omitted"] = f.routes.omitted;
  Json trace_json = Json::array();
  for (const auto& s : steps)
    trace_json.push_back({{"step", s.id}, {"rule", s.rule}, {"result", s.fired ? "fired" : "not fired"},
                          {"detail", s.detail}});
  out["steps"] = trace_json;
  const StepInfo decided = step_of(d.reason);
  out["rule"] = {{"step", decided.id}, {"rule", decided.rule}, {"contract_sections", decided.sections}};
  out["decision"] = decision_fields(d);
  if (fix) {
    out["fix"] = {{"change", fix->change}, {"then", fix->then ? Json::parse(*fix->then) : Json(nullptr)}};
  } else {
    out["fix"] = nullptr;
  }
  std::cout << out.dump(2) << '\n';
}

void write_text(const CompiledPolicy& policy, const ExplainOptions& opt, const Setup& setup, const Facts& f,
                const std::vector<Step>& steps, const Decision& d, const std::optional<Fix>& fix) {
  const Style style{use_colour(stdout)};
  auto& out = std::cout;
  auto label = [&](std::string_view name) { out << style.bold() << name << style.reset(); };
  label("request   ");
  out << opt.method << ' ' << opt.target << '\n';
  for (const auto& [name, value] : setup.headers) out << "          " << name << ": " << shown_value(name, value) << '\n';
  label("caller    ");
  out << setup.caller_words << '\n';
  label("path      ");
  out << (f.target_error.empty() ? f.canonical : "not canonical: " + f.target_error) << '\n';
  if (f.target_error.empty()) {
    label("routes    ");
    const std::size_t shown = f.routes.listed.size() + f.routes.omitted;
    if (shown == 0) {
      out << "none of the " << policy.routes().size() << " routes shares a segment with the path\n";
    } else {
      out << shown << " of " << policy.routes().size() << " routes "
          << (f.routes.by_length ? "have as many segments as the path" : "got furthest along the path") << '\n';
    }
    for (const auto& c : f.routes.listed) {
      const bool chosen = c.verdict == "chosen";
      out << "  " << (chosen ? style.green() : style.dim()) << (chosen ? "chosen      " : "passed over ")
          << style.reset() << policy.routes()[c.route].display << ": " << c.why << '\n';
    }
    if (f.routes.omitted) out << "  ... and " << f.routes.omitted << " more (--format json lists the same)\n";
  }
  label("steps\n");
  for (const auto& s : steps) {
    std::string id = s.id;
    id.resize(4, ' ');
    out << "  " << id;
    if (s.fired) out << (d.allow() ? style.green() : style.red()) << "fired " << style.reset();
    else out << "-     ";
    out << s.rule << ": " << s.detail << '\n';
  }
  const StepInfo decided = step_of(d.reason);
  label("decision  ");
  out << (d.allow() ? style.green() : style.red()) << (d.allow() ? "allow " : "deny ") << d.status() << ' '
      << reason_name(d.reason) << style.reset() << " (step " << decided.id << ", contract sections "
      << decided.sections << ")\n";
  out << "          " << decision_json(d) << '\n';
  if (fix) {
    label("fix       ");
    out << fix->change << '\n';
    if (fix->then) out << "          then: " << *fix->then << '\n';
  }
}

int run_explain(const ExplainOptions& opt) {
  LoadResult loaded = load_policy_file(opt.policy);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError) std::cerr << d.format() << '\n';
  if (!loaded.ok()) return kExitUsage;
  const CompiledPolicy& policy = *loaded.policy;
  std::string error;
  std::optional<Setup> setup = build_setup(policy, opt, &error);
  if (!setup) {
    std::cerr << "policy-check explain: error: " << error << '\n';
    return kExitUsage;
  }
  const StaticTokenResolver resolver(setup->users);
  const Decision d = decide_with(policy, opt, *setup, resolver);
  const Facts f = gather(policy, opt, *setup);
  const std::vector<Step> steps = trace(policy, opt, f, d);
  const std::optional<Fix> fix = smallest_change(policy, opt, *setup, f, d);
  if (opt.format == ExplainFormat::kJson) write_json(policy, opt, *setup, f, steps, d, fix);
  else write_text(policy, opt, *setup, f, steps, d, fix);
  return kExitClean;
}

}  // namespace

void register_explain(CLI::App& app) {
  auto opt = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Decide one request and show how: canonical path, routes compared, rule, fix for a denial");
  cmd->add_option("file", opt->policy, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("method", opt->method, "HTTP method, e.g. GET (case-sensitive, as the engine sees it)")
      ->required();
  cmd->add_option("target", opt->target, "Request-target: path and optional ?query, as received")->required();
  auto* tokens = cmd->add_option("--tokens", opt->tokens, "Tokens file (contract section 8): the resolver, and "
                                                          "its operator_token the operator secret")
                     ->check(CLI::ExistingFile);
  cmd->add_option("--token", opt->token, "Send 'Authorization: Bearer T' with this token from the tokens file")
      ->needs(tokens);
  const std::map<std::string, CallerClass> classes = {
      {"anonymous", CallerClass::kAnonymous}, {"user", CallerClass::kUser}, {"operator", CallerClass::kOperator}};
  auto* caller = cmd->add_option("--class", opt->caller,
                                 "Call as anonymous, a user (with --scopes, --member, --user-id) or the operator, "
                                 "with stand-in tokens")
                     ->transform(named_choice(classes))
                     ->option_text("anonymous|user|operator")
                     ->excludes(tokens);
  // One value per occurrence, so that METHOD and TARGET after them stay positional.
  cmd->add_option("--scopes", opt->scopes, "The user's scopes, comma-separated")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->needs(caller);
  cmd->add_option("--member", opt->members, "A project the user is a member of (repeat, or comma-separate)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->needs(caller);
  cmd->add_option("--user-id", opt->user_id, "The user's id")->needs(caller)->capture_default_str();
  cmd->add_option("--header", opt->headers, "A request header 'Name: value' (repeat for more, in order)")
      ->allow_extra_args(false);
  const std::map<std::string, ExplainFormat> formats = {{"text", ExplainFormat::kText},
                                                        {"json", ExplainFormat::kJson}};
  cmd->add_option("--format", opt->format, "Output format: text (default) or json")
      ->transform(named_choice(formats))
      ->option_text("text|json");
  cmd->footer(
      "Without --tokens or --class the request carries only the --header values; the operator secret then comes "
      "from the policy's secret_env ($PLATFORM_API_SERVER_TOKEN).\n"
      "The decision is decide()'s own; the explanation is computed around it.\n"
      "Exit status: 0 explained (allowed or denied), 2 usage error or bad policy or tokens file.");
  cmd->callback([opt] { set_exit_code(run_explain(*opt)); });
}

}  // namespace scopegate::cli
