#pragma once
/// The inputs and output of one decision (contract sections 1 and 8).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "scopegate/policy_spec.hpp"

namespace scopegate {

/// One header as received: the name is compared ASCII case-insensitively and
/// never trimmed; repeats are separate entries.
struct Header {
  std::string_view name;
  std::string_view value;
};

/// A request as the server received it. Nothing is owned: the views must
/// outlive the call and the Decision that refers to them.
struct Request {
  std::string_view method;         ///< case-sensitive; `HEAD` decides as GET
  std::string_view target;         ///< raw request-target: path and optional `?query`
  std::span<const Header> headers;
};

/// The reason codes of contract section 1, in the order of its steps.
enum class Reason : std::uint8_t {
  kMalformedPath,      ///< step 1, 400
  kMethodOverride,     ///< step 1b, 400
  kUrlOverride,        ///< step 1c, 400
  kPublic,             ///< step 2, 200
  kInvalidRequest,     ///< step 3, 400
  kMissingToken,       ///< step 4, 401
  kInvalidToken,       ///< step 5, 401
  kOperatorOnly,       ///< step 6, 403
  kNoRoute,            ///< step 7, 404
  kMethodNotAllowed,   ///< step 8, 405
  kInvalidActor,       ///< step 9, 400
  kOperatorBypass,     ///< step 10, 200
  kInsufficientScope,  ///< step 11, 403
  kNotAMember,         ///< step 12, 403
  kGranted,            ///< step 13, 200
};
inline constexpr std::size_t kReasonCount = 15;

inline constexpr std::array<std::string_view, kReasonCount> kReasonNames = {
    "malformed_path", "method_override", "url_override", "public", "invalid_request",
    "missing_token", "invalid_token", "operator_only", "no_route", "method_not_allowed",
    "invalid_actor", "operator_bypass", "insufficient_scope", "not_a_member", "granted"};

inline constexpr std::array<int, kReasonCount> kReasonStatus = {400, 400, 400, 200, 400, 401, 401, 403,
                                                                404, 405, 400, 200, 403, 403, 200};

constexpr std::string_view reason_name(Reason r) { return kReasonNames[static_cast<std::size_t>(r)]; }
/// The HTTP status that a reason always comes with.
constexpr int reason_status(Reason r) { return kReasonStatus[static_cast<std::size_t>(r)]; }
constexpr bool reason_allows(Reason r) {
  return r == Reason::kPublic || r == Reason::kOperatorBypass || r == Reason::kGranted;
}

/// The outcome of one decision. Views refer to the compiled policy (route text,
/// scope), the request (actor header), the resolver's grant (user id) or the
/// decision's own canonical-path buffer (project); they stay valid while those
/// live. A Decision is safe to copy: the project is stored as an offset.
class Decision {
 public:
  Reason reason = Reason::kMalformedPath;
  std::string_view route;           ///< `GET /v1/projects/{projectId}`, empty = null
  std::string_view required_scope;  ///< empty = null
  std::string_view actor;           ///< empty = null
  bool actor_header_ignored = false;
  MethodSet allowed_methods = 0;    ///< for 405 only

  bool allow() const { return reason_allows(reason); }
  int status() const { return reason_status(reason); }
  bool has_route() const { return !route.empty(); }
  bool has_project() const { return project_length_ != 0; }
  std::string_view project() const { return {canonical_.data() + project_offset_, project_length_}; }
  /// The canonical path when step 1 passed, else empty.
  std::string_view canonical_path() const { return {canonical_.data(), canonical_length_}; }

  /// The contract's bound on a path as received; canonical paths are never longer.
  static constexpr std::size_t kMaxPathBytes = 4096;

 private:
  friend struct DecisionWriter;
  /// Eight bytes more than the longest path: the matcher reads up to eight
  /// bytes past a path's end (detail::kSegmentSlack).
  std::array<char, kMaxPathBytes + 8> canonical_;
  std::uint16_t canonical_length_ = 0;
  std::uint16_t project_offset_ = 0;
  std::uint16_t project_length_ = 0;
};

}  // namespace scopegate
