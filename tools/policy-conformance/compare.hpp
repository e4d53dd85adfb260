#pragma once
/// Judging a server's response against the engine's decision: the status,
/// and for a denial the WWW-Authenticate challenge, the Allow list and the
/// error body's `code` of contract section 7.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes.hpp"
#include "transport.hpp"

namespace scopegate::live {

/// The statuses that pass for an allowed probe: `2xx,404` by default, since
/// the resource layer may not know the probe's made-up ids.
class StatusSet {
 public:
  /// Parses `2xx,404`: three-digit statuses and `Nxx` classes, comma-separated.
  static std::optional<StatusSet> parse(std::string_view text, std::string* error);
  bool contains(long status) const;
  const std::string& text() const { return text_; }

 private:
  std::vector<std::pair<long, long>> ranges_;
  std::string text_;
};

struct Verdict {
  enum class Kind { kPass, kFail, kError, kHeldBack, kNotSent };
  Kind kind = Kind::kNotSent;
  /// One line per difference: `status: want 403 not_a_member, got 200`.
  std::vector<std::string> differences;
};

/// Judges one probe's exchange. `secrets` are the run's tokens: a denial's
/// response must not echo any of them (section 7). Pure.
Verdict judge(const Probe& probe, const Exchange& exchange, const StatusSet& pass,
              const std::vector<std::string>& secrets);

/// The `code` of a section 7 error body, or nullopt.
std::optional<std::string> error_code(std::string_view body);

}  // namespace scopegate::live
