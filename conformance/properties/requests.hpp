#pragma once
/// Requests generated near a world: real paths from its patterns and prefix
/// families, then mutated segments, percent-encodings (of unreserved and of
/// forbidden bytes), dot segments, `;`, double slashes, odd bytes; queries with
/// and without `access_token` and the override names; and headers with every
/// Authorization form, actor headers, override headers and noise.

#include <rapidcheck.h>

#include <string>
#include <vector>

#include "world.hpp"

namespace scopegate::properties {

/// Which paths to favour.
enum class Near {
  kAnything,      ///< routes, families and combinations of their segments
  kOperatorOnly,  ///< operator-only routes and prefix families first
};

/// A canonical path: a pattern of the world with each parameter replaced by
/// one of the world's values.
rc::Gen<std::string> real_path(const World& world, const RouteSpec& route);

/// A canonical path near the world: a real path, a family prefix with a tail,
/// or segments of the world's literals and values.
rc::Gen<std::string> canonical_near_path(const World& world, Near near = Near::kAnything);

/// A raw path near the world: canonical_near_path, then up to 3 mutations
/// (many of which make it malformed) and, rarely, a path not absolute or at
/// the 4096-byte bound.
rc::Gen<std::string> raw_near_path(const World& world, Near near = Near::kAnything);

/// Another spelling of a canonical path that canonicalizes back to it:
/// unreserved characters percent-encoded, hex digits of kept escapes in lower
/// case.
rc::Gen<std::string> respelled(const std::string& canonical_path);

/// Query parameters (`name=value` or a bare name); `with_special` lets names
/// be `access_token` or an override name (also encoded and in other cases).
/// Every query only holds characters a target may carry raw and valid escapes.
rc::Gen<std::vector<std::string>> query_parameters(bool with_special);

/// `?` and the parameters joined by `&`.
std::string query_text(const std::vector<std::string>& parameters);

/// No query two times in three, else `?` and query_parameters(with_special).
rc::Gen<std::string> maybe_query(bool with_special);

/// True when the parameter's name, read as contract section 3 says, is
/// `access_token` or a method-override name.
bool is_special_parameter(const std::string& parameter);

/// A method: often `hint` (and HEAD for GET), else any declared method, lower
/// case spellings and unknown ones.
rc::Gen<std::string> near_method(std::string hint);

/// The token of one of the world's users.
rc::Gen<std::string> user_token(const World& world);

/// A valid Authorization value carrying `token`: any case of `Bearer`, one or
/// more spaces, surrounding spaces and tabs.
rc::Gen<std::string> bearer_value(const std::string& token);

/// Any Authorization value near the world: its users' and operator's tokens in
/// valid forms, unknown and classless tokens, malformed and other schemes.
rc::Gen<std::string> authorization_value(const World& world);

/// An Authorization value that proves no identity to the world.
rc::Gen<std::string> unauthenticated_value(const World& world);

/// 1-3 actor headers: the world's actor header name in some letter case, and
/// values valid, reserved, blank, comma-joined, too long or not ASCII.
rc::Gen<HeaderList> actor_headers(const World& world);

/// Headers near the world: 0-2 Authorization headers, actor headers, rarely an
/// override header or one at the size bound, and headers nobody reads.
rc::Gen<HeaderList> near_headers(const World& world);

/// A whole request near the world: a mutated near path, a near method, maybe
/// a query with special names, near headers. With kAnything, half the time a
/// routed_request instead, as it is or with one mutation, with near headers.
rc::Gen<HttpRequest> near_request(const World& world, Near near = Near::kAnything);

/// A request as a well-behaved client sends it: a real path of one of the
/// world's routes with that route's method (or HEAD for GET), maybe a query
/// without special names, and only headers that no rule reads; no
/// Authorization.
rc::Gen<HttpRequest> routed_request(const World& world);

/// Mostly routed_request, sometimes near_request: requests that reach the
/// scope and membership steps often, and odd ones too.
rc::Gen<HttpRequest> likely_request(const World& world);

/// The headers not named `name` (compared ASCII case-insensitively).
HeaderList without_header(const HeaderList& headers, const std::string& name);

/// Headers without any Authorization or actor header.
HeaderList without_credentials(const World& world, const HeaderList& headers);

/// The target's query with its `?`, or empty.
std::string query_of(const std::string& target);

/// The target without its query.
std::string path_of(const std::string& target);

}  // namespace scopegate::properties
