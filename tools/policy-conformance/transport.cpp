#include "transport.hpp"

#include <curl/curl.h>

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>

namespace scopegate::live {

using Clock = std::chrono::steady_clock;

std::optional<std::string> origin_of(std::string_view base_url, std::string* error) {
  std::string_view rest;
  if (base_url.starts_with("https://")) rest = base_url.substr(8);
  else if (base_url.starts_with("http://")) rest = base_url.substr(7);
  else {
    *error = "--base-url must start with http:// or https://";
    return std::nullopt;
  }
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    *error = "--base-url needs a host and no user information";
    return std::nullopt;
  }
  if (!tail.empty() && tail != "/") {
    *error = "--base-url must name no path, query or fragment: probes are sent to the policy's own paths";
    return std::nullopt;
  }
  return std::string(base_url.substr(0, base_url.size() - tail.size()));
}

bool url_safe(std::string_view target) {
  static constexpr std::string_view kRaw = "-._~!$&'()*+,;=:@/?%";
  return !target.empty() && target.front() == '/' && std::all_of(target.begin(), target.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
           kRaw.find(c) != std::string_view::npos;
  });
}

std::vector<std::string> HttpResponse::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      out.push_back(v);
  return out;
}

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;

// One rate for the whole run: each request start takes the next slot. A
// Retry-After moves the next slot for every worker, so that a server asking
// for a pause gets it from the whole run, not from one request.
class RateLimiter {
 public:
  explicit RateLimiter(double rate)
      : interval_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate))),
        next_(Clock::now()) {}

  void acquire() {
    Clock::time_point slot;
    {
      std::lock_guard lock(mutex_);
      slot = std::max(next_, Clock::now());
      next_ = slot + interval_;
    }
    std::this_thread::sleep_until(slot);
  }

  void pause_until(Clock::time_point t) {
    std::lock_guard lock(mutex_);
    next_ = std::max(next_, t);
  }

 private:
  std::mutex mutex_;
  Clock::duration interval_;
  Clock::time_point next_;
};

struct Sink {
  HttpResponse response;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // A status line starts a response: an interim 100 Continue leaves no headers behind.
  if (line.starts_with("HTTP/")) {
    sink->response.headers.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  sink->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t n = size * count;
  std::size_t room = kMaxBody - std::min(kMaxBody, sink->response.body.size());
  sink->response.body.append(data, std::min(n, room));
  return n;
}

// Seconds a Retry-After asks for (delta-seconds or an HTTP-date), or nullopt.
std::optional<double> retry_after(const HttpResponse& r) {
  auto values = r.values("Retry-After");
  if (values.empty()) return std::nullopt;
  const std::string& v = values.front();
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return v.size() > 9 ? 1e9 : std::stod(v);
  time_t when = curl_getdate(v.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::max(0.0, std::difftime(when, std::time(nullptr)));
}

double backoff(int attempt) { return std::min(8.0, 0.5 * std::pow(2.0, attempt)); }

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

class Worker {
 public:
  Worker() : handle_(curl_easy_init()) {}

  // One attempt. Returns the response, or nullopt with `error` and whether
  // the failure was a connection failure (the only kind retried).
  std::optional<HttpResponse> attempt(const Probe& p, const HttpOptions& o, std::string* error, bool* retryable) {
    CURL* h = handle_.get();
    curl_easy_reset(h);  // keeps the connection cache
    Sink sink;
    const std::string url = o.origin + (url_safe(p.target) ? p.target : "/");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    // Both matter: PATH_AS_IS keeps curl from resolving dot segments in the
    // URL (what a forward proxy sees); REQUEST_TARGET puts the raw target on
    // the request line byte for byte, also where no URL could carry it.
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_REQUEST_TARGET, p.target.c_str());
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout * 1000));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "policy-conformance (scopegate)");
    if (o.insecure) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);

    curl_slist* raw_list = nullptr;
    bool has_content_type = false;
    for (const auto& [name, value] : p.headers) {
      // "Name:" with nothing after it would make curl drop the header; "Name;" sends it empty.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      raw_list = curl_slist_append(raw_list, line.c_str());
      if (strcasecmp(name.c_str(), "Content-Type") == 0) has_content_type = true;
      // A probe that asks for a compressed response gets one: let curl
      // decode it (the probe's own header is still the one sent).
      if (strcasecmp(name.c_str(), "Accept-Encoding") == 0) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    }
    raw_list = curl_slist_append(raw_list, "Expect:");
    if (p.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (p.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, p.method.c_str());
      if (p.method == "POST" || p.method == "PUT" || p.method == "PATCH") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(kWriteBody.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, kWriteBody.data());
        if (!has_content_type) raw_list = curl_slist_append(raw_list, "Content-Type: application/json");
      }
    }
    std::unique_ptr<curl_slist, CurlDeleter> list(raw_list);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());

    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &sink.response.status);
      return std::move(sink.response);
    }
    *error = curl_easy_strerror(rc);
    curl_off_t connected = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        *retryable = true;
        break;
      // A timeout before the connection was made is a connection failure;
      // one after it is the server's answer taking too long, never retried.
      case CURLE_OPERATION_TIMEDOUT:
        *retryable = connected == 0;
        break;
      default:
        *retryable = false;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<CURL, CurlDeleter> handle_;
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

void sleep_for_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

SendOutcome send_probes(const std::vector<Probe>& probes, const HttpOptions& options, const Progress& progress) {
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  SendOutcome out;
  out.exchanges.resize(probes.size());
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < probes.size(); ++i)
    if (!probes[i].held_back) order.push_back(i);

  RateLimiter limiter(options.rate);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;  // guards the counters below, `out.unreachable*` and progress calls
  std::size_t done = 0, failures_in_a_row = 0;
  bool any_response = false;
  const std::size_t first_window = std::max<std::size_t>(1, options.concurrency);

  auto run_one = [&](Worker& worker, const Probe& probe, Exchange& ex) {
    auto stopped = [&] {
      if (stop && ex.sent && ex.error.empty()) ex.error = "not retried: the run stopped";
      return stop.load();
    };
    for (int attempt = 0;; ++attempt) {
      if (stopped()) return;
      limiter.acquire();
      if (stopped()) return;
      ex.sent = true;
      ++ex.attempts;
      std::string error;
      bool retryable = false;
      auto response = worker.attempt(probe, options, &error, &retryable);
      bool can_retry = attempt < options.retries;
      if (!response) {
        ex.error = error;
        if (!retryable || !can_retry) return;
        ex.retries.push_back(error + ", backed off " + seconds_text(backoff(attempt)));
        sleep_for_seconds(backoff(attempt));
        continue;
      }
      ex.error.clear();
      if ((response->status == 429 || response->status == 503) && can_retry) {
        auto asked = retry_after(*response);
        if (asked && *asked > options.max_retry_after) {
          ex.response = std::move(response);
          return;
        }
        double wait = asked ? *asked : backoff(attempt);
        ex.retries.push_back(std::to_string(response->status) +
                             (asked ? ", Retry-After " : ", backed off ") + seconds_text(wait));
        limiter.pause_until(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait)));
        continue;
      }
      ex.response = std::move(response);
      return;
    }
  };

  auto work = [&] {
    Worker worker;
    for (;;) {
      std::size_t k = next++;
      if (k >= order.size() || stop) return;
      Exchange& ex = out.exchanges[order[k]];
      run_one(worker, probes[order[k]], ex);
      std::lock_guard lock(mutex);
      if (!ex.sent || stop) continue;
      if (ex.response) {
        any_response = true;
        failures_in_a_row = 0;
      } else if (++failures_in_a_row >= (any_response ? std::max<std::size_t>(10, 2 * first_window) : first_window)) {
        stop = true;
        out.unreachable = true;
        out.unreachable_reason = ex.error;
      }
      ++done;
      if (progress) progress(done, order.size());
    }
  };

  std::vector<std::thread> threads;
  std::size_t n = std::min<std::size_t>(first_window, order.size());
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace scopegate::live
