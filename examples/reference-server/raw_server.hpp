#pragma once
/// A cpp-httplib server whose handlers see each request exactly as it
/// arrived. cpp-httplib 0.11 keeps the request-target in Request::target, but
/// before any handler runs it cuts the target at `#` and refuses (400) every
/// method outside GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PRI,
/// so `get`, `FOO` and `/v1/status#x` would never reach the authorization
/// step. RawRequestServer reads the request head and body off the socket
/// itself, lets httplib run its usual pipeline on a stand-in request, and
/// restores the raw method, target, headers and body into the Request before
/// the pre-routing handler sees it. One request per connection.

#include <httplib.h>

namespace scopegate::example {

class RawRequestServer : public httplib::Server {
 public:
  /// Bounds on what one request may send; beyond them the answer is 413.
  static constexpr std::size_t kMaxHead = 1 << 20;
  static constexpr std::size_t kMaxBody = 1 << 20;

 private:
  // httplib calls this (a private virtual) for every accepted connection.
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace scopegate::example
