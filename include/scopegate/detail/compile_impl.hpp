#pragma once
// compile(): every check of a PolicySpec, then the matcher. Included by
// compiled_policy.hpp; not a public header.

#include <map>
#include <utility>

namespace scopegate {

struct CompileAccess {
  static CompileResult run(PolicySpec spec);
};

inline CompileResult compile(PolicySpec spec) { return CompileAccess::run(std::move(spec)); }

namespace detail {

constexpr bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// An RFC 9110 token (header names, methods).
constexpr bool is_http_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

/// An actor id of contract section 5: 1-128 of `[A-Za-z0-9_-]`.
constexpr bool is_actor_id(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

constexpr bool is_scope_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
          c == '-' || c == '.'))
      return false;
  }
  return true;
}

/// Where the paths a pattern matches stand against the prefix families
/// (contract section 1, step 6, which compares canonical paths bytewise). A
/// pattern of literals alone matches one path, its own text. Otherwise every
/// matched path starts with its literals before the first parameter and the
/// slash after them, then one or more bytes of the parameter.
inline FamilyMembership family_of(const std::vector<PatternSegment>& segments,
                                  const std::vector<std::string>& prefixes) {
  std::string known;
  bool literals_only = true;
  for (const PatternSegment& s : segments) {
    known += '/';
    if (s.is_param) {
      literals_only = false;
      break;
    }
    known += s.text;
  }
  if (segments.empty()) known = "/";
  FamilyMembership out = FamilyMembership::kNever;
  for (const std::string& prefix : prefixes) {
    if (known.starts_with(prefix)) return FamilyMembership::kAlways;
    if (!literals_only && prefix.starts_with(known)) out = FamilyMembership::kMaybe;
  }
  return out;
}

}  // namespace detail

inline CompileResult CompileAccess::run(PolicySpec spec) {
  CompileResult result;
  auto policy = std::make_shared<CompiledPolicy>();
  auto& diags = result.diagnostics;
  const std::string& file = spec.file;
  auto error = [&](const char* code, SourcePos pos, std::string message, std::string hint,
                   std::optional<SourcePos> related = std::nullopt) {
    diags.push_back(Diagnostic{code, Severity::kError, file, pos, std::move(message), std::move(hint), related});
  };

  // Token classes and policy-wide settings.
  if (spec.user.prefix.empty())
    error("SG110", spec.user.pos, "user token class has an empty prefix", "set `prefix`, e.g. 'cwt_'");
  std::array<bool, 256> charset{};
  if (!detail::parse_charset(spec.user.charset, charset))
    error("SG110", spec.user.pos, "user token charset " + quote(spec.user.charset) + " is not valid",
          "write ranges and characters, e.g. '0-9a-f'");
  if (spec.user.max_length <= spec.user.prefix.size() || spec.user.max_length > 4096)
    error("SG110", spec.user.pos, "user token max_length " + std::to_string(spec.user.max_length) + " is out of range",
          "use a length above the prefix length and at most 4096");
  if (auto user_class = UserTokenClass::from_spec(spec.user)) policy->user_class_ = std::move(*user_class);
  if (spec.operator_class.present) {
    const auto& op = spec.operator_class;
    if (op.secret_env.empty() || op.secret_env.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
      error("SG110", op.pos, "operator secret_env " + quote(op.secret_env) + " is not an environment variable name",
            "use upper-case letters, digits and '_', e.g. PLATFORM_API_SERVER_TOKEN");
    if (!detail::is_http_token(op.actor_header))
      error("SG110", op.pos, "operator actor_header " + quote(op.actor_header) + " is not a header name",
            "use an RFC 9110 token, e.g. X-Comwit-Actor-User-Id");
    if (!detail::is_actor_id(op.default_actor))
      error("SG110", op.pos, "operator default_actor " + quote(op.default_actor) + " is not an actor id",
            "use 1-128 characters of [A-Za-z0-9_-]");
  }
  if (spec.realm.empty() || spec.realm.find_first_of("\"\\") != std::string::npos ||
      std::any_of(spec.realm.begin(), spec.realm.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    error("SG110", {}, "realm " + quote(spec.realm) + " cannot be sent in WWW-Authenticate",
          "use printable text without quotes or backslashes");

  // Scopes, interned in declaration order.
  for (std::size_t i = 0; i < spec.scopes.size(); ++i) {
    const auto& s = spec.scopes[i];
    if (!detail::is_scope_name(s.name)) {
      error("SG114", s.pos, "scope name " + quote(s.name) + " is not valid", "use letters, digits and ':_-.', e.g. 'app:read'");
      continue;
    }
    if (policy->scope_lookup_.find(s.name) >= 0) {
      error("SG113", s.pos, "scope " + quote(s.name) + " is declared twice", "drop one declaration");
      continue;
    }
    if (policy->scope_names_.size() == kMaxScopes) {
      error("SG112", s.pos, "more than " + std::to_string(kMaxScopes) + " scopes", "merge scopes");
      break;
    }
    policy->scope_lookup_.insert(s.name, static_cast<int>(policy->scope_names_.size()));
    policy->scope_names_.push_back(s.name);
  }

  // Operator-only prefix families.
  if (spec.operator_prefixes.size() > kMaxPrefixFamilies)
    error("SG112", spec.operator_prefixes[kMaxPrefixFamilies].pos,
          "more than " + std::to_string(kMaxPrefixFamilies) + " prefix families", "merge families under a shorter prefix");
  for (const auto& f : spec.operator_prefixes) {
    bool valid = f.prefix.size() >= 2 && f.prefix.size() <= kMaxPatternBytes && f.prefix[0] == '/' &&
                 std::all_of(f.prefix.begin(), f.prefix.end(), [](char c) {
                   return c == '/' || detail::is_literal_char(static_cast<unsigned char>(c));
                 });
    if (!valid) {
      error("SG111", f.pos, "prefix family " + quote(f.prefix) + " is not a canonical path prefix",
            "start with '/', name at least one character, use no '%', '{' or '}'");
      continue;
    }
    if (std::find(policy->prefixes_.begin(), policy->prefixes_.end(), f.prefix) != policy->prefixes_.end()) {
      error("SG111", f.pos, "prefix family " + quote(f.prefix) + " is declared twice", "drop one declaration");
      continue;
    }
    policy->prefixes_.push_back(f.prefix);
    CompiledPolicy::PrefixHead head;
    const std::size_t head_bytes = std::min<std::size_t>(f.prefix.size(), 8);
    std::memcpy(&head.word, f.prefix.data(), head_bytes);
    std::memset(&head.mask, 0xFF, head_bytes);
    policy->prefix_heads_.push_back(head);
  }

  // Routes.
  if (spec.routes.size() > kMaxRoutes)
    error("SG112", spec.routes[kMaxRoutes].pos, "more than " + std::to_string(kMaxRoutes) + " routes",
          "split the policy");
  const std::size_t route_count = std::min(spec.routes.size(), kMaxRoutes);
  policy->routes_.reserve(route_count);
  policy->sources_.reserve(route_count);
  // Reserved whole, so that the views taken into it stay valid. Each text
  // is followed by a NUL, which the C API hands out as the string's end.
  std::size_t text_bytes = 0;
  for (std::size_t i = 0; i < route_count; ++i)
    text_bytes += method_name(spec.routes[i].method).size() + 1 + spec.routes[i].pattern.size() + 1 +
                  spec.routes[i].description.size() + 1;
  policy->text_.reserve(text_bytes);
  const auto keep_text = [&](std::string_view text) {
    const std::size_t offset = policy->text_.size();
    policy->text_.append(text);
    policy->text_.push_back('\0');
    return std::string_view(policy->text_).substr(offset, text.size());
  };
  for (std::size_t i = 0; i < route_count; ++i) {
    const RouteSpec& r = spec.routes[i];
    const std::string display = std::string(method_name(r.method)) + " " + r.pattern;
    bool route_ok = true;

    detail::ParsedPattern parsed = detail::parse_pattern(r.pattern, kMaxPatternBytes, kMaxPatternSegments);
    if (!parsed.ok()) {
      SourcePos at = r.pattern_pos;
      error(parsed.bound_exceeded ? "SG112" : "SG104", at, "route " + printable(display) + ": " + parsed.error,
            parsed.bound_exceeded ? "shorten the pattern"
                                  : "write segments as literals or {name} parameters separated by single '/'");
      continue;
    }
    switch (r.auth) {
      case RouteAuth::kScope:
        if (r.scope.empty()) {
          error("SG106", r.pos, "route " + printable(display) + " has no scope and is neither public nor operator-only",
                "add `scope:`, or `auth: none`, or `operator_only: true`");
          route_ok = false;
        } else if (policy->scope_lookup_.find(r.scope) < 0) {
          error("SG101", r.scope_pos.line ? r.scope_pos : r.pos,
                "route " + printable(display) + " names unknown scope " + quote(r.scope), "declare it under `scopes:` or fix the name");
          route_ok = false;
        }
        break;
      case RouteAuth::kPublic:
      case RouteAuth::kOperatorOnly:
        if (!r.scope.empty()) {
          error("SG109", r.scope_pos.line ? r.scope_pos : r.pos,
                "route " + printable(display) + " is " + (r.auth == RouteAuth::kPublic ? "public" : "operator-only") +
                    " and also names scope " + quote(r.scope),
                "drop the scope or the other setting");
          route_ok = false;
        }
        break;
    }
    int project_segment = -1;
    if (!r.project_param.empty()) {
      project_segment = parsed.param_index(r.project_param);
      if (project_segment < 0) {
        error("SG105", r.project_pos.line ? r.project_pos : r.pattern_pos,
              "route " + printable(display) + " checks project parameter " + quote(r.project_param) + " that its pattern lacks",
              "add {" + r.project_param + "} to the pattern or drop `project:`");
        route_ok = false;
      }
    }

    const std::uint32_t node = policy->trie_.node_for(parsed.segments);
    const std::uint32_t existing = policy->trie_.route_at(node, r.method);
    if (existing != detail::kNoIndex) {
      const RouteSpec& other = spec.routes[policy->routes_[existing].spec_index];
      if (other.pattern == r.pattern)
        error("SG102", r.pos, "duplicate route " + display, "drop one of the two entries", other.pos);
      else
        error("SG103", r.pos,
              "route " + printable(display) + " matches the same paths as " + printable(policy->routes_[existing].display),
              "rename one parameter to match the other or drop a route", other.pos);
      continue;
    }
    // A route with other errors still enters the trie, so that a later
    // duplicate or overlap is reported too; any error discards the policy.
    CompiledRoute cr;
    cr.method = r.method;
    cr.auth = r.auth;
    cr.hidden = r.hidden;
    cr.display = keep_text(display);
    cr.scope_index = route_ok && r.auth == RouteAuth::kScope
                         ? static_cast<std::uint32_t>(policy->scope_lookup_.find(r.scope))
                         : 0;
    if (route_ok && r.auth == RouteAuth::kScope) cr.scope = policy->scope_names_[cr.scope_index];
    cr.project_segment = project_segment;
    cr.family = family_of(parsed.segments, policy->prefixes_);
    cr.spec_index = i;
    CompiledPolicy::RouteSource source;
    const std::string_view description = keep_text(r.description);
    source.description_offset = static_cast<std::uint32_t>(description.data() - policy->text_.data());
    source.description_length = static_cast<std::uint32_t>(description.size());
    if (project_segment >= 0) {
      // INVARIANT: the pattern has the parameter (project_segment >= 0), and
      // a pattern is at most kMaxPatternBytes long, so offsets fit 16 bits.
      const std::size_t brace = cr.display.find("{" + r.project_param + "}");
      source.project_param_offset = static_cast<std::uint16_t>(brace + 1);
      source.project_param_length = static_cast<std::uint16_t>(r.project_param.size());
    }
    source.pos = r.pos;
    source.method_pos = r.method_pos;
    source.pattern_pos = r.pattern_pos;
    source.scope_pos = r.scope_pos;
    source.project_pos = r.project_pos;
    policy->sources_.push_back(source);
    policy->trie_.set_route(node, r.method, static_cast<std::uint32_t>(policy->routes_.size()),
                            r.auth == RouteAuth::kOperatorOnly);
    policy->routes_.push_back(std::move(cr));
  }

  sort_diagnostics(diags);
  if (has_errors(diags)) return result;
  policy->trie_.finish();
  // The routes live on compactly in the policy; spec() rebuilds them.
  spec.routes.clear();
  spec.routes.shrink_to_fit();
  policy->settings_ = std::move(spec);
  result.policy = std::move(policy);
  return result;
}

}  // namespace scopegate
