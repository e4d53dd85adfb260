#include "probes.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "case_file.hpp"
#include "scopegate/canonical.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/render.hpp"
#include "scopegate/tokens.hpp"
#include "scopegate/yaml.hpp"

namespace scopegate::live {

bool is_write(std::string_view method) { return method != "GET" && method != "HEAD"; }

namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A project id that no deployment is expected to have: the non-member
// project when the tokens file names no other one.
constexpr std::string_view kPlaceholderProject = "prj_scopegate_probe";
// Methods probed beside a path's declared ones. OPTIONS is left out: the
// contract lets a server answer CORS preflight before the engine decides.
constexpr std::string_view kProbeMethods[] = {"CONNECT", "DELETE", "GET", "PATCH", "POST", "PUT", "TRACE"};

bool holds(const LiveUser& u, std::string_view scope) {
  return std::find(u.scopes.begin(), u.scopes.end(), scope) != u.scopes.end();
}

bool member_of(const LiveUser& u, std::string_view project) {
  return std::find(u.projects.begin(), u.projects.end(), project) != u.projects.end();
}

// A project id can stand in a path only when it is one canonical segment.
bool path_safe(std::string_view project) {
  if (project.empty() || project.find('/') != std::string_view::npos) return false;
  std::string path = "/" + std::string(project);
  auto canonical = canonical_path(path);
  return canonical && *canonical == path;
}

std::optional<std::string> member_project(const LiveUser& u) {
  for (const auto& p : u.projects)
    if (path_safe(p)) return p;
  return std::nullopt;
}

HeaderList bearer(std::string_view token) { return {{"Authorization", "Bearer " + std::string(token)}}; }

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

std::string to_upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}

// The rule a probe checks when it was planned for its situation rather than
// for one rule: the step that decides it.
const char* rule_for(Reason r) {
  switch (r) {
    case Reason::kMalformedPath: return "§3 canonical request-target";
    case Reason::kMethodOverride: return rule::kMethodOverride;
    case Reason::kUrlOverride: return "§1 step 1c";
    case Reason::kPublic: return rule::kPublic;
    case Reason::kInvalidRequest: return "§1 step 3";
    case Reason::kMissingToken: return rule::kMissingToken;
    case Reason::kInvalidToken: return rule::kInvalidToken;
    case Reason::kOperatorOnly: return rule::kOperatorOnly;
    case Reason::kNoRoute: return rule::kNoRoute;
    case Reason::kMethodNotAllowed: return rule::kMethodNotAllowed;
    case Reason::kInvalidActor: return rule::kInvalidActor;
    case Reason::kOperatorBypass: return rule::kOperator;
    case Reason::kInsufficientScope: return rule::kScope;
    case Reason::kNotAMember: return rule::kMembership;
    case Reason::kGranted: return rule::kGranted;
  }
  return "§1";
}

Expected to_expected(const Decision& d, std::string_view realm) {
  Expected e;
  e.reason = d.reason;
  e.route = std::string(d.route);
  e.www_authenticate = www_authenticate(d, realm);
  if (d.reason == Reason::kMethodNotAllowed)
    for (std::size_t i = 0; i < kMethodCount; ++i)
      if (d.allowed_methods & (1u << i)) e.allow_methods.emplace_back(kMethodNames[i]);
  return e;
}

bool same_response(const Expected& a, const Expected& b) {
  return a.reason == b.reason && a.www_authenticate == b.www_authenticate && a.allow_methods == b.allow_methods;
}

// HTTP/1.1 cannot carry every case request as written: the request line
// splits on spaces and ends at CR LF, header names are tokens, and a field
// value holds no CR, LF or NUL. Such requests are left out, not altered.
bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool sendable(const conformance::CaseRequest& r) {
  if (!is_token(r.method) || r.target.empty()) return false;
  for (char c : r.target)
    if (static_cast<unsigned char>(c) <= 0x20) return false;
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name)) return false;
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return false;
  }
  return true;
}

// A server sees a field value without its surrounding spaces and tabs
// (RFC 9112 section 5), so the expectation is decided on that value.
std::string trim_ows(std::string_view v) {
  auto b = v.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = v.find_last_not_of(" \t");
  return std::string(v.substr(b, e - b + 1));
}

std::vector<std::string> case_files(const std::vector<std::string>& paths, std::string* error) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(p, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      *error = p + ": no such case file or folder";
      return {};
    }
  }
  return files;
}

// `conformance/cases/x.yaml:12` rather than a machine's absolute path.
std::string display_path(const std::string& path) {
  auto at = path.find("conformance/cases/");
  return at == std::string::npos ? path : path.substr(at);
}

// Replaces each fixture secret, longest first, with the run's counterpart.
std::string substitute(std::string_view text, const std::vector<std::pair<std::string, std::string>>& subs,
                       bool* used) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool hit = false;
    for (const auto& [from, to] : subs) {
      if (text.substr(i, from.size()) == from) {
        out += to;
        i += from.size();
        *used = true;
        hit = true;
        break;
      }
    }
    if (!hit) out += text[i++];
  }
  return out;
}

class Planner {
 public:
  Planner(const CompiledPolicy& policy, const PlanInput& input) : policy_(policy), input_(input) {
    for (const auto& u : input.users) {
      if (!u.grants_known) {
        own_unknown_ = &u;
        continue;
      }
      known_.push_back(&u);
      for (const auto& p : u.projects)
        if (path_safe(p) && std::find(projects_.begin(), projects_.end(), p) == projects_.end()) projects_.push_back(p);
    }
    richest_ = pick_richest();
  }

  std::optional<Plan> run(std::string* error) {
    for (std::size_t i = 0; i < policy_.routes().size(); ++i) route_probes(i);
    method_probes();
    path_probes();
    token_probes();
    if (!input_.cases.paths.empty() && !case_probes(error)) return std::nullopt;
    return finish(error);
  }

 private:
  // A user the probes use, with the project that stands in its paths.
  struct Caller {
    const LiveUser* user = nullptr;
    std::string project;
  };

  const LiveUser* pick_richest() const {
    const LiveUser* best = nullptr;
    std::size_t best_scopes = 0;
    bool best_member = false;
    for (const LiveUser* u : known_) {
      std::size_t n = 0;
      for (const auto& s : policy_.scopes()) n += holds(*u, s) ? 1 : 0;
      bool member = member_project(*u).has_value();
      if (!best || n > best_scopes || (n == best_scopes && member && !best_member)) {
        best = u;
        best_scopes = n;
        best_member = member;
      }
    }
    return best;
  }

  // The callers of probes whose outcome holds for any scopes and projects:
  // the best-equipped known user, and the own token when its grants are unknown.
  std::vector<Caller> plain_callers() const {
    std::vector<Caller> out;
    if (richest_) out.push_back({richest_, member_project(*richest_).value_or(std::string(kPlaceholderProject))});
    if (own_unknown_) {
      std::string project = input_.project && path_safe(*input_.project) ? *input_.project : std::string(kPlaceholderProject);
      out.push_back({own_unknown_, project});
    }
    return out;
  }

  std::string any_project() const { return projects_.empty() ? std::string(kPlaceholderProject) : projects_.front(); }

  std::string describe(const LiveUser& u) const {
    return u.grants_known ? u.user_id : std::string("the --token user");
  }

  // A path on which `route` is the route its method chooses: the project
  // parameter is `project`, every other parameter `probe_<name>`, lengthened
  // while a literal of another route would take the path instead.
  std::optional<std::string> route_target(std::size_t index, std::string_view project) const {
    const CompiledRoute& r = policy_.routes()[index];
    const std::string& pattern = policy_.spec().routes[r.spec_index].pattern;
    Principal op;
    op.kind = Principal::Kind::kOperator;
    op.actor = policy_.default_actor();
    for (std::string pad; pad.size() < 4; pad += '_') {
      std::string out;
      int segment = 0;
      std::size_t pos = 1;
      while (pos <= pattern.size()) {
        std::size_t end = pattern.find('/', pos);
        if (end == std::string::npos) end = pattern.size();
        std::string_view seg = std::string_view(pattern).substr(pos, end - pos);
        out += '/';
        if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
          out += segment == r.project_segment ? std::string(project)
                                              : "probe_" + std::string(seg.substr(1, seg.size() - 2)) + pad;
        } else {
          out += seg;
        }
        ++segment;
        pos = end + 1;
      }
      if (check(policy_, method_name(r.method), out, op).route == r.display) return out;
    }
    return std::nullopt;
  }

  void add(const char* rule, std::string note, std::string_view method, std::string target, HeaderList headers,
           std::string source = "generated") {
    Probe p;
    p.rule = rule ? rule : "";
    p.note = std::move(note);
    p.source = std::move(source);
    p.method = std::string(method);
    p.target = std::move(target);
    p.headers = std::move(headers);
    probes_.push_back(std::move(p));
  }

  void note(std::string text) {
    if (std::find(notes_.begin(), notes_.end(), text) == notes_.end()) notes_.push_back(std::move(text));
  }

  const LiveUser* first_known(auto&& pred) const {
    for (const LiveUser* u : known_)
      if (pred(*u)) return u;
    return nullptr;
  }

  void route_probes(std::size_t index) {
    const CompiledRoute& r = policy_.routes()[index];
    const std::string_view method = method_name(r.method);
    const std::string hidden = r.hidden ? " (hidden alias)" : "";
    const auto anonymous = route_target(index, any_project());
    if (!anonymous) {
      note("route " + std::string(r.display) + ": no path chooses it, so it is not probed");
      return;
    }
    add(nullptr, "anonymous", method, *anonymous, {});

    std::optional<Caller> granted;  // a caller the route admits, for the probes that vary a granted request
    switch (r.auth) {
      case RouteAuth::kPublic:
        add(rule::kPublic, "a Bearer header with no token, which a public route never reads", method, *anonymous,
            {{"Authorization", "Bearer"}});
        granted = Caller{};
        break;
      case RouteAuth::kOperatorOnly:
        for (const Caller& c : plain_callers())
          if (auto t = route_target(index, c.project))
            add(rule::kOperatorOnly, describe(*c.user) + ", a user token" + hidden, method, *t, bearer(c.user->token));
        break;
      case RouteAuth::kScope:
        granted = scoped_probes(index);
        break;
    }
    // A public route is decided before any header is read: operator
    // variants of it would only repeat the anonymous probe.
    if (input_.operator_token && r.auth != RouteAuth::kPublic) {
      operator_probes(index, hidden);
      if (r.auth == RouteAuth::kOperatorOnly) granted = Caller{};
    }
    if (r.method == Method::kGet && granted) granted_variants(index, *granted);
    lowercase_probe(index, granted);
  }

  std::optional<Caller> scoped_probes(std::size_t index) {
    const CompiledRoute& r = policy_.routes()[index];
    const std::string_view method = method_name(r.method);
    const std::string scope(r.scope);
    const bool project_route = r.project_segment >= 0;
    std::optional<Caller> granted;

    const LiveUser* holder = first_known([&](const LiveUser& u) {
      return holds(u, scope) && (!project_route || member_project(u));
    });
    if (holder) {
      Caller c{holder, project_route ? *member_project(*holder) : any_project()};
      if (auto t = route_target(index, c.project)) {
        add(rule::kGranted, holder->user_id + ", holding " + scope + (project_route ? ", member of " + c.project : ""),
            method, *t, bearer(holder->token));
        granted = c;
      }
    } else {
      note("no user in the tokens file holds " + scope + (project_route ? " and is a member of a project" : "") +
           ": granted requests under it are not probed");
    }

    if (project_route) {
      if (const LiveUser* h = first_known([&](const LiveUser& u) { return holds(u, scope); })) {
        std::string other(kPlaceholderProject);
        for (const auto& p : projects_)
          if (!member_of(*h, p)) {
            other = p;
            break;
          }
        if (auto t = route_target(index, other))
          add(rule::kMembership, h->user_id + ", holding " + scope + ", not a member of " + other, method, *t,
              bearer(h->token));
      }
    }

    // Prefer the user with the fewest scopes, so that the probe fails for the
    // missing scope and not for some other scope it happens to hold.
    const LiveUser* lacking = nullptr;
    for (const LiveUser* u : known_)
      if (!holds(*u, scope) && (!project_route || member_project(*u)) &&
          (!lacking || u->scopes.size() < lacking->scopes.size()))
        lacking = u;
    if (lacking) {
      std::string project = project_route ? *member_project(*lacking) : any_project();
      if (auto t = route_target(index, project))
        add(rule::kScope, lacking->user_id + ", lacking " + scope + (project_route ? ", member of " + project : ""),
            method, *t, bearer(lacking->token));
    } else {
      note("no user in the tokens file lacks " + scope + ": its denial is not probed");
    }

    if (is_write(method)) implication_probe(index);
    if (project_route) actor_spoofing_probe(index);
    return granted;
  }

  // A write route's scope is not implied by the resource's other scopes:
  // `app:read` grants no `app:write`.
  void implication_probe(std::size_t index) {
    const CompiledRoute& r = policy_.routes()[index];
    const std::string scope(r.scope);
    const std::string resource = scope.substr(0, scope.find(':') + 1);
    const std::string read = resource + "read";
    const bool project_route = r.project_segment >= 0;
    auto fits = [&](const LiveUser& u, bool read_only) {
      if (holds(u, scope) || (project_route && !member_project(u))) return false;
      if (read_only) return holds(u, read);
      return std::any_of(u.scopes.begin(), u.scopes.end(), [&](const std::string& s) { return s.starts_with(resource); });
    };
    const LiveUser* u = first_known([&](const LiveUser& x) { return fits(x, true); });
    if (!u) u = first_known([&](const LiveUser& x) { return fits(x, false); });
    if (!u) {
      note("no user holds another " + resource + " scope without " + scope + ": its implication is not probed");
      return;
    }
    std::string project = project_route ? *member_project(*u) : any_project();
    if (auto t = route_target(index, project))
      add(rule::kNoImplication, u->user_id + ", holding " + (holds(*u, read) ? read : "another " + resource + " scope") +
                                   " but not " + scope,
          method_name(r.method), *t, bearer(u->token));
  }

  // A user names, in the actor header, a member of a project it is not a
  // member of itself; membership must stay the token user's.
  void actor_spoofing_probe(std::size_t index) {
    const CompiledRoute& r = policy_.routes()[index];
    for (const LiveUser* h : known_) {
      if (!holds(*h, r.scope)) continue;
      for (const LiveUser* m : known_) {
        if (m->user_id == h->user_id || !holds(*m, r.scope)) continue;
        for (const auto& p : m->projects) {
          if (member_of(*h, p) || !path_safe(p)) continue;
          auto t = route_target(index, p);
          if (!t) return;
          HeaderList headers = bearer(h->token);
          headers.emplace_back(std::string(policy_.actor_header()), m->user_id);
          add(rule::kActorNeverTrusted,
              h->user_id + ", not a member of " + p + ", naming member " + m->user_id + " in the actor header",
              method_name(r.method), *t, std::move(headers));
          return;
        }
      }
    }
    note("no two users hold " + std::string(r.scope) + " with one a member of a project the other is not: actor spoofing is not "
         "probed on its routes");
  }

  void operator_probes(std::size_t index, const std::string& hidden) {
    const CompiledRoute& r = policy_.routes()[index];
    auto t = route_target(index, any_project());
    if (!t) return;
    const std::string_view method = method_name(r.method);
    const std::string actor_header(policy_.actor_header());
    const std::string actor = known_.empty() ? "usr_scopegate_probe" : known_.front()->user_id;
    add(nullptr, "operator" + hidden, method, *t, bearer(*input_.operator_token));
    HeaderList acting = bearer(*input_.operator_token);
    acting.emplace_back(actor_header, actor);
    add(rule::kOperatorActor, "operator acting for " + actor + hidden, method, *t, std::move(acting));
    HeaderList malformed = bearer(*input_.operator_token);
    malformed.emplace_back(actor_header, "usr_a,usr_b");
    add(nullptr, "operator with a comma-joined actor header" + hidden, method, *t, std::move(malformed));
  }

  // Variations of a GET request the route grants, each of which must change
  // the outcome exactly as the contract says.
  void granted_variants(std::size_t index, const Caller& c) {
    const CompiledRoute& r = policy_.routes()[index];
    HeaderList headers;
    std::string who;
    if (c.user) {
      headers = bearer(c.user->token);
      who = c.user->user_id;
    } else if (r.auth == RouteAuth::kOperatorOnly) {
      headers = bearer(*input_.operator_token);
      who = "operator";
    } else {
      who = "anonymous";
    }
    auto t = route_target(index, c.user ? c.project : any_project());
    if (!t) return;

    add(rule::kHead, who + ", HEAD of a granted GET", "HEAD", *t, headers);
    if (r.auth != RouteAuth::kPublic) add(rule::kHead, "anonymous, HEAD", "HEAD", *t, {});

    std::string slashed = *t;
    slashed.replace(slashed.rfind('/'), 1, "%2F");
    add(rule::kEncodedSlash, who + ", the last / sent as %2F", "GET", slashed, headers);

    add(rule::kTrailingSlash, who + ", a trailing slash", "GET", *t + "/", headers);

    HeaderList overridden = headers;
    overridden.emplace_back("X-HTTP-Method-Override", "DELETE");
    add(rule::kMethodOverride, who + ", X-HTTP-Method-Override: DELETE", "GET", *t, std::move(overridden));

    const std::string& prefix = policy_.spec().user.prefix;
    if (c.user && to_upper(prefix) != prefix && c.user->token.starts_with(prefix)) {
      std::string upper = to_upper(prefix) + c.user->token.substr(prefix.size());
      add(rule::kUserClass, who + "'s token with its prefix in upper case", "GET", *t, bearer(upper));
    }
  }

  void lowercase_probe(std::size_t index, const std::optional<Caller>& granted) {
    const CompiledRoute& r = policy_.routes()[index];
    const std::string lower = to_lower(std::string(method_name(r.method)));
    std::optional<Caller> c = granted && granted->user ? granted : std::nullopt;
    if (!c) {
      auto callers = plain_callers();
      if (callers.empty()) return;
      c = callers.front();
    }
    if (auto t = route_target(index, c->project))
      add(rule::kMethodCase, describe(*c->user) + ", method " + lower, lower, *t, bearer(c->user->token));
  }

  // Every path of a pattern with the methods it does not declare: 405 (or
  // 403 under an operator-only path) once authenticated, 401 before.
  void method_probes() {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < policy_.routes().size(); ++i) {
      const CompiledRoute& r = policy_.routes()[i];
      const std::string& pattern = policy_.spec().routes[r.spec_index].pattern;
      if (!seen.insert(pattern).second) continue;
      std::set<std::string_view> declared;
      for (const auto& other : policy_.routes())
        if (policy_.spec().routes[other.spec_index].pattern == pattern) declared.insert(method_name(other.method));
      // Users get every undeclared method; the operator and anonymous
      // callers, whose path through the decision does not depend on the
      // method, get the first one.
      bool first = true;
      for (std::string_view m : kProbeMethods) {
        if (declared.count(m)) continue;
        for (const Caller& c : plain_callers())
          if (auto t = route_target(i, c.project))
            add(nullptr, describe(*c.user) + ", a method the path does not declare", m, *t, bearer(c.user->token));
        auto t = route_target(i, any_project());
        if (!t || !first) continue;
        first = false;
        if (input_.operator_token)
          add(nullptr, "operator, a method the path does not declare", m, *t, bearer(*input_.operator_token));
        if (r.auth != RouteAuth::kPublic) add(rule::kAuthBeforeRoute, "anonymous, a method the path does not declare", m, *t, {});
      }
    }
  }

  // A path that no route matches, and paths inside each operator-only
  // prefix family that no route matches.
  void path_probes() {
    Principal op;
    op.kind = Principal::Kind::kOperator;
    op.actor = policy_.default_actor();
    auto unmatched = [&](const std::string& path) { return check(policy_, "GET", path, op).reason == Reason::kNoRoute; };

    std::string nowhere = "/v1/scopegate-probe";
    while (!unmatched(nowhere) || policy_.in_operator_family(nowhere)) nowhere += "-x";
    add(rule::kAuthBeforeRoute, "anonymous, a path no route matches", "GET", nowhere, {});
    if (auto unknown = unknown_user_token())
      add(rule::kAuthBeforeRoute, "an unknown token of the user class, a path no route matches", "GET", nowhere,
          bearer(*unknown));
    for (const Caller& c : plain_callers())
      add(rule::kNoRoute, describe(*c.user) + ", a path no route matches", "GET", nowhere, bearer(c.user->token));
    if (input_.operator_token)
      add(rule::kNoRoute, "operator, a path no route matches", "GET", nowhere, bearer(*input_.operator_token));

    for (const auto& prefix : policy_.operator_prefixes()) {
      for (std::string path : {prefix + "-scopegate-probe", prefix + "/scopegate-probe/x"}) {
        if (!path.starts_with("/") || !unmatched(path)) continue;
        for (const Caller& c : plain_callers())
          add(rule::kFamily, describe(*c.user) + ", inside the " + prefix + "* family, no route", "GET", path,
              bearer(c.user->token));
        add(rule::kMissingToken, "anonymous, inside the " + prefix + "* family", "GET", path, {});
        if (input_.operator_token)
          add(rule::kNoRoute, "operator, inside the " + prefix + "* family, no route", "GET", path,
              bearer(*input_.operator_token));
      }
    }
  }

  // A token of the user class that no user of the run holds.
  std::optional<std::string> unknown_user_token() const {
    const std::string& prefix = policy_.spec().user.prefix;
    for (std::string_view body : {"5c09e6a7e1f2d3b4a5968778695a4b3c", "PROBE5c09e6a7", "probe"}) {
      std::string t = prefix + std::string(body);
      bool held = std::any_of(input_.users.begin(), input_.users.end(), [&](const LiveUser& u) { return u.token == t; });
      if (policy_.user_class().matches(t) && !held) return t;
    }
    return std::nullopt;
  }

  // Token-level probes on the first GET route under a scope.
  void token_probes() {
    for (std::size_t i = 0; i < policy_.routes().size(); ++i) {
      const CompiledRoute& r = policy_.routes()[i];
      if (r.auth != RouteAuth::kScope || r.method != Method::kGet) continue;
      auto t = route_target(i, any_project());
      if (!t) continue;
      if (auto unknown = unknown_user_token())
        add(rule::kInvalidToken, "an unknown token of the user class", "GET", *t, bearer(*unknown));
      add(rule::kOtherScheme, "Basic credentials", "GET", *t, {{"Authorization", "Basic dXNlcjpwYXNz"}});
      if (!plain_callers().empty()) {
        const Caller c = plain_callers().front();
        if (auto own = route_target(i, c.project))
          add(rule::kMethodOverride, describe(*c.user) + ", ?_method=DELETE", "GET", *own + "?_method=DELETE",
              bearer(c.user->token));
      }
      return;
    }
  }

  bool case_probes(std::string* error) {
    auto files = case_files(input_.cases.paths, error);
    if (!error->empty()) return false;
    std::vector<Caller> callers = plain_callers();
    const LiveUser* primary = callers.empty() ? nullptr : callers.front().user;
    std::size_t other_policy = 0, need_operator = 0, need_user = 0;
    for (const auto& path : files) {
      conformance::CaseFileResult parsed = conformance::parse_case_file(path);
      if (!parsed.file) {
        *error = parsed.errors.empty() ? path + ": cannot read the case file" : parsed.errors.front();
        return false;
      }
      const conformance::CaseFile& file = *parsed.file;
      if (!file.policy.empty()) {
        other_policy += file.cases.size();
        continue;
      }
      std::string fixture = input_.cases.fixtures_dir + "/" + file.tokens + ".yaml";
      TokensResult tokens = load_tokens_file(fixture, policy_.spec());
      if (!tokens.tokens) {
        *error = tokens.diagnostics.empty() ? fixture + ": cannot read the tokens fixture"
                                            : tokens.diagnostics.front().format();
        return false;
      }
      std::vector<std::pair<std::string, std::string>> user_subs, operator_subs;
      if (primary)
        for (const auto& u : tokens.tokens->users) user_subs.emplace_back(u.token, primary->token);
      if (tokens.tokens->operator_token && !tokens.tokens->operator_token->empty())
        operator_subs.emplace_back(*tokens.tokens->operator_token, input_.operator_token.value_or(""));
      auto longest_first = [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); };
      std::sort(user_subs.begin(), user_subs.end(), longest_first);

      for (const conformance::Case& k : file.cases) {
        if (!sendable(k.request)) {
          ++unsendable_;
          continue;
        }
        bool used_operator = false, used_user = false;
        auto swap_in = [&](std::string_view s) {
          return substitute(substitute(s, operator_subs, &used_operator), user_subs, &used_user);
        };
        std::string target = swap_in(k.request.target);
        HeaderList headers;
        for (const auto& [name, value] : k.request.headers) headers.emplace_back(name, trim_ows(swap_in(value)));
        if (used_operator && !input_.operator_token) {
          ++need_operator;
          continue;
        }
        // A fixture user token left in place would be unknown to the deployment.
        bool stray_user = !primary && std::any_of(tokens.tokens->users.begin(), tokens.tokens->users.end(),
                                                  [&](const UserTokenEntry& u) {
                                                    auto in = [&](std::string_view s) { return s.find(u.token) != std::string_view::npos; };
                                                    if (in(target)) return true;
                                                    for (const auto& h : headers)
                                                      if (in(h.second)) return true;
                                                    return false;
                                                  });
        if (stray_user) {
          ++need_user;
          continue;
        }
        add(k.rule.c_str(), k.note, k.request.method, std::move(target), std::move(headers),
            display_path(path) + ":" + std::to_string(k.line));
      }
    }
    if (other_policy) note(std::to_string(other_policy) + " case requests written for another policy are not replayed");
    if (need_operator)
      note(std::to_string(need_operator) + " case requests need the operator token, which $" +
           policy_.spec().operator_class.secret_env + " does not hold");
    if (need_user) note(std::to_string(need_user) + " case requests need a user token, and the run holds none");
    return true;
  }

  std::optional<Plan> finish(std::string* error) {
    std::string secret_error;
    auto secret = OperatorSecret::make(input_.operator_token.value_or(""), policy_, &secret_error);
    if (!secret) {
      *error = "$" + policy_.spec().operator_class.secret_env + ": " + secret_error;
      return std::nullopt;
    }
    // Two resolvers that differ only in the own token's unknown grants: every
    // scope and its project, or nothing. A probe both decide alike has an
    // outcome that cannot depend on those grants.
    std::vector<UserTokenEntry> full, empty;
    for (const LiveUser* u : known_) {
      UserTokenEntry e{u->token, u->user_id, u->scopes, u->projects, {}};
      full.push_back(e);
      empty.push_back(e);
    }
    if (own_unknown_) {
      full.push_back({own_unknown_->token, "usr_own", policy_.scopes(),
                      {input_.project.value_or(std::string(kPlaceholderProject))}, {}});
      empty.push_back({own_unknown_->token, "usr_own", {}, {}, {}});
    }
    StaticTokenResolver full_resolver(std::move(full)), empty_resolver(std::move(empty));

    Plan plan;
    plan.unsendable = unsendable_;
    std::set<std::string> seen;
    for (Probe& p : probes_) {
      std::string key = p.method + '\n' + p.target;
      for (const auto& [n, v] : p.headers) key += '\n' + n + ':' + v;
      if (!seen.insert(key).second) {
        ++plan.duplicates;
        continue;
      }
      std::vector<Header> headers;
      for (const auto& [n, v] : p.headers) headers.push_back({n, v});
      Request request{p.method, p.target, headers};
      Expected a = to_expected(decide(policy_, request, full_resolver, *secret), policy_.realm());
      Expected b = to_expected(decide(policy_, request, empty_resolver, *secret), policy_.realm());
      if (!same_response(a, b)) {
        ++plan.grant_dependent;
        continue;
      }
      p.expected = std::move(a);
      if (p.rule.empty()) p.rule = rule_for(p.expected.reason);
      p.held_back = p.expected.allow() && is_write(p.method) && !input_.allow_writes;
      plan.probes.push_back(std::move(p));
    }
    for (std::size_t i = 0; i < plan.probes.size(); ++i) {
      std::string n = std::to_string(i + 1);
      plan.probes[i].id = "p" + std::string(n.size() < 4 ? 4 - n.size() : 0, '0') + n;
    }
    plan.notes = std::move(notes_);
    return plan;
  }

  const CompiledPolicy& policy_;
  const PlanInput& input_;
  std::vector<const LiveUser*> known_;
  const LiveUser* own_unknown_ = nullptr;
  const LiveUser* richest_ = nullptr;
  std::vector<std::string> projects_;  ///< every path-safe project of the known users, in file order
  std::vector<Probe> probes_;
  std::vector<std::string> notes_;
  std::size_t unsendable_ = 0;
};

}  // namespace

std::optional<Plan> build_plan(const CompiledPolicy& policy, const PlanInput& input, std::string* error) {
  error->clear();
  return Planner(policy, input).run(error);
}

}  // namespace scopegate::live
