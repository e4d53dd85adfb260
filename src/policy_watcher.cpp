// PolicyWatcher (include/scopegate/watcher.hpp): one thread that waits on
// inotify and a stop pipe with poll(2), and reloads when the file's identity
// changes. Linux only, like inotify; polling needs nothing beyond stat(2).

#include "scopegate/watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>
#include <thread>

#include "scopegate/yaml.hpp"

namespace scopegate {
namespace {

/// What stat(2) says about the file; equal identities mean an unchanged file.
/// A missing file has an identity too, so that its disappearance is reported
/// once, not at every look.
struct Identity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  timespec modified{};
  timespec changed{};

  static Identity of(const std::string& path) {
    Identity id;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return id;
    id.exists = true;
    id.device = st.st_dev;
    id.inode = st.st_ino;
    id.size = st.st_size;
    id.modified = st.st_mtim;
    id.changed = st.st_ctim;
    return id;
  }

  friend bool operator==(const Identity& a, const Identity& b) {
    return a.exists == b.exists && a.device == b.device && a.inode == b.inode && a.size == b.size &&
           a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec &&
           a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec;
  }
};

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct PolicyWatcher::State {
  using Clock = std::chrono::steady_clock;

  std::string path;
  std::string base_name;
  PolicyHolder& holder;
  Callback on_reload;
  std::chrono::milliseconds interval;

  Fd inotify;
  Fd stop_read;
  Fd stop_write;
  std::atomic<bool> stopping{false};

  // Serializes reloads, from the watcher thread or reload(), and guards
  // loaded, seen and seen_at; no reader ever takes it.
  std::mutex reload_mutex;
  Identity loaded;          // the file as last read
  Identity seen;            // the file as a look last found it, for settling
  Clock::time_point seen_at;
  std::atomic<std::uint64_t> applied{0};
  std::atomic<std::uint64_t> refused{0};
  std::thread thread;

  State(std::string p, PolicyHolder& h, Callback cb, Options o)
      : path(std::move(p)),
        base_name(base_name_of(path)),
        holder(h),
        on_reload(std::move(cb)),
        interval(std::max(o.poll_interval, std::chrono::milliseconds(1))) {}

  ReloadEvent load_and_report() {
    const std::lock_guard<std::mutex> lock(reload_mutex);
    return load_locked();
  }

  /// load_and_report with reload_mutex already held.
  ReloadEvent load_locked() {
    ReloadEvent event;
    // A file that changes while it is read may mix two versions: read it
    // again, and give up for now when it keeps changing.
    LoadResult result;
    Identity before;
    Identity after;
    for (int attempt = 0; attempt < 3; ++attempt) {
      before = Identity::of(path);
      result = load_policy_file(path);
      after = Identity::of(path);
      if (before == after) break;
    }
    if (before == after) {
      loaded = seen = after;
      event.applied = result.ok();
      if (result.ok()) holder.replace(CompileResult{std::move(result.policy), {}});
      event.diagnostics = std::move(result.diagnostics);
    } else {
      // `loaded` stays behind the file, so the next look reads it again.
      event.diagnostics.push_back(Diagnostic{"SG000", Severity::kError, path, {},
                                             "the file kept changing while it was read", "replace the file whole: "
                                             "write a temporary file, then rename it over this one", std::nullopt});
    }
    (event.applied ? applied : refused).fetch_add(1, std::memory_order_relaxed);
    if (on_reload) on_reload(event);
    return event;
  }

  /// A look at the file. `settled_only`: load a change only once it has held
  /// still for one interval (the file may be in the middle of a write).
  void look(bool settled_only) {
    const std::lock_guard<std::mutex> lock(reload_mutex);
    const Identity now = Identity::of(path);
    if (now == loaded) return;
    if (settled_only) {
      if (!(now == seen)) {
        seen = now;
        seen_at = Clock::now();
        return;
      }
      if (Clock::now() - seen_at < interval) return;
    }
    load_locked();
  }

  /// Reads every pending inotify event; true when one names the file as
  /// finished: closed after writing, or renamed into place. Other events in
  /// the directory (a ConfigMap's `..data` swap, a deletion) only ask for a
  /// look.
  bool drain_inotify() {
    alignas(inotify_event) char buffer[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
    bool finished = false;
    for (;;) {
      const ssize_t n = ::read(inotify.get(), buffer, sizeof buffer);
      if (n <= 0) return finished;  // EAGAIN: drained
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
        if (e->len > 0 && base_name == e->name && (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0) finished = true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  }

  void run() {
    const int timeout = static_cast<int>(interval.count());
    while (!stopping.load(std::memory_order_acquire)) {
      // A negative descriptor (no inotify, no pipe) is ignored by poll(2);
      // the timeout then paces the looks and the stop check alone.
      pollfd fds[2] = {{stop_read.get(), POLLIN, 0}, {inotify.get(), POLLIN, 0}};
      if (::poll(fds, 2, timeout) < 0 && errno != EINTR) std::this_thread::sleep_for(interval);
      if (stopping.load(std::memory_order_acquire)) return;
      const bool finished = (fds[1].revents & POLLIN) != 0 && drain_inotify();
      // A finished write is loaded at once; anything else must settle first.
      look(/*settled_only=*/!finished);
    }
  }
};

PolicyWatcher::PolicyWatcher(std::string path, PolicyHolder& holder, Callback on_reload, Options options)
    : state_(std::make_unique<State>(std::move(path), holder, std::move(on_reload), options)) {
  State& s = *state_;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) == 0) {
    s.stop_read = Fd(pipe_fds[0]);
    s.stop_write = Fd(pipe_fds[1]);
  }
  if (options.use_inotify) {
    Fd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (fd.get() >= 0 &&
        ::inotify_add_watch(fd.get(), directory_of(s.path).c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB) >= 0)
      s.inotify = std::move(fd);
  }
  s.load_and_report();
  s.thread = std::thread([&s] { s.run(); });
}

PolicyWatcher::~PolicyWatcher() {
  state_->stopping.store(true, std::memory_order_release);
  // Wakes the thread at once; should the write fail, the thread still sees
  // `stopping` within one interval.
  const char stop = 1;
  [[maybe_unused]] const ssize_t written = ::write(state_->stop_write.get(), &stop, 1);
  state_->thread.join();
}

ReloadEvent PolicyWatcher::reload() { return state_->load_and_report(); }

bool PolicyWatcher::using_inotify() const { return state_->inotify.get() >= 0; }

std::uint64_t PolicyWatcher::applied_count() const { return state_->applied.load(std::memory_order_relaxed); }

std::uint64_t PolicyWatcher::refused_count() const { return state_->refused.load(std::memory_order_relaxed); }

}  // namespace scopegate
