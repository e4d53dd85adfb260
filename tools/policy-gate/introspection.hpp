#pragma once
// User tokens resolved by an OAuth 2.0 token introspection endpoint (RFC 7662),
// with a cache bounded in entries and in time.
//
// The request: `POST <url>` with `Content-Type: application/x-www-form-urlencoded`,
// body `token=<token>&token_type_hint=access_token`, and the `Authorization`
// header that --introspect-auth-env names, when given. The response: a JSON
// object read as
//   active    true, else the token is unknown (401 invalid_token)
//   sub       the user id; `username` when there is no `sub`; neither: unknown
//   scope     space-separated scope names (RFC 7662 section 2.2)
//   projects  the member project ids, an array of strings (the claim's name is
//             --projects-claim; absent: member of none)
//   exp       seconds since the epoch; the entry is not kept past it
// Any other answer (no connection, a status other than 200, not that JSON) is
// an error: the decision is not cached and the gate answers 503.

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scopegate/resolver.hpp"

namespace scopegate::gate {

/// What the endpoint said about one token. Immutable; the views point into
/// its own strings.
struct IntrospectedToken {
  IntrospectedToken(bool active, std::string user_id, std::vector<std::string> scopes,
                    std::vector<std::string> projects);
  IntrospectedToken(const IntrospectedToken&) = delete;
  IntrospectedToken& operator=(const IntrospectedToken&) = delete;

  bool active;
  std::string user_id;
  std::vector<std::string> scopes;
  std::vector<std::string> projects;
  std::vector<std::string_view> scope_views;
  std::vector<std::string_view> project_views;
};

struct IntrospectionOptions {
  std::string url;                  ///< http:// or https://, with the path
  std::string authorization;        ///< sent as the Authorization header when not empty
  std::string projects_claim = "projects";
  std::size_t cache_size = 10000;   ///< entries, at most kMaxCacheSize
  std::chrono::seconds cache_ttl{60};  ///< at most kMaxCacheTtl; 0: no cache
  std::chrono::milliseconds timeout{2000};

  static constexpr std::size_t kMaxCacheSize = 1'000'000;
  static constexpr std::chrono::seconds kMaxCacheTtl{3600};
};

/// Thread safety: `lookup` may be called from any number of threads at once.
/// Two threads that miss on the same token both ask the endpoint; the later
/// answer is kept.
class Introspector {
 public:
  /// Nullptr and `*error` when the URL is not http(s)://host[:port]/path or a
  /// bound is exceeded.
  static std::unique_ptr<Introspector> make(IntrospectionOptions options, std::string* error);

  struct Result {
    std::shared_ptr<const IntrospectedToken> token;  ///< null on error
    bool cache_hit = false;
  };
  Result lookup(std::string_view token);
  std::size_t cache_entries() const;

 private:
  struct Entry {
    std::string token;
    std::chrono::steady_clock::time_point expires;
    std::shared_ptr<const IntrospectedToken> answer;
  };
  explicit Introspector(IntrospectionOptions options) : options_(std::move(options)) {}
  /// Asks the endpoint; null on error; `*ttl` is how long the answer may be kept.
  std::shared_ptr<const IntrospectedToken> fetch(std::string_view token, std::chrono::seconds* ttl) const;

  IntrospectionOptions options_;
  std::string scheme_host_port_;
  std::string path_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_token_;  // keys view lru_'s tokens
};

/// The resolver of one decision: asks a static table or the introspector and
/// keeps the answer alive for as long as the Decision that refers to it.
class RequestResolver final : public TokenResolver {
 public:
  RequestResolver(const TokenResolver* table, Introspector* introspector)
      : table_(table), introspector_(introspector) {}
  std::optional<UserGrant> resolve(std::string_view token) const override;
  /// True when resolve() met an introspection error: the token is unchecked.
  bool unavailable() const { return unavailable_; }
  /// True when resolve() asked the introspector and it answered from its cache.
  bool cache_hit() const { return cache_hit_; }
  bool introspected() const { return introspected_; }

 private:
  const TokenResolver* table_;
  Introspector* introspector_;
  // One decision calls resolve() at most once, on its own thread.
  mutable std::shared_ptr<const IntrospectedToken> held_;
  mutable bool unavailable_ = false;
  mutable bool cache_hit_ = false;
  mutable bool introspected_ = false;
};

}  // namespace scopegate::gate
