#pragma once
/// A fixed table of user tokens: the resolver behind `policy-check decide`, the
/// tests, the reference server and the C ABI. Servers with a real token store
/// implement TokenResolver themselves.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
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
/// for concurrent `resolve` calls; the grants refer to its own storage. Of
/// two entries with one token, the first wins.
class StaticTokenResolver final : public TokenResolver {
 public:
  explicit StaticTokenResolver(std::vector<UserTokenEntry> users) : users_(std::move(users)) {
    views_.reserve(users_.size());
    std::size_t size = 16;
    while (size < users_.size() * 2) size *= 2;
    slots_.assign(size, Slot{});
    for (const auto& u : users_) {
      const Views& v =
          views_.emplace_back(Views{{u.scopes.begin(), u.scopes.end()}, {u.projects.begin(), u.projects.end()}});
      const std::uint64_t h = hash(u.token);
      std::size_t at = h & (size - 1);
      while (slots_[at].used && slots_[at].token != u.token) at = (at + 1) & (size - 1);
      if (!slots_[at].used) slots_[at] = {h, true, u.token, {u.user_id, v.scopes, v.projects}};
    }
  }
  StaticTokenResolver(const StaticTokenResolver&) = delete;
  StaticTokenResolver& operator=(const StaticTokenResolver&) = delete;

  std::optional<UserGrant> resolve(std::string_view token) const override {
    const std::uint64_t h = hash(token);
    const std::size_t mask = slots_.size() - 1;
    // INVARIANT: the table is at most half full, so the probe meets an empty slot.
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
      const Slot& slot = slots_[at];
      if (!slot.used) return std::nullopt;
      if (slot.hash == h && slot.token == token) return slot.grant;
    }
  }

  const std::vector<UserTokenEntry>& users() const { return users_; }

 private:
  /// A known token with its grant, ready to return: views into users_ and
  /// views_, which never change after construction.
  struct Slot {
    std::uint64_t hash = 0;
    bool used = false;
    std::string_view token;
    UserGrant grant;
  };
  struct Views {
    std::vector<std::string_view> scopes;
    std::vector<std::string_view> projects;
  };

  /// Eight bytes at a time, each word folded in by one multiplication, the
  /// last word overlapping the one before; the high bits, where every product
  /// gathers its inputs, are folded down once at the end. Tokens are long
  /// random strings, and the table holds only the known ones, so a caller's
  /// chosen token can at worst probe past the known tokens that share its slot.
  static std::uint64_t hash(std::string_view s) {
    const auto word = [](const char* p) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      return w;
    };
    constexpr std::uint64_t kOdd = 0xC2B2AE3D27D4EB4Full;
    std::uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
    if (s.size() >= 8) {
      for (std::size_t i = 0; i + 8 < s.size(); i += 8) h = (h ^ word(s.data() + i)) * kOdd;
      h = (h ^ word(s.data() + s.size() - 8)) * kOdd;
    } else {
      for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kOdd;
    }
    h = (h ^ (h >> 29)) * 0x165667B19E3779F9ull;
    return h ^ (h >> 32);
  }

  std::vector<UserTokenEntry> users_;
  std::vector<Views> views_;
  std::vector<Slot> slots_;
};

}  // namespace scopegate
