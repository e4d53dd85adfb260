#pragma once
/// Hot reload: a PolicyWatcher follows one policy file and swaps every version
/// that loads into a PolicyHolder. Part of `scopegate::yaml` (it loads YAML);
/// the implementation is src/policy_watcher.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scopegate/diagnostic.hpp"
#include "scopegate/holder.hpp"

namespace scopegate {

/// What one reload did.
struct ReloadEvent {
  /// True when the file's policy is now the holder's current one. False when
  /// it did not load: the holder keeps the last good policy, whole.
  bool applied = false;
  /// Every finding of load_policy_file: the errors that refused the file, or
  /// the warnings of an applied one.
  std::vector<Diagnostic> diagnostics;
};

/// Watches one policy file and reloads it into a holder whenever it changes.
///
/// Readers are never involved: they keep calling `holder.current()`, which
/// hands out the old or the new policy, whole; a file that does not load
/// never takes effect (nothing is half-loaded) and its errors go to the
/// callback. Loading and compiling run on the watcher's own thread.
///
/// Change detection: inotify on the file's directory where the kernel has it
/// (so a rename over the file, an editor's save and a Kubernetes ConfigMap's
/// symlink swap are all seen), with a look at the file's identity (device,
/// inode, size, modification and change times) every `poll_interval` as the
/// fallback and safety net. A change seen only by that look is loaded once the
/// identity has held still for one interval, so a file written in place is not
/// read half-written; a file whose identity changes while it is read is read
/// again. Writers should still replace the file whole (write a temporary file
/// beside it, then rename it over the old one): a half-written file that
/// happens to be a valid, smaller policy cannot be told from a finished one.
///
/// Not implemented: a guard that refuses a reload granting new access.
///
/// Thread safety: `reload()` may be called from any thread; reloads are
/// serialized. The callback runs on the thread that reloads (the watcher's,
/// or the caller of `reload()`), one call at a time; it must not throw nor
/// destroy the watcher.
class PolicyWatcher {
 public:
  struct Options {
    /// False forces polling, e.g. on a network file system inotify cannot see.
    bool use_inotify = true;
    /// How often the file's identity is looked at (at least 1 ms).
    std::chrono::milliseconds poll_interval{250};
  };
  using Callback = std::function<void(const ReloadEvent&)>;

  /// Loads `path` into `holder` at once (on the calling thread, reporting to
  /// `on_reload`), then watches it on a thread of its own. `holder` must
  /// outlive the watcher. The policy file's directory must exist.
  PolicyWatcher(std::string path, PolicyHolder& holder, Callback on_reload, Options options);
  PolicyWatcher(std::string path, PolicyHolder& holder, Callback on_reload)
      : PolicyWatcher(std::move(path), holder, std::move(on_reload), Options{}) {}

  /// Stops the thread; returns once it has ended (at most about one
  /// poll_interval, or one load in progress).
  ~PolicyWatcher();
  PolicyWatcher(const PolicyWatcher&) = delete;
  PolicyWatcher& operator=(const PolicyWatcher&) = delete;

  /// Loads the file now, whatever changed, and reports as a change would.
  ReloadEvent reload();

  /// False when inotify was not asked for or could not be set up.
  bool using_inotify() const;
  /// Reloads applied and refused so far (the first load included).
  std::uint64_t applied_count() const;
  std::uint64_t refused_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace scopegate
