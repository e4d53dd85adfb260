// Hot reload under load (issue 6): PolicyWatcher reloading a file that a writer
// keeps replacing with two valid policies and an invalid one, while reader
// threads decide without pause. Runs under ThreadSanitizer in CI (ctest -L
// concurrency, scripts/sanitize).

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scopegate/scopegate.hpp"
#include "scopegate/watcher.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scopegate;
using namespace std::chrono_literals;

constexpr const char* kHead =
    "scopegate: 1\n"
    "name: reload\n"
    "scopes: {app:read: read apps}\n"
    "token_classes:\n"
    "  user: {prefix: cwt_, charset: 0-9a-f, max_length: 256}\n"
    "routes:\n";

// A and B disagree on every probe below; the invalid policy would make /v1/z
// public, so a half-loaded or wrongly applied invalid file would show.
const std::string kPolicyA = std::string(kHead) +
                             "  - {method: GET, path: /v1/a, scope: app:read}\n"
                             "  - {method: GET, path: /v1/b, operator_only: true}\n"
                             "  - {method: POST, path: /v1/login, auth: none}\n";
const std::string kPolicyB = std::string(kHead) +
                             "  - {method: GET, path: /v1/a, operator_only: true}\n"
                             "  - {method: GET, path: /v1/b, scope: app:read}\n"
                             "  - {method: GET, path: /v1/c, scope: app:read}\n";
const std::string kInvalid = std::string(kHead) +
                             "  - {method: GET, path: /v1/z, auth: none}\n"
                             "  - {method: GET, path: /v1/a, scope: app:raed}\n";  // SG101: unknown scope

struct Probe {
  const char* method;
  const char* target;
};
constexpr std::array<Probe, 5> kProbes = {{
    {"GET", "/v1/a"},
    {"GET", "/v1/b"},
    {"POST", "/v1/login"},
    {"GET", "/v1/z"},
    {"GET", "/v1/c"},
}};

/// The user every probe decides for: app:read, no project.
struct Caller {
  StaticTokenResolver resolver{std::vector<UserTokenEntry>{{"cwt_a11ce", "usr_alice", {"app:read"}, {}, {}}}};
  std::array<Header, 1> headers{{{"Authorization", "Bearer cwt_a11ce"}}};
  OperatorSecret secret;
};

/// One snapshot's answers to every probe, as reason and route. The route is
/// copied: a decision's views die with its policy.
using Outcome = std::array<std::pair<Reason, std::string>, kProbes.size()>;

Outcome decide_all(const CompiledPolicy& policy, const Caller& caller) {
  Outcome out;
  for (std::size_t i = 0; i < kProbes.size(); ++i) {
    const Decision d = decide(policy, Request{kProbes[i].method, kProbes[i].target, caller.headers}, caller.resolver,
                              caller.secret);
    out[i] = {d.reason, std::string(d.route)};
  }
  return out;
}

std::shared_ptr<const CompiledPolicy> load_ok(const std::string& text) {
  LoadResult r = load_policy_text(text, "inline.yaml");
  REQUIRE(r.ok());
  return r.policy;
}

/// A fresh directory under the system's temporary directory, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "scopegate-reload-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Replaces the file whole, as the watcher's contract asks of writers.
void replace_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  fs::rename(tmp, path);
}

/// What the callback saw, read by the test thread.
struct Reports {
  std::mutex mutex;
  int applied = 0;
  int refused = 0;
  int refused_sg101 = 0;
  std::vector<std::string> unexpected;

  void add(const ReloadEvent& e, const std::string& file) {
    const std::lock_guard<std::mutex> lock(mutex);
    if (e.applied) {
      ++applied;
      if (has_errors(e.diagnostics)) unexpected.push_back("an applied reload with errors");
      return;
    }
    ++refused;
    if (!has_errors(e.diagnostics)) unexpected.push_back("a refused reload without an error");
    for (const Diagnostic& d : e.diagnostics) {
      if (d.code == "SG101" && d.file == file && d.pos.line != 0) ++refused_sg101;
      // SG000: the rename came in the middle of a read, which is retried.
      else if (d.code != "SG000") unexpected.push_back(d.format());
    }
  }
  int refusals_with_sg101() {
    const std::lock_guard<std::mutex> lock(mutex);
    return refused_sg101;
  }
};

/// Waits until `done()` holds, at most `limit`.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

void run_under_load(PolicyWatcher::Options options) {
  const Caller caller;
  const Outcome want_a = decide_all(*load_ok(kPolicyA), caller);
  const Outcome want_b = decide_all(*load_ok(kPolicyB), caller);
  REQUIRE(want_a != want_b);
  // /v1/z exists in the invalid policy alone, where it would be public.
  CHECK(want_a[3].first == Reason::kNoRoute);
  CHECK(want_b[3].first == Reason::kNoRoute);

  TempDir dir;
  const fs::path file = dir.path / "policy.yaml";
  replace_file(file, kPolicyA);
  PolicyHolder holder(load_ok(kPolicyA));
  Reports reports;
  PolicyWatcher watcher(file.string(), holder, [&](const ReloadEvent& e) { reports.add(e, file.string()); }, options);
  CHECK(watcher.using_inotify() == options.use_inotify);

  // Readers: each takes one snapshot, decides every probe with it, and checks
  // that the whole answer is A's or B's.
  constexpr std::size_t kReaders = 3;
  std::atomic<bool> stop{false};
  std::array<std::atomic<long>, kReaders> rounds{};
  std::atomic<long> seen_a{0}, seen_b{0}, neither{0};
  std::vector<std::thread> readers;
  for (std::size_t r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      while (!stop.load(std::memory_order_relaxed)) {
        const std::shared_ptr<const CompiledPolicy> policy = holder.current();
        const Outcome got = decide_all(*policy, caller);
        if (got == want_a) ++seen_a;
        else if (got == want_b) ++seen_b;
        else ++neither;
        rounds[r].fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  // The writer: A, invalid, B, invalid, ... for two seconds and at least four
  // rounds (a sanitizer on a busy machine can starve it), pausing a little so
  // that some versions are still there when the watcher looks.
  constexpr std::size_t kMinWrites = 16;
  const auto until = std::chrono::steady_clock::now() + 2s;
  const std::string* cycle[] = {&kPolicyA, &kInvalid, &kPolicyB, &kInvalid};
  std::size_t writes = 0;
  while (writes < kMinWrites || std::chrono::steady_clock::now() < until) {
    replace_file(file, *cycle[writes++ % 4]);
    std::this_thread::sleep_for(options.use_inotify ? 5ms : 3 * options.poll_interval);
  }

  // Settle on B, then write the invalid file: it must be refused, and B stay.
  // reload() waits for a load already under way (which may have read an
  // older version just before B was written) and then loads B itself, so no
  // older version can land after it.
  replace_file(file, kPolicyB);
  CHECK(watcher.reload().applied);
  CHECK(decide_all(*holder.current(), caller) == want_b);
  const int sg101_before = reports.refusals_with_sg101();
  replace_file(file, kInvalid);
  CHECK(eventually([&] { return reports.refusals_with_sg101() > sg101_before; }));
  CHECK(decide_all(*holder.current(), caller) == want_b);

  stop = true;
  for (auto& t : readers) t.join();

  INFO("writes: ", writes, ", applied: ", watcher.applied_count(), ", refused: ", watcher.refused_count());
  CHECK(neither.load() == 0);
  CHECK(seen_a.load() > 0);
  CHECK(seen_b.load() > 0);
  // Readers never wait for a load: each made progress all along.
  for (std::size_t r = 0; r < kReaders; ++r) {
    INFO("reader ", r, ": ", rounds[r].load(), " rounds");
    CHECK(rounds[r].load() >= 100);
  }
  const std::lock_guard<std::mutex> lock(reports.mutex);
  CHECK(reports.unexpected.empty());
  // At least the first load and B at the end; versions that follow each other
  // quickly are loaded once, as the last of them.
  CHECK(reports.applied >= 2);
  CHECK(reports.refused_sg101 >= 1);
  CHECK(static_cast<std::uint64_t>(reports.applied) == watcher.applied_count());
  CHECK(static_cast<std::uint64_t>(reports.refused) == watcher.refused_count());
}

}  // namespace

TEST_CASE("reload: readers decide without pause while the file swaps, with inotify") {
  run_under_load(PolicyWatcher::Options{true, 100ms});
}

TEST_CASE("reload: readers decide without pause while the file swaps, by polling") {
  run_under_load(PolicyWatcher::Options{false, 10ms});
}

TEST_CASE("reload: a file that does not load keeps the last good policy and is reported once") {
  TempDir dir;
  const fs::path file = dir.path / "policy.yaml";
  replace_file(file, kPolicyA);
  const Caller caller;
  const Outcome want_a = decide_all(*load_ok(kPolicyA), caller);
  PolicyHolder holder(load_ok(kPolicyB));
  std::vector<ReloadEvent> events;
  std::mutex mutex;
  PolicyWatcher watcher(file.string(), holder, [&](const ReloadEvent& e) {
    const std::lock_guard<std::mutex> lock(mutex);
    events.push_back(e);
  }, PolicyWatcher::Options{true, 10ms});

  SUBCASE("the constructor loads the file at once") {
    CHECK(decide_all(*holder.current(), caller) == want_a);
    const std::lock_guard<std::mutex> lock(mutex);
    REQUIRE(events.size() == 1);
    CHECK(events[0].applied);
  }
  SUBCASE("a deleted file is SG000, reported once; the policy stays") {
    fs::remove(file);
    CHECK(eventually([&] { return watcher.refused_count() == 1; }));
    std::this_thread::sleep_for(50ms);  // several looks: still one report
    CHECK(watcher.refused_count() == 1);
    CHECK(decide_all(*holder.current(), caller) == want_a);
    const std::lock_guard<std::mutex> lock(mutex);
    REQUIRE(events.size() == 2);
    CHECK_FALSE(events[1].applied);
    REQUIRE(events[1].diagnostics.size() == 1);
    CHECK(events[1].diagnostics[0].code == "SG000");
  }
  SUBCASE("a file written in place is loaded once it is complete") {
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << kPolicyB;
    }
    const Outcome want_b = decide_all(*load_ok(kPolicyB), caller);
    CHECK(eventually([&] { return decide_all(*holder.current(), caller) == want_b; }));
  }
  SUBCASE("reload() loads now, whatever changed") {
    const ReloadEvent e = watcher.reload();
    CHECK(e.applied);
    CHECK(e.diagnostics.empty());
    CHECK(watcher.applied_count() == 2);
  }
}
