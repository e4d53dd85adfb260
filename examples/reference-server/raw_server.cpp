#include "raw_server.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scopegate::example {
namespace {

constexpr int kTimeoutMs = 5000;

struct RawRequest {
  std::string method;
  std::string target;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names as sent, values without surrounding OWS
  std::string body;
};

enum class ReadError { kNone, kClosed, kBadRequest, kTooLarge, kNotImplemented };

bool wait_for(int sock, short events) {
  pollfd p{sock, events, 0};
  return ::poll(&p, 1, kTimeoutMs) > 0 && (p.revents & (events | POLLHUP)) != 0;
}

bool send_all(int sock, std::string_view data) {
  while (!data.empty()) {
    if (!wait_for(sock, POLLOUT)) return false;
    ssize_t n = ::send(sock, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool is_tchar(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9112 sections 3 and 5, strictly: one space between the three parts of
// the request line, header names that are tokens right before the colon, no
// line folding. The target is kept byte for byte; deciding on it is the
// authorization step's job, not the parser's.
ReadError parse_head(std::string_view head, RawRequest& out) {
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return ReadError::kBadRequest;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  if (!is_token(out.method) || out.target.empty() || (out.version != "HTTP/1.1" && out.version != "HTTP/1.0"))
    return ReadError::kBadRequest;
  std::size_t pos = eol + 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (field.empty()) break;
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || !is_token(field.substr(0, colon))) return ReadError::kBadRequest;
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.find('\0') != std::string_view::npos) return ReadError::kBadRequest;
    out.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
  }
  return ReadError::kNone;
}

ReadError read_request(int sock, RawRequest& out) {
  std::string buf;
  std::size_t head_end = std::string::npos;
  char chunk[4096];
  while (head_end == std::string::npos) {
    if (buf.size() > RawRequestServer::kMaxHead) return ReadError::kTooLarge;
    if (!wait_for(sock, POLLIN)) return ReadError::kClosed;
    ssize_t n = ::recv(sock, chunk, sizeof chunk, 0);
    if (n <= 0) return ReadError::kClosed;
    buf.append(chunk, static_cast<std::size_t>(n));
    head_end = buf.find("\r\n\r\n");
  }
  if (ReadError e = parse_head(std::string_view(buf).substr(0, head_end + 4), out); e != ReadError::kNone) return e;

  std::optional<std::size_t> length;
  bool expect_continue = false;
  for (const auto& [name, value] : out.headers) {
    if (iequals(name, "Transfer-Encoding")) return ReadError::kNotImplemented;
    if (iequals(name, "Expect") && iequals(value, "100-continue")) expect_continue = true;
    if (!iequals(name, "Content-Length")) continue;
    // A repeated or non-numeric length is how requests get smuggled: refuse it.
    if (length || value.empty() || value.size() > 9 || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return ReadError::kBadRequest;
    length = std::stoul(value);
  }
  if (!length) return ReadError::kNone;
  if (*length > RawRequestServer::kMaxBody) return ReadError::kTooLarge;
  out.body = buf.substr(head_end + 4, *length);
  if (expect_continue && out.body.size() < *length && !send_all(sock, "HTTP/1.1 100 Continue\r\n\r\n"))
    return ReadError::kClosed;
  while (out.body.size() < *length) {
    if (!wait_for(sock, POLLIN)) return ReadError::kClosed;
    ssize_t n = ::recv(sock, chunk, std::min(sizeof chunk, *length - out.body.size()), 0);
    if (n <= 0) return ReadError::kClosed;
    out.body.append(chunk, static_cast<std::size_t>(n));
  }
  return ReadError::kNone;
}

// What httplib parses instead of the real head: a request it accepts, with
// no body to read. The raw request replaces it before any handler runs.
constexpr std::string_view kStandInHead = "GET / HTTP/1.1\r\n\r\n";

class StandInStream final : public httplib::Stream {
 public:
  explicit StandInStream(socket_t sock) : sock_(sock) {}

  bool is_readable() const override { return pos_ < kStandInHead.size(); }
  bool is_writable() const override {
    pollfd p{sock_, POLLOUT, 0};
    return ::poll(&p, 1, kTimeoutMs) > 0 && (p.revents & POLLOUT) != 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, kStandInHead.size() - pos_);
    std::copy_n(kStandInHead.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override { return ::send(sock_, ptr, size, MSG_NOSIGNAL); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  void address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (get(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.ss_family != AF_INET) return;
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    ip = text;
    port = ntohs(in->sin_port);
  }

  socket_t sock_;
  size_t pos_ = 0;
};

void refuse(int sock, int status, std::string_view title, std::string_view reason) {
  std::string body = "{\"error\": {\"status\": " + std::to_string(status) + ", \"code\": \"bad_request\", \"message\": \"" +
                     std::string(reason) + "\"}}";
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(title) +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n";
  send_all(sock, head + body);
}

}  // namespace

bool RawRequestServer::process_and_close_socket(socket_t sock) {
  RawRequest raw;
  bool ok = false;
  switch (read_request(sock, raw)) {
    case ReadError::kNone: {
      StandInStream stream(sock);
      bool connection_closed = false;
      ok = process_request(stream, /*close_connection=*/true, connection_closed, [&](httplib::Request& req) {
        req.method = std::move(raw.method);
        req.target = std::move(raw.target);
        req.version = std::move(raw.version);
        req.path.clear();  // httplib's decoded path: nothing may route on it
        req.params.clear();
        req.headers.clear();  // also drops httplib's own REMOTE_ADDR and REMOTE_PORT entries
        for (auto& [name, value] : raw.headers) req.headers.emplace(std::move(name), std::move(value));
        req.body = std::move(raw.body);
      });
      break;
    }
    case ReadError::kClosed: break;
    case ReadError::kBadRequest: refuse(sock, 400, "Bad Request", "malformed HTTP/1.1 request"); break;
    case ReadError::kTooLarge: refuse(sock, 413, "Content Too Large", "request head or body too large"); break;
    case ReadError::kNotImplemented: refuse(sock, 501, "Not Implemented", "Transfer-Encoding is not supported"); break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace scopegate::example
