#include "requests.hpp"

#include <algorithm>
#include <utility>

namespace scopegate::properties {
namespace {

namespace gen = rc::gen;

// Segments that are, or read as, dot segments on some server.
const std::vector<std::string> kDots = {".",     "..",    "%2e",  "%2E%2e", "..;", ".;x",
                                        "..%3B", "..%3b", ".%2E", "...",    ";..", "%2e%2e;"};
// Pieces inserted into a segment: encoded separators and controls, double
// encodings, raw bytes a target may not carry, bad escapes, sub-delims.
const std::vector<std::string> kOddPieces = {
    "%2F", "%2f", "%5C", "%5c", "%252f", "%252E", "%25", "%2500", "%25%32%66", "%00", "%0a", "%0D", "%7F", "%FF",
    "%C3%A9", "%3F", "%23", "%20", "%3A", "%3a", "%41", "%7e", "%2D", "#", "\\", " ", "\t", "\x7f", "\xc3\xa9",
    {"\0", 1}, "%", "%G1", "%4", "?", "&", "=", "+", "@", "!", "'", "*", ",", "$", "\"", "<", "[", "{", "|", "^", "`"};
// Encoded separators: a server that decodes one sees another path.
const std::vector<std::string> kEncodedSeparators = {"%2F", "%2f", "%5C", "%5c", "%3F", "%23", "%252F"};
const std::vector<std::string> kParameterSuffixes = {";", ";x", ";jsessionid=1", "%3Bx", "%3b", ";/"};
const std::vector<std::string> kFamilyTails = {"", "/", "-old", "/x", "/x/y", "s", "/v1"};
const std::vector<std::string> kSpecialParameters = {
    "access_token=abc", "access_token", "access_token=", "_method=PUT", "_METHOD=get", "%5Fmethod=x",
    "x-http-method-override=GET", "X-HTTP-Method=1", "x-method-override", "access%5Ftoken=z", "access_%74oken=1",
    "X%2DHTTP-Method=PUT", "_Method"};
// Names that differ from a special one, and values no rule reads.
const std::vector<std::string> kPlainParameters = {
    "Access_Token=z", "access_token2=1", "_methods=1", "x-http-method-overrides", "access-token=1", "method=PUT",
    "%5Fmethod%3D=x", "access_token%3D=1", "x_http_method=GET", "page=2", "q=%2F%00%FF", "q=a?b", "q=/x/../y", "=x",
    "", "a=b=c", "q=%2e%2e", "redirect=http://h/x", "q=%25", "q=;x", "q=%0d%0a", "_=1", "q=%252f"};
const std::vector<std::string> kMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                                           "CONNECT", "TRACE"};
const std::vector<std::string> kOddMethods = {"get", "head", "Get", "FOO", "M-SEARCH", ""};
const std::vector<std::string> kOverrideHeaders = {"X-HTTP-Method-Override", "x-http-method", "X_Method_Override",
                                                   "X-Original-URL", "x_rewrite-url", "X-HTTP-METHOD"};
const HeaderList kIgnoredHeaders = {{"Accept", "*/*"},
                                    {"X-Forwarded-Uri", "/v1/status"},
                                    {"X-HTTP-Method-Overrides", "GET"},
                                    {"X-Original-URI", "/"},
                                    {"Authorization-X", "Bearer x"},
                                    {"X-Actor-User-Id", "usr_z"},
                                    {"X-Forwarded-Prefix", "/v1"}};

constexpr const char* kHex = "0123456789ABCDEF";

// ASCII only, never by locale.
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool is_unreserved(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (to_lower(c) >= 'a' && to_lower(c) <= 'f'); }
int hex_value(char c) { return c <= '9' ? c - '0' : to_lower(c) - 'a' + 10; }

std::string lower(std::string s) {
  for (char& c : s) c = to_lower(c);
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = to_upper(c);
  return s;
}

// `%XX` with each hex digit in either case.
rc::Gen<std::string> escape(unsigned char byte) {
  return gen::exec([byte] {
    std::string out = "%";
    for (char digit : {kHex[byte / 16], kHex[byte % 16]}) out += *gen::arbitrary<bool>() ? to_lower(digit) : digit;
    return out;
  });
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    segments.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return segments;
    start = slash + 1;
  }
}

std::string join_path(const std::vector<std::string>& segments) {
  std::string path;
  for (const auto& s : segments) path += "/" + s;
  return path.empty() ? "/" : path;
}

// The literal segments of the world's patterns and families.
std::vector<std::string> literals_of(const World& world) {
  std::vector<std::string> out;
  auto add = [&](const std::string& path) {
    if (path == "/") return;
    for (const auto& s : split_path(path))
      if (!s.empty() && s.front() != '{' && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& r : world.spec().routes) add(r.pattern);
  for (const auto& f : world.spec().operator_prefixes) add(f.prefix);
  if (out.empty()) out.push_back("v1");
  return out;
}

struct NearPath {
  std::string path;
  std::string method_hint;
};

// Generators capture the world by value (a cheap copy): RapidCheck keeps them
// for shrinking after the property that made them has returned.
rc::Gen<NearPath> near_path(const World& world, Near near) {
  return gen::exec([world, near] {
    const auto& routes = world.spec().routes;
    std::vector<std::size_t> operator_only;
    for (std::size_t i = 0; i < routes.size(); ++i)
      if (routes[i].auth == RouteAuth::kOperatorOnly) operator_only.push_back(i);
    const bool focus = near == Near::kOperatorOnly;
    const bool families = !world.spec().operator_prefixes.empty();
    const int kind = *gen::weightedElement<int>({{focus ? 2u : 6u, 0},
                                                 {focus && !operator_only.empty() ? 6u : 0u, 1},
                                                 {families ? (focus ? 4u : 2u) : 0u, 2},
                                                 {focus ? 1u : 2u, 3}});
    NearPath out;
    switch (kind) {
      case 0:
      case 1: {
        const RouteSpec& r =
            routes[kind == 0 ? *gen::inRange<std::size_t>(0, routes.size()) : *gen::elementOf(operator_only)];
        out.path = *real_path(world, r);
        out.method_hint = std::string(method_name(r.method));
        break;
      }
      case 2: {
        std::string prefix = (*gen::elementOf(world.spec().operator_prefixes)).prefix;
        std::string tail = *gen::elementOf(kFamilyTails);
        if (prefix.back() == '/' && !tail.empty() && tail.front() == '/') tail.erase(0, 1);
        out.path = prefix + tail;
        out.method_hint = *gen::elementOf(kMethods);
        break;
      }
      default: {
        std::vector<std::string> pool = literals_of(world);
        pool.insert(pool.end(), world.values().begin(), world.values().end());
        std::vector<std::string> segments;
        for (int i = *gen::inRange(0, 5); i > 0; --i) segments.push_back(*gen::elementOf(pool));
        out.path = join_path(segments);
        out.method_hint = *gen::elementOf(kMethods);
      }
    }
    return out;
  });
}

// One mutation of a path's segments; most make the path malformed, some only
// move it (case, another segment, a trailing slash).
void mutate(std::vector<std::string>& segments, const World& world) {
  const auto at = *gen::inRange<std::size_t>(0, segments.size());
  std::string& s = segments[at];
  switch (*gen::inRange(0, 12)) {
    case 0: s = *gen::arbitrary<bool>() ? upper(s) : lower(s); break;
    case 1: segments.push_back(""); break;
    case 2: segments.insert(segments.begin() + static_cast<long>(at), ""); break;
    case 3:
      if (*gen::arbitrary<bool>()) s = *gen::elementOf(kDots);
      else segments.insert(segments.begin() + static_cast<long>(at), *gen::elementOf(kDots));
      break;
    case 4: s += *gen::elementOf(kParameterSuffixes); break;
    case 5:
      if (segments.size() > 1) segments.erase(segments.begin() + static_cast<long>(at));
      break;
    case 6: segments.insert(segments.begin() + static_cast<long>(at), s); break;
    case 7: s = *gen::arbitrary<bool>() ? *gen::elementOf(world.values()) : *gen::elementOf(literals_of(world)); break;
    case 8: s.insert(*gen::inRange<std::size_t>(0, s.size() + 1), *gen::elementOf(kOddPieces)); break;
    case 9:
    case 10:
      // Two segments joined by an encoded separator (`/v1%2Fstatus`), twice
      // as often as the others: decoded, the path names a real route.
      if (at + 1 < segments.size()) {
        s += *gen::elementOf(kEncodedSeparators) + segments[at + 1];
        segments.erase(segments.begin() + static_cast<long>(at) + 1);
      } else {
        s += *gen::elementOf(kEncodedSeparators);
      }
      break;
    default:
      // Percent-encode one byte of the segment, or insert the escape of any
      // byte: decoded when unreserved, kept or refused otherwise.
      if (!s.empty() && *gen::arbitrary<bool>()) {
        const auto i = *gen::inRange<std::size_t>(0, s.size());
        s.replace(i, 1, *escape(static_cast<unsigned char>(s[i])));
      } else {
        const auto byte = static_cast<unsigned char>(*gen::inRange(0, 256));
        s.insert(*gen::inRange<std::size_t>(0, s.size() + 1), *escape(byte));
      }
  }
}

// A near path after 0-3 mutations of its segments and, rarely, of the whole.
rc::Gen<NearPath> mutated_near_path(const World& world, Near near) {
  return gen::exec([world, near] {
    NearPath p = *near_path(world, near);
    std::vector<std::string> segments = split_path(p.path);
    // Shrinks towards no mutation, which 4 cases in 7 keep.
    for (int i = *gen::inRange(0, 7) - 3; i > 0; --i) mutate(segments, world);
    p.path = join_path(segments);
    switch (*gen::weightedElement<int>({{60, 0}, {1, 1}, {1, 2}, {1, 3}})) {
      case 1: p.path.erase(0, 1); break;  // not absolute
      case 2: p.path = "http://h" + p.path; break;
      case 3:
        // Both sides of the 4096-byte bound on the path as received.
        p.path += "/" + std::string(std::max<std::size_t>(p.path.size() + 1, 4096) - p.path.size() - 1, 'a');
        if (*gen::arbitrary<bool>()) p.path += 'a';
        break;
      default: break;
    }
    return p;
  });
}

}  // namespace

rc::Gen<std::string> real_path(const World& world, const RouteSpec& route) {
  return gen::exec([world, pattern = route.pattern] {
    if (pattern == "/") return std::string("/");
    std::vector<std::string> segments = split_path(pattern);
    for (auto& s : segments)
      if (s.front() == '{')
        s = *gen::weightedOneOf<std::string>({{world.projects().empty() ? 0u : 1u, gen::elementOf(world.projects())},
                                              {1, gen::elementOf(world.values())}});
    return join_path(segments);
  });
}

rc::Gen<std::string> canonical_near_path(const World& world, Near near) {
  return gen::map(near_path(world, near), [](NearPath p) { return p.path; });
}

rc::Gen<std::string> raw_near_path(const World& world, Near near) {
  return gen::map(mutated_near_path(world, near), [](NearPath p) { return p.path; });
}

rc::Gen<std::string> respelled(const std::string& canonical_path) {
  return gen::exec([canonical_path] {
    std::string out;
    for (std::size_t i = 0; i < canonical_path.size(); ++i) {
      const char c = canonical_path[i];
      if (c == '%') {
        // A kept escape: its hex digits in either case.
        out += '%';
        for (std::size_t k = 1; k <= 2; ++k) {
          const char digit = canonical_path[i + k];
          out += *gen::arbitrary<bool>() ? to_lower(digit) : digit;
        }
        i += 2;
      } else if (is_unreserved(c) && *gen::weightedElement<bool>({{3, false}, {1, true}})) {
        out += *escape(static_cast<unsigned char>(c));
      } else {
        out += c;
      }
    }
    return out;
  });
}

rc::Gen<std::vector<std::string>> query_parameters(bool with_special) {
  // Random names over the letters of the special names and escapes of them,
  // which now and then spell one.
  auto piece = gen::element<std::string>("_", "m", "e", "t", "h", "o", "d", "M", "%5F", "%6D", "a", "=", "x");
  auto random_name = gen::map(
      gen::resize(8, gen::nonEmpty(gen::container<std::vector<std::string>>(piece))),
      [](const std::vector<std::string>& pieces) {
        std::string name;
        for (const auto& p : pieces) name += p;
        return name;
      });
  auto parameter = gen::weightedOneOf<std::string>({{with_special ? 1u : 0u, gen::elementOf(kSpecialParameters)},
                                                    {4, gen::elementOf(kPlainParameters)},
                                                    {2, random_name}});
  auto parameters = gen::resize(3, gen::nonEmpty(gen::container<std::vector<std::string>>(parameter)));
  if (with_special) return parameters;
  return gen::map(parameters, [](std::vector<std::string> ps) {
    ps.erase(std::remove_if(ps.begin(), ps.end(), is_special_parameter), ps.end());
    return ps;
  });
}

std::string query_text(const std::vector<std::string>& parameters) {
  std::string out = "?";
  for (std::size_t i = 0; i < parameters.size(); ++i) out += (i ? "&" : "") + parameters[i];
  return out;
}

rc::Gen<std::string> maybe_query(bool with_special) {
  return gen::weightedOneOf<std::string>(
      {{2, gen::just(std::string())}, {1, gen::map(query_parameters(with_special), query_text)}});
}

bool is_special_parameter(const std::string& parameter) {
  const std::string raw = parameter.substr(0, parameter.find('='));
  std::string name;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && is_hex(raw[i + 1]) && is_hex(raw[i + 2])) {
      const auto byte = static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
      if (is_unreserved(byte)) {
        name += byte;
        i += 2;
        continue;
      }
    }
    name += raw[i];
  }
  const std::string folded = lower(name);
  return name == "access_token" || folded == "_method" || folded == "x-http-method-override" ||
         folded == "x-http-method" || folded == "x-method-override";
}

rc::Gen<std::string> near_method(std::string hint) {
  return gen::weightedOneOf<std::string>({{5, gen::just(hint)},
                                          {hint == "GET" ? 2u : 0u, gen::just(std::string("HEAD"))},
                                          {3, gen::elementOf(kMethods)},
                                          {1, gen::elementOf(kOddMethods)}});
}

rc::Gen<std::string> user_token(const World& world) {
  std::vector<std::string> tokens;
  for (const auto& u : world.tokens().users) tokens.push_back(u.token);
  return gen::elementOf(tokens);
}

rc::Gen<std::string> bearer_value(const std::string& token) {
  return gen::exec([token] {
    const std::string scheme = *gen::element<std::string>("Bearer", "bearer", "BEARER", "bEaReR");
    const std::string spaces(*gen::weightedElement<std::size_t>({{6, 1}, {1, 2}, {1, 3}}), ' ');
    const std::string before = *gen::weightedElement<std::string>({{6, ""}, {1, " "}, {1, "\t"}, {1, " \t"}});
    const std::string after = *gen::weightedElement<std::string>({{6, ""}, {1, " "}, {1, "\t "}});
    return before + scheme + spaces + token + after;
  });
}

rc::Gen<std::string> authorization_value(const World& world) {
  return gen::exec([world] {
    const std::string user = *user_token(world);
    const std::string& prefix = world.spec().user.prefix;
    switch (*gen::weightedElement<int>({{10, 0}, {3, 1}, {1, 2}, {1, 3}, {2, 4}})) {
      case 0: return *bearer_value(user);
      case 1: return *bearer_value(world.tokens().operator_token.value_or("op-secret-for-tests"));
      case 2: return *bearer_value(prefix + "ff0");  // of the class, unknown to the resolver
      case 3:
        return *bearer_value(*gen::element<std::string>("cwt_", "CWT_A1", "cwt_xyz", prefix, prefix + "A1",
                                                        "op-secret-for-test", "tok-", "x"));
      default:
        return *gen::element<std::string>("Bearer", "Bearer ", "Bearer " + user + ",x", "Bearer " + user + " x",
                                          "Bearer\t" + user, "Bearer:" + user, "Bearer" + user, "Basic dXNlcjpwYXNz",
                                          "", "   ", "\t", "Bearer " + user + "\r\n", "Bearer " + user + "\n",
                                          "Bearer " + user + "=", "Bearer =", "Token " + user, "Bearer " + user + "=x",
                                          "Bearer \"" + user + "\"", "Bearer " + user + "\x01");
    }
  });
}

rc::Gen<std::string> unauthenticated_value(const World& world) {
  return gen::exec([world] {
    const std::string& prefix = world.spec().user.prefix;
    const std::string user = *user_token(world);
    switch (*gen::inRange(0, 4)) {
      case 0: return *bearer_value(prefix + "ff0");
      case 1: return *bearer_value(*gen::element<std::string>("cwt_xyz", prefix, prefix + "A1", "x", "op-secret"));
      case 2:
        return *gen::element<std::string>("", "  ", "Basic dXNlcjpwYXNz", "Token x", "Bearer",
                                          "Bearer " + user + ",x");
      default:
        // The operator's secret proves nothing where the policy has no
        // operator class or the world no secret.
        return world.has_operator() ? *bearer_value(prefix + "ff0") : *bearer_value("op-secret-for-tests");
    }
  });
}

rc::Gen<HeaderList> actor_headers(const World& world) {
  const std::string name = world.spec().operator_class.actor_header;
  auto header = gen::exec([name] {
    std::string spelled = *gen::element(name, lower(name), upper(name));
    std::string value = *gen::element<std::string>("usr_x", "  usr_y\t", "operator", "Operator", "", "a,b", "usr x",
                                                   "-", std::string(128, 'a'), std::string(129, 'a'), "usr\xc3\xa9",
                                                   "console");
    return std::pair<std::string, std::string>{spelled, value};
  });
  return gen::resize(3, gen::nonEmpty(gen::container<HeaderList>(header)));
}

rc::Gen<HeaderList> near_headers(const World& world) {
  return gen::exec([world] {
    HeaderList headers;
    for (int i = *gen::weightedElement<int>({{1, 0}, {8, 1}, {1, 2}}); i > 0; --i)
      headers.emplace_back(*gen::element<std::string>("Authorization", "authorization", "AUTHORIZATION"),
                           *authorization_value(world));
    if (*gen::weightedElement<bool>({{3, false}, {1, true}})) {
      auto actors = *actor_headers(world);
      headers.insert(headers.end(), actors.begin(), actors.end());
    }
    if (*gen::weightedElement<bool>({{12, false}, {1, true}}))
      headers.emplace_back(*gen::elementOf(kOverrideHeaders), *gen::element<std::string>("GET", "", "/v1/status"));
    if (*gen::weightedElement<bool>({{2, false}, {1, true}})) headers.push_back(*gen::elementOf(kIgnoredHeaders));
    if (*gen::weightedElement<bool>({{50, false}, {1, true}})) {
      // Both sides of the bound on one header's name and value together.
      const std::size_t value = 16384 - 5 + (*gen::arbitrary<bool>() ? 1 : 0);
      headers.emplace_back("X-Big", std::string(value, 'a'));
    }
    if (!headers.empty())
      std::rotate(headers.begin(), headers.begin() + *gen::inRange<long>(0, static_cast<long>(headers.size())),
                  headers.end());
    return headers;
  });
}

rc::Gen<HttpRequest> near_request(const World& world, Near near) {
  return gen::exec([world, near] {
    const int kind = near == Near::kAnything ? *gen::weightedElement<int>({{2, 0}, {1, 1}, {1, 2}}) : 0;
    if (kind != 0) {
      // A route's own path and method with any headers, as it is (the deep
      // steps, scope, membership and actor, are reached more often) or with
      // one mutation (a bypass next to a real route).
      HttpRequest r = *routed_request(world);
      if (kind == 2) {
        std::vector<std::string> segments = split_path(path_of(r.target));
        mutate(segments, world);
        r.target = join_path(segments) + query_of(r.target);
      }
      const HeaderList headers = *near_headers(world);
      r.headers.insert(r.headers.end(), headers.begin(), headers.end());
      return r;
    }
    HttpRequest r;
    const NearPath p = *mutated_near_path(world, near);
    r.target = p.path;
    r.target += *maybe_query(true);
    r.method = *near_method(p.method_hint);
    r.headers = *near_headers(world);
    return r;
  });
}

rc::Gen<HttpRequest> routed_request(const World& world) {
  return gen::exec([world] {
    const RouteSpec& route = world.spec().routes[*gen::inRange<std::size_t>(0, world.spec().routes.size())];
    HttpRequest r;
    r.method = std::string(method_name(route.method));
    if (route.method == Method::kGet && *gen::weightedElement<bool>({{3, false}, {1, true}})) r.method = "HEAD";
    r.target = *real_path(world, route) + *maybe_query(false);
    if (*gen::arbitrary<bool>()) r.headers.push_back(*gen::elementOf(kIgnoredHeaders));
    return r;
  });
}

rc::Gen<HttpRequest> likely_request(const World& world) {
  return gen::weightedOneOf<HttpRequest>({{3, routed_request(world)}, {1, near_request(world)}});
}

HeaderList without_header(const HeaderList& headers, const std::string& name) {
  HeaderList out;
  for (const auto& h : headers)
    if (lower(h.first) != lower(name)) out.push_back(h);
  return out;
}

HeaderList without_credentials(const World& world, const HeaderList& headers) {
  return without_header(without_header(headers, "Authorization"), world.spec().operator_class.actor_header);
}

std::string query_of(const std::string& target) {
  const auto q = target.find('?');
  return q == std::string::npos ? std::string() : target.substr(q);
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace scopegate::properties
