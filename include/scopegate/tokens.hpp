#pragma once
/// A fixed table of user tokens: the resolver behind `policy-check decide`, the
/// tests, the reference server and the C ABI. Servers with a real token store
/// implement TokenResolver themselves.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scopegate/policy_spec.hpp"
#include "scopegate/resolver.hpp"

namespace scopegate {

struct UserTokenEntry {
  std::string token;
  std::string user_id;
  std::vector<std::string> scopes;
  std::vector<std::string> projects;
  SourcePos pos;
};

/// The tokens file of contract section 8, as data.
struct TokensFile {
  /// Present (even empty) it replaces $PLATFORM_API_SERVER_TOKEN; empty = none.
  std::optional<std::string> operator_token;
  std::vector<UserTokenEntry> users;
};

/// Resolves the tokens of a TokensFile. Immutable after construction, so safe
/// for concurrent `resolve` calls; the grants refer to its own storage.
class StaticTokenResolver final : public TokenResolver {
 public:
  explicit StaticTokenResolver(std::vector<UserTokenEntry> users) : users_(std::move(users)) {
    views_.reserve(users_.size());
    for (std::size_t i = 0; i < users_.size(); ++i) {
      const auto& u = users_[i];
      Views v;
      v.scopes.assign(u.scopes.begin(), u.scopes.end());
      v.projects.assign(u.projects.begin(), u.projects.end());
      views_.push_back(std::move(v));
      by_token_.emplace(u.token, i);
    }
  }
  StaticTokenResolver(const StaticTokenResolver&) = delete;
  StaticTokenResolver& operator=(const StaticTokenResolver&) = delete;

  std::optional<UserGrant> resolve(std::string_view token) const override {
    auto it = by_token_.find(token);
    if (it == by_token_.end()) return std::nullopt;
    const auto& v = views_[it->second];
    return UserGrant{users_[it->second].user_id, v.scopes, v.projects};
  }

  const std::vector<UserTokenEntry>& users() const { return users_; }

 private:
  /// Eight bytes at a time, each word mixed by one multiplication: tokens are
  /// long random strings, and the table holds only the known ones, so a
  /// caller's chosen token can at worst land in a bucket of known tokens.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      std::uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
      std::size_t i = 0;
      for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * 0xC2B2AE3D27D4EB4Full;
        h ^= h >> 29;
      }
      for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x165667B19E3779F9ull;
      return static_cast<std::size_t>(h ^ (h >> 32));
    }
  };
  struct Views {
    std::vector<std::string_view> scopes;
    std::vector<std::string_view> projects;
  };
  std::vector<UserTokenEntry> users_;
  std::vector<Views> views_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> by_token_;
};

}  // namespace scopegate
