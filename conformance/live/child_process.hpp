#pragma once
// Child processes for the live tests: started with a controlled environment,
// their output captured to files, and always stopped, also when a test fails
// (the destructor kills what is still running).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace live_test {

/// Variables to set (a value) or remove (nullopt) on top of the test's own
/// environment.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Child {
 public:
  /// Starts `argv` in `dir` with stdout and stderr sent to `dir/<name>.out`
  /// and `.err`. Throws when the program cannot be started.
  Child(const std::vector<std::string>& argv, const EnvChanges& env, const std::filesystem::path& dir,
        const std::string& name)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) {
      if (v) vars[k] = *v;
      else vars.erase(k);
    }
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& s : argv_copy) args.push_back(s.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv.front());
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  /// Waits for the exit status, killing the child after `timeout`.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(180)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }

  /// The port of a server's first line `listening on 127.0.0.1:PORT`; throws
  /// when it does not appear in time.
  int port() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = out();
      auto nl = text.find('\n');
      if (nl != std::string::npos) {
        const std::string prefix = "listening on 127.0.0.1:";
        if (text.rfind(prefix, 0) != 0) throw std::runtime_error("unexpected first line: " + text.substr(0, nl));
        return std::stoi(text.substr(prefix.size(), nl - prefix.size()));
      }
      if (!running()) throw std::runtime_error("server exited: " + err());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("server printed no listening line");
  }

  /// SIGTERM, then SIGKILL if it is still there after five seconds.
  void stop() {
    if (!running()) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 250 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (running()) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      done_ = true;
    }
  }

  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }

 private:
  bool running() {
    if (done_) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      done_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return !done_;
  }

  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
  std::filesystem::path out_, err_;
};

}  // namespace live_test
