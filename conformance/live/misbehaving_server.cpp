// misbehaving-server: a tiny HTTP/1.1 server on 127.0.0.1 that answers every
// request wrongly in one way, for the live runner's network tests.
//
//   misbehaving-server MODE LOG
//     timeout  read the request, never answer
//     reset    read the request, then reset the connection (RST)
//     500      answer 500 Internal Server Error
//     429      answer the first two requests 429 with Retry-After: 1, then 500
//
// Prints `listening on 127.0.0.1:PORT` first. Appends one line per request to
// LOG: milliseconds since start, method, target. Runs until killed.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace {

const auto kStart = std::chrono::steady_clock::now();
std::mutex log_mutex;
std::atomic<int> served{0};

void log_request(const std::string& path, const std::string& request_line) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - kStart).count();
  std::lock_guard lock(log_mutex);
  std::ofstream(path, std::ios::app) << ms << ' ' << request_line << '\n';
}

// The request head, or empty when the client went away first.
std::string read_head(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return {};
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    head.append(buf, static_cast<std::size_t>(n));
  }
  return head;
}

void answer(int fd, int status, const char* title, const char* extra) {
  std::string body = "{\"error\": {\"status\": " + std::to_string(status) + ", \"code\": \"misbehaving\"}}";
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + title + "\r\n" + extra +
                         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
  send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

void serve(int fd, const std::string& mode, const std::string& log) {
  std::string head = read_head(fd);
  if (head.empty()) {
    close(fd);
    return;
  }
  log_request(log, head.substr(0, head.find("\r\n")));
  if (mode == "timeout") {
    // Hold the connection until the client gives up on it.
    char buf[256];
    while (recv(fd, buf, sizeof buf, 0) > 0) {
    }
  } else if (mode == "reset") {
    linger l{1, 0};  // close() with a zero linger sends RST instead of FIN
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else if (mode == "429" && served++ < 2) {
    answer(fd, 429, "Too Many Requests", "Retry-After: 1\r\n");
  } else {
    answer(fd, 500, "Internal Server Error", "");
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: misbehaving-server timeout|reset|500|429 LOG\n");
    return 2;
  }
  const std::string mode = argv[1], log = argv[2];
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 64) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("misbehaving-server");
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  for (;;) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd >= 0) std::thread(serve, fd, mode, log).detach();
  }
}
