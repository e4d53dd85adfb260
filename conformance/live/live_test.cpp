// The live tests (ctest label `live`): policy-conformance against the
// reference server, against every --bug mode of it, and against servers that
// misbehave on the network; the comwit CLI's credential resolution; and no
// token in any output. Loopback only: every server is started by its test on
// a free port of 127.0.0.1 and stopped by it, also when the test fails.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <regex>

#include "child_process.hpp"

namespace {

namespace fs = std::filesystem;
using live_test::Child;
using live_test::EnvChanges;
using live_test::read_file;
using nlohmann::json;

const std::string kSource = SCOPEGATE_SOURCE_DIR;
const std::string kPolicy = kSource + "/policies/comwit.yaml";
const std::string kTokens = kSource + "/conformance/live/fixtures/live-tokens.yaml";
const std::string kSmallPolicy = kSource + "/conformance/live/fixtures/small-policy.yaml";
const std::string kSmallTokens = kSource + "/conformance/live/fixtures/small-tokens.yaml";
constexpr const char* kOperatorSecret = "op-live-secret-7f3a";
// Tokens of the credential tests' config files; each first two hex digits
// differ, so that the masked forms tell them apart.
constexpr const char* kComwitConfigToken = "cwt_a1c0f16000000001";
constexpr const char* kXdgToken = "cwt_b2c0f16000000002";
constexpr const char* kHomeToken = "cwt_c3c0f16000000003";
constexpr const char* kFlagToken = "cwt_d4f1a90000000004";
constexpr const char* kMisplacedSecret = "op-pasted-into-config";

// A folder of its own for each test, removed at its end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "scopegate-live-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Loopback only: no proxy may see a probe. No comwit config of the person
// running the tests leaks in either.
EnvChanges base_env(const fs::path& home) {
  EnvChanges env = {{"no_proxy", "127.0.0.1"},        {"NO_PROXY", "127.0.0.1"},  {"HOME", home.string()},
                    {"PLATFORM_API_SERVER_TOKEN", kOperatorSecret}};
  for (const char* unset : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy",
                            "XDG_CONFIG_HOME", "COMWIT_CONFIG", "COMWIT_PROJECT"})
    env[unset] = std::nullopt;
  return env;
}

// Every secret the tests hand out.
std::vector<std::string> secrets() {
  std::vector<std::string> out = {kOperatorSecret, kComwitConfigToken, kXdgToken, kHomeToken, kFlagToken, kMisplacedSecret};
  const std::regex token_line(R"(^\s*-?\s*token:\s*(\S+))");
  for (const auto& file : {kTokens, kSmallTokens}) {
    std::istringstream lines(read_file(file));
    std::smatch m;
    for (std::string line; std::getline(lines, line);)
      if (std::regex_search(line, m, token_line)) out.push_back(m[1]);
  }
  return out;
}

void check_no_secrets(const std::string& text, const std::string& where) {
  for (const auto& s : secrets())
    CHECK_MESSAGE(text.find(s) == std::string::npos, where << " shows the token " << s.substr(0, 6) << "... in full");
}

struct Run {
  int status = -1;
  std::string out, err;
  json report;  ///< the --report-json document; null for a dry run
};

// Runs policy-conformance to its end and checks everything it wrote for tokens.
Run run_runner(const fs::path& dir, std::vector<std::string> args, const EnvChanges& env, const std::string& name) {
  const fs::path json_path = dir / (name + ".json"), junit_path = dir / (name + ".xml");
  args.insert(args.begin(), POLICY_CONFORMANCE);
  args.insert(args.end(), {"--report-json", json_path.string(), "--report-junit", junit_path.string()});
  Child runner(args, env, dir, name);
  Run r;
  r.status = runner.wait();
  r.out = runner.out();
  r.err = runner.err();
  check_no_secrets(r.out, name + " stdout");
  check_no_secrets(r.err, name + " stderr");
  if (fs::exists(json_path)) {
    std::string text = read_file(json_path);
    check_no_secrets(text, name + " JSON report");
    check_no_secrets(read_file(junit_path), name + " JUnit report");
    r.report = json::parse(text);
  }
  return r;
}

std::vector<std::string> reference_args(std::initializer_list<std::string> extra) {
  std::vector<std::string> args = {REFERENCE_SERVER, "--policy", kPolicy, "--tokens", kTokens, "--port", "0"};
  args.insert(args.end(), extra);
  return args;
}

std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

void check_server_output(const Child& server, const std::string& name) {
  check_no_secrets(server.out(), name + " stdout");
  check_no_secrets(server.err(), name + " stderr");
}

// Sends bytes on a fresh connection and returns the status of the answer.
int raw_status(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return answer.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(answer.substr(9, 3)) : -1;
}

std::vector<json> sent_probes(const json& report) {
  std::vector<json> out;
  for (const auto& p : report["probes"])
    if (p.contains("attempts")) out.push_back(p);
  return out;
}

std::size_t log_lines(const fs::path& log) {
  std::string text = read_file(log);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("live-reference: the runner passes against the reference server") {
  TempDir dir;
  const EnvChanges env = base_env(dir.path());
  Child server(reference_args({}), env, dir.path(), "server");
  const int port = server.port();
  const std::vector<std::string> common = {"--base-url", url(port), "--policy", kPolicy, "--tokens", kTokens};

  std::vector<std::string> args = common;
  args.push_back("--dry-run");
  Run plan = run_runner(dir.path(), args, env, "plan");
  REQUIRE(plan.status == 0);
  std::smatch m;
  REQUIRE(std::regex_search(plan.out, m, std::regex(R"((\d+) probes, (\d+) to send)")));
  const int to_send = std::stoi(m[2]);

  args = common;
  args.insert(args.end(), {"--rate", "500"});
  Run run = run_runner(dir.path(), args, env, "run");
  CHECK(run.status == 0);
  REQUIRE(run.report.is_object());
  CHECK(run.report["summary"]["failed"] == 0);
  CHECK(run.report["summary"]["errors"] == 0);
  CHECK(run.report["summary"]["passed"] == to_send);
  const double seconds = run.report["summary"]["seconds"];
  std::cout << "reference server: " << m[1] << " probes planned, " << to_send << " sent by default (the rest are allowed "
            << "writes); this run took " << seconds << " s at --rate 500; the default --rate 10 takes about "
            << to_send / 10 << " s\n";

  // With --allow-writes every planned probe is sent. The device-token
  // endpoint answers a poll without a device code 400 (RFC 8628), which is
  // the resource layer's answer, not a denial.
  args = common;
  args.insert(args.end(), {"--rate", "500", "--allow-writes", "--pass-status", "2xx,400,404"});
  Run writes = run_runner(dir.path(), args, env, "writes");
  CHECK(writes.status == 0);
  CHECK(writes.report["summary"]["held_back"] == 0);
  check_server_output(server, "reference server");
}

TEST_CASE("live-mutation: the runner fails against every --bug mode and names the broken rule") {
  // Each mode and the rule label of the probes that must catch it.
  const std::vector<std::pair<std::string, std::string>> modes = {
      {"skip-membership", "§1 step 12 membership"},
      {"skip-scope", "§1 step 11 scope"},
      {"read-for-write", "§2 no scope implies another"},
      {"user-status", "§1 step 6 operator-only route"},
      {"no-family", "§4 prefix family"},
      {"trust-actor", "§5 the header is never trusted"},
      {"decode-slash", "§3 an encoding of / is 400"},
      {"upper-cwt", "§2 user class"},
      {"unauth-404", "§1 steps 4-5 before 7"},
      {"honor-override", "§1 step 1b"},
  };
  TempDir dir;
  const EnvChanges env = base_env(dir.path());
  int caught = 0;
  for (const auto& [mode, rule] : modes) {
    CAPTURE(mode);
    Child server(reference_args({"--bug", mode}), env, dir.path(), "server-" + mode);
    Run run = run_runner(dir.path(), {"--base-url", url(server.port()), "--policy", kPolicy, "--tokens", kTokens, "--rate", "1000"},
                         env, "run-" + mode);
    server.stop();
    check_server_output(server, "server --bug " + mode);
    bool named = false;
    if (run.report.is_object())
      for (const auto& r : run.report["broken_rules"]) named |= r == rule;
    const bool ok = run.status == 1 && named;
    CHECK_MESSAGE(run.status == 1, "--bug " << mode << ": exit status " << run.status);
    CHECK_MESSAGE(named, "--bug " << mode << ": the report does not name " << rule);
    // The summary a person reads names the rule too.
    CHECK(run.out.find("broken rules:\n") != std::string::npos);
    CHECK(run.out.find("  " + rule + ": ") != std::string::npos);
    caught += ok ? 1 : 0;
    std::cout << "  --bug " << mode << ": " << (ok ? "caught, names " + rule : std::string("MISSED")) << '\n';
  }
  std::cout << "mutation score: " << caught << "/" << modes.size() << " (" << caught * 100 / static_cast<int>(modes.size())
            << "%)\n";
  CHECK(caught == static_cast<int>(modes.size()));
}

TEST_CASE("live-network: a misbehaving server gets the right retries and exit status") {
  TempDir dir;
  const EnvChanges env = base_env(dir.path());
  const fs::path log = dir.path() / "requests.log";
  auto start = [&](const std::string& mode) {
    return std::make_unique<Child>(std::vector<std::string>{MISBEHAVING_SERVER, mode, log.string()}, env, dir.path(),
                                   "server-" + mode);
  };
  auto small_run = [&](int port, std::initializer_list<std::string> extra, const std::string& name) {
    std::vector<std::string> args = {"--base-url", url(port), "--policy", kSmallPolicy, "--tokens", kSmallTokens,
                                     "--no-cases", "--rate", "200", "--timeout", "1", "--connect-timeout", "1"};
    args.insert(args.end(), extra);
    return run_runner(dir.path(), args, env, name);
  };

  SUBCASE("a server that never answers: each request times out once, exit 4") {
    auto server = start("timeout");
    Run run = small_run(server->port(), {"--retries", "2", "--concurrency", "2"}, "timeout");
    CHECK(run.status == 4);
    CHECK(run.report["summary"]["unreachable"] == true);
    auto sent = sent_probes(run.report);
    CHECK(!sent.empty());
    // A timeout after the connection was made is the server's answer taking
    // too long, not a connection failure: never retried.
    for (const auto& p : sent) CHECK(p["attempts"] == 1);
    CHECK(log_lines(log) == sent.size());
    CHECK(run.out.find("the target could not be reached") != std::string::npos);
  }
  SUBCASE("a server that resets connections: retried with backoff, exit 4") {
    auto server = start("reset");
    Run run = small_run(server->port(), {"--retries", "2", "--concurrency", "2"}, "reset");
    CHECK(run.status == 4);
    std::size_t attempts = 0;
    bool full_retries = false;
    for (const auto& p : sent_probes(run.report)) {
      attempts += p["attempts"].get<std::size_t>();
      full_retries |= p["attempts"] == 3 && p["retries"].size() == 2 &&
                      p["retries"][0].get<std::string>().find("backed off 0.5 s") != std::string::npos &&
                      p["retries"][1].get<std::string>().find("backed off 1 s") != std::string::npos;
    }
    CHECK(full_retries);
    CHECK(log_lines(log) == attempts);
    CHECK(run.report["summary"]["seconds"].get<double>() >= 1.5);  // 0.5 s, then 1 s of backoff
  }
  SUBCASE("a server that answers 500: every probe differs, none is retried, exit 1") {
    auto server = start("500");
    Run run = small_run(server->port(), {}, "500");
    CHECK(run.status == 1);
    auto sent = sent_probes(run.report);
    for (const auto& p : sent) {
      CHECK(p["attempts"] == 1);
      CHECK(p["result"] == "fail");
    }
    CHECK(log_lines(log) == sent.size());
    CHECK(run.report["summary"]["failed"] == sent.size());
  }
  SUBCASE("a server that answers 429 with Retry-After: the run waits and retries, exit 1") {
    auto server = start("429");
    Run run = small_run(server->port(), {"--concurrency", "1"}, "429");
    CHECK(run.status == 1);
    auto sent = sent_probes(run.report);
    REQUIRE(!sent.empty());
    CHECK(sent.front()["attempts"] == 3);
    CHECK(sent.front()["retries"] == json::array({"429, Retry-After 1 s", "429, Retry-After 1 s"}));
    CHECK(sent.front()["response"]["status"] == 500);
    // The server saw the retries at least a second apart.
    std::vector<long> times;
    std::istringstream lines(read_file(log));
    for (std::string line; std::getline(lines, line);) times.push_back(std::stol(line));
    REQUIRE(times.size() >= 3);
    CHECK(times[1] - times[0] >= 950);
    CHECK(times[2] - times[1] >= 950);
    CHECK(times.size() == sent.size() + 2);
  }
  SUBCASE("nothing listening: connection refused after the retries, exit 4") {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);  // a port that was free a moment ago and has no listener now
    Run run = small_run(ntohs(addr.sin_port), {"--retries", "1", "--concurrency", "1"}, "refused");
    CHECK(run.status == 4);
    CHECK(run.report["summary"]["unreachable"] == true);
  }
}

TEST_CASE("live-credentials: token and project resolve as the comwit CLI resolves them") {
  TempDir dir;
  const fs::path home = dir.path() / "home", xdg = dir.path() / "xdg";
  fs::create_directories(home / ".config/comwit");
  fs::create_directories(xdg / "comwit");
  const fs::path named = dir.path() / "named.json", xdg_file = xdg / "comwit/config.json",
                 home_file = home / ".config/comwit/config.json";
  std::ofstream(named) << R"({"token": ")" << kComwitConfigToken << R"(", "default_project": "prj_named"})";
  std::ofstream(xdg_file) << R"({"token": ")" << kXdgToken << R"(", "default_project": "prj_xdg"})";
  std::ofstream(home_file) << R"({"token": ")" << kHomeToken << R"(", "default_project": "prj_home"})";

  EnvChanges env = base_env(home);
  env["PLATFORM_API_SERVER_TOKEN"] = std::nullopt;
  int n = 0;
  auto plan = [&](EnvChanges changes, std::vector<std::string> args) {
    for (auto& [k, v] : base_env(home)) changes.try_emplace(k, v);
    args.insert(args.begin(), {"--policy", kPolicy, "--no-cases", "--dry-run"});
    return run_runner(dir.path(), args, changes, "plan" + std::to_string(++n));
  };
  auto line = [](const Run& r, const std::string& key) {
    auto at = r.out.find("  " + key + ": ");
    return at == std::string::npos ? std::string() : r.out.substr(at + key.size() + 4, r.out.find('\n', at) - at - key.size() - 4);
  };
  const EnvChanges all = {{"COMWIT_CONFIG", named.string()}, {"XDG_CONFIG_HOME", xdg.string()}};

  SUBCASE("$COMWIT_CONFIG, then $XDG_CONFIG_HOME, then ~/.config") {
    Run r = plan(all, {});
    CHECK(r.status == 0);
    CHECK(line(r, "token") == "cwt_a1\u2026(masked) from token of " + named.string());
    CHECK(line(r, "project") == "prj_named from default_project of " + named.string());
    r = plan({{"XDG_CONFIG_HOME", xdg.string()}}, {});
    CHECK(line(r, "token") == "cwt_b2\u2026(masked) from token of " + xdg_file.string());
    r = plan({}, {});
    CHECK(line(r, "token") == "cwt_c3\u2026(masked) from token of " + home_file.string());
    CHECK(line(r, "project") == "prj_home from default_project of " + home_file.string());
  }
  SUBCASE("--token wins over every config file") {
    Run r = plan(all, {"--token", kFlagToken});
    CHECK(line(r, "token") == "cwt_d4\u2026(masked) from --token");
    CHECK(line(r, "project") == "prj_named from default_project of " + named.string());
  }
  SUBCASE("--project, then $COMWIT_PROJECT, then default_project") {
    EnvChanges with_project = all;
    with_project["COMWIT_PROJECT"] = "prj_env";
    CHECK(line(plan(with_project, {"--project", "prj_flag"}), "project") == "prj_flag from --project");
    CHECK(line(plan(with_project, {}), "project") == "prj_env from $COMWIT_PROJECT");
    CHECK(line(plan(all, {}), "project") == "prj_named from default_project of " + named.string());
  }
  SUBCASE("a malformed config file is an error naming the file") {
    const fs::path bad = dir.path() / "bad.json";
    for (const std::string text : {R"({"token": "cwt_a1c0f160)", R"(["cwt_a1c0f16000000001"])", R"({"token": 42})"}) {
      std::ofstream(bad) << text;
      Run r = plan({{"COMWIT_CONFIG", bad.string()}}, {});
      CHECK(r.status == 2);
      CHECK(r.err.find(bad.string() + ": malformed comwit config file") != std::string::npos);
    }
    Run missing = plan({{"COMWIT_CONFIG", (dir.path() / "missing.json").string()}}, {});
    CHECK(missing.status == 2);
    CHECK(missing.err.find((dir.path() / "missing.json").string()) != std::string::npos);
  }
  SUBCASE("a config token that is not a user token is refused without echoing it") {
    const fs::path op = dir.path() / "op.json";
    std::ofstream(op) << R"({"token": ")" << kMisplacedSecret << R"("})";
    Run r = plan({{"COMWIT_CONFIG", op.string()}}, {});
    CHECK(r.status == 2);
    CHECK(r.err.find("is not a user token") != std::string::npos);
  }
}

TEST_CASE("live-secrets: no token appears in any output, also of a failing run") {
  TempDir dir;
  const EnvChanges env = base_env(dir.path());
  Child server(reference_args({"--bug", "trust-actor", "--bug", "upper-cwt"}), env, dir.path(), "server");
  // A failing run prints every difference with its curl command line; the
  // own token comes in through --token as well as the tokens file.
  Run run = run_runner(dir.path(),
                       {"--base-url", url(server.port()), "--policy", kPolicy, "--tokens", kTokens, "--token",
                        "cwt_a11ce00000001", "--rate", "1000"},
                       env, "failing");
  CHECK(run.status == 1);
  CHECK(run.out.find("curl ") != std::string::npos);
  // The masked forms are there, so the search for the whole tokens is not vacuous.
  CHECK(run.out.find("cwt_a1\u2026(masked)") != std::string::npos);
  CHECK(run.out.find("CWT_a1\u2026(masked)") != std::string::npos);
  server.stop();
  check_server_output(server, "reference server");
}

TEST_CASE("live-device-flow: the reference server's RFC 8628 endpoints") {
  TempDir dir;
  const EnvChanges env = base_env(dir.path());
  const std::string grant = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=";
  auto start_flow = [](httplib::Client& client) {
    auto r = client.Post("/v1/auth/device", "", "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 200);
    json body = json::parse(r->body);
    for (const char* field : {"device_code", "user_code", "verification_uri"}) CHECK(body[field].is_string());
    CHECK(body["expires_in"].is_number_integer());
    return body["device_code"].get<std::string>();
  };

  SUBCASE("without --approve-as, polling stays authorization_pending") {
    Child server(reference_args({}), env, dir.path(), "server");
    httplib::Client client("127.0.0.1", server.port());
    std::string code = start_flow(client);
    auto poll = client.Post("/v1/auth/device/token", grant + code, "application/x-www-form-urlencoded");
    REQUIRE(poll);
    CHECK(poll->status == 400);
    CHECK(json::parse(poll->body)["error"] == "authorization_pending");
    auto unknown = client.Post("/v1/auth/device/token", grant + "0000", "application/x-www-form-urlencoded");
    REQUIRE(unknown);
    CHECK(json::parse(unknown->body)["error"] == "invalid_grant");
  }
  SUBCASE("with --approve-as, polling yields that user's token") {
    Child server(reference_args({"--approve-as", "usr_reader"}), env, dir.path(), "server");
    httplib::Client client("127.0.0.1", server.port());
    std::string code = start_flow(client);
    auto poll = client.Post("/v1/auth/device/token", grant + code, "application/x-www-form-urlencoded");
    REQUIRE(poll);
    CHECK(poll->status == 200);
    json body = json::parse(poll->body);
    CHECK(body["access_token"] == "cwt_5ead00000002");
    CHECK(body["token_type"] == "Bearer");
  }
}

TEST_CASE("live-raw-target: the reference server decides on the request as received") {
  TempDir dir;
  Child server(reference_args({}), base_env(dir.path()), dir.path(), "server");
  const int port = server.port();
  const std::string alice = "Authorization: Bearer cwt_a11ce00000001\r\n";
  // cpp-httplib alone would cut the target at '#' and answer 400 to a
  // lower-case method before any handler ran.
  CHECK(raw_status(port, "GET /v1/projects#x HTTP/1.1\r\nHost: t\r\n" + alice + "\r\n") == 400);
  CHECK(raw_status(port, "get /v1/projects HTTP/1.1\r\nHost: t\r\n" + alice + "\r\n") == 405);
  CHECK(raw_status(port, "FOO /v1/scopegate-probe HTTP/1.1\r\nHost: t\r\n\r\n") == 401);
  CHECK(raw_status(port, "GET /v1/projects/prj_alpha/../../v1/status HTTP/1.1\r\nHost: t\r\n" + alice + "\r\n") == 400);
  CHECK(raw_status(port, "GET /v1/projects/prj_alpha HTTP/1.1\r\nHost: t\r\n" + alice + "\r\n") == 200);
}
