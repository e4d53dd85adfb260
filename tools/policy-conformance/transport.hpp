#pragma once
/// Sending probes over HTTP/1.1 with libcurl: bounded concurrency, one rate
/// limit shared by every worker, timeouts, and retries with backoff only on
/// connection failures and on 429 and 503 (honouring Retry-After).

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "probes.hpp"

namespace scopegate::live {

struct HttpOptions {
  std::string origin;            ///< `scheme://host[:port]`, from origin_of()
  double connect_timeout = 5;    ///< seconds, per attempt
  double timeout = 15;           ///< seconds, per attempt, connecting included
  int retries = 3;               ///< further attempts after the first
  double max_retry_after = 60;   ///< a longer Retry-After is not waited for: the 429/503 stands
  bool insecure = false;         ///< skip TLS certificate and host verification
  unsigned concurrency = 4;      ///< requests in flight at once
  double rate = 10;              ///< requests started per second, all workers and retries together
};

/// `https://api.cloud.comwit.io` from a base URL that names no path, query
/// or fragment (a trailing `/` is allowed). nullopt and `error` otherwise.
std::optional<std::string> origin_of(std::string_view base_url, std::string* error);

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< of the final response, in order
  std::string body;                                          ///< at most the first 64 KiB

  /// Every value of the header `name` (ASCII case-insensitive), in order.
  std::vector<std::string> values(std::string_view name) const;
};

/// What came of one probe on the wire.
struct Exchange {
  bool sent = false;                    ///< false: held back, or the run stopped first
  std::optional<HttpResponse> response; ///< nullopt when no attempt got an HTTP response
  std::string error;                    ///< the last attempt's transport error
  int attempts = 0;
  std::vector<std::string> retries;     ///< why each retry happened: `429, Retry-After 1 s`
};

struct SendOutcome {
  std::vector<Exchange> exchanges;  ///< index-aligned with the probes
  /// The run stopped early because the target stopped answering: no probe
  /// got a response among the first `concurrency`, or 10 in a row failed.
  bool unreachable = false;
  std::string unreachable_reason;
};

/// Called from worker threads after each probe (never concurrently):
/// probes finished so far and probes to send in all.
using Progress = std::function<void(std::size_t done, std::size_t total)>;

/// Sends every probe that is not held back. Thread-safe in itself; call it
/// from one thread at a time.
SendOutcome send_probes(const std::vector<Probe>& probes, const HttpOptions& options, const Progress& progress);

/// The body sent with POST, PUT and PATCH probes (an empty JSON object), so
/// that servers that need a body reach their authorization step.
inline constexpr std::string_view kWriteBody = "{}";

/// True when `target` can also stand in a URL unchanged (the characters RFC
/// 3986 allows raw, no `#`): then curl is given it in the URL as well, which
/// a plain-HTTP forward proxy needs.
bool url_safe(std::string_view target);

}  // namespace scopegate::live
