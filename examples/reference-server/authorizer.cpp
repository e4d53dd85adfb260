#include "authorizer.hpp"

#include <algorithm>

namespace scopegate::example {

std::optional<Bug> parse_bug(std::string_view name) {
  for (const auto& b : kBugs)
    if (b.name == name) return b.bug;
  return std::nullopt;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Override header names: case-insensitive, `_` the same as `-` (contract §1).
bool iequals_folded(std::string_view a, std::string_view b) {
  auto fold = [](char c) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c == '_' ? '-' : c;
  };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return fold(x) == fold(y); });
}

// trust-actor: believes the actor header of a user token and decides with
// the named user's grant, as a server does that copies the console's
// attribution header into its own user lookup.
class ActorTrustingResolver final : public TokenResolver {
 public:
  ActorTrustingResolver(const StaticTokenResolver& base, std::string_view actor) : base_(base), actor_(actor) {}
  std::optional<UserGrant> resolve(std::string_view token) const override {
    auto grant = base_.resolve(token);
    if (!grant || actor_.empty()) return grant;
    for (const auto& u : base_.users())
      if (u.user_id == actor_) return base_.resolve(u.token);
    return grant;
  }

 private:
  const StaticTokenResolver& base_;
  std::string_view actor_;
};

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const CompiledPolicy> policy, std::vector<UserTokenEntry> users,
                       OperatorSecret secret, std::set<Bug> bugs)
    : policy_(std::move(policy)), users_(users), secret_(std::move(secret)), bugs_(std::move(bugs)) {
  resolver_ = std::make_unique<StaticTokenResolver>(users);
  // read-for-write: `app:read` is taken to imply `app:write`.
  for (auto& u : users) {
    std::vector<std::string> extra;
    for (const auto& s : u.scopes)
      if (s.ends_with(":read")) extra.push_back(s.substr(0, s.size() - 4) + "write");
    u.scopes.insert(u.scopes.end(), extra.begin(), extra.end());
  }
  widened_resolver_ = std::make_unique<StaticTokenResolver>(std::move(users));
}

std::optional<Authorizer> Authorizer::make(std::shared_ptr<const CompiledPolicy> policy, std::vector<UserTokenEntry> users,
                                           OperatorSecret secret, std::set<Bug> bugs, std::string* error) {
  Authorizer a(policy, std::move(users), std::move(secret), std::move(bugs));
  if (a.has(Bug::kNoFamily)) {
    PolicySpec spec = policy->spec();
    spec.operator_prefixes.clear();
    CompileResult r = compile(std::move(spec));
    if (!r.ok()) {
      *error = "the policy without its prefix families does not compile";
      return std::nullopt;
    }
    a.no_family_policy_ = std::move(r.policy);
  }
  return a;
}

const std::vector<std::string>* Authorizer::projects_of(std::string_view user_id) const {
  for (const auto& u : users_)
    if (u.user_id == user_id) return &u.projects;
  return nullptr;
}

const std::string* Authorizer::token_of(std::string_view user_id) const {
  for (const auto& u : users_)
    if (u.user_id == user_id) return &u.token;
  return nullptr;
}

Decision Authorizer::authorize(Inbound& in) const {
  const CompiledPolicy& policy = has(Bug::kNoFamily) ? *no_family_policy_ : *policy_;

  // The request-altering bugs rewrite the request before the engine sees it.
  if (has(Bug::kHonorOverride)) {
    for (auto it = in.headers.begin(); it != in.headers.end();) {
      bool override = iequals_folded(it->first, "X-HTTP-Method-Override") || iequals_folded(it->first, "X-HTTP-Method") ||
                      iequals_folded(it->first, "X-Method-Override");
      if (!override) {
        ++it;
        continue;
      }
      in.method = it->second;
      it = in.headers.erase(it);
    }
  }
  if (has(Bug::kDecodeSlash)) {
    std::size_t end = std::min(in.target.find('?'), in.target.size());
    for (std::size_t i = 0; i + 2 < end; ++i)
      if (in.target[i] == '%' && in.target[i + 1] == '2' && (in.target[i + 2] == 'F' || in.target[i + 2] == 'f')) {
        in.target.replace(i, 3, "/");
        end -= 2;
      }
  }
  if (has(Bug::kUpperCwt)) {
    const std::string& prefix = policy.settings().user.prefix;
    for (auto& [name, value] : in.headers) {
      if (!iequals(name, "Authorization")) continue;
      std::size_t token = value.find(' ');
      if (token == std::string::npos) continue;
      token = value.find_first_not_of(' ', token);
      if (token != std::string::npos && iequals(std::string_view(value).substr(token, prefix.size()), prefix))
        value.replace(token, prefix.size(), prefix);
    }
  }

  in.views.clear();
  std::string_view actor;
  for (const auto& [name, value] : in.headers) {
    in.views.push_back({name, value});
    if (iequals(name, policy.actor_header())) actor = value;
  }
  const StaticTokenResolver& base = has(Bug::kReadForWrite) ? *widened_resolver_ : *resolver_;
  ActorTrustingResolver trusting(base, actor);
  const TokenResolver& resolver = has(Bug::kTrustActor) ? static_cast<const TokenResolver&>(trusting) : base;
  Decision d = decide(policy, Request{in.method, in.target, in.views}, resolver, secret_);

  // The decision-altering bugs overrule the engine afterwards.
  if (has(Bug::kSkipScope) && d.reason == Reason::kInsufficientScope) d.reason = Reason::kGranted;
  if (has(Bug::kSkipMembership) && d.reason == Reason::kNotAMember) d.reason = Reason::kGranted;
  if (has(Bug::kUserStatus) && d.reason == Reason::kOperatorOnly && d.route == "GET /v1/status") d.reason = Reason::kGranted;
  if (has(Bug::kUnauth404) && (d.reason == Reason::kMissingToken || d.reason == Reason::kInvalidToken)) {
    // Routing before authentication: the router has already said 404.
    Principal op;
    op.kind = Principal::Kind::kOperator;
    op.actor = policy.default_actor();
    if (check(policy, in.method, in.target, op).reason == Reason::kNoRoute) d.reason = Reason::kNoRoute;
  }
  return d;
}

}  // namespace scopegate::example
