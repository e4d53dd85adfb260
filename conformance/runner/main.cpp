// conformance-cases: decides every case of the conformance suite with the engine
// or with the reference evaluator and reports each case whose decision differs
// from what it expects. `--break` decides with the engine and one deliberate
// fault around it, to show that the cases catch it. Exit status: 0 all passed,
// 1 a case failed, 2 a usage error, or the policy, a fixture or a case file
// could not be read.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "case_file.hpp"
#include "engine_adapter.hpp"
#include "reference/reference.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/tokens.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;
using scopegate::conformance::Case;
using scopegate::conformance::CaseFile;
using scopegate::conformance::Fault;
using scopegate::conformance::FaultInfo;
using scopegate::reference::RefDecision;

constexpr int kExitFailed = 1;
constexpr int kExitInput = 2;

struct Options {
  std::string policy = std::string(SCOPEGATE_SOURCE_DIR) + "/policies/comwit.yaml";
  std::string cases = std::string(SCOPEGATE_SOURCE_DIR) + "/conformance/cases";
  std::string fixtures = std::string(SCOPEGATE_SOURCE_DIR) + "/conformance/fixtures";
  std::string engine = "engine";
  std::string fault;  ///< a `--break` mode name; empty: none
  std::size_t max_shown = 20;
  bool verbose = false;
};

// A policy and a tokens fixture, ready for both evaluators. The runner never
// reads $PLATFORM_API_SERVER_TOKEN: a fixture without `operator_token` has no
// operator, so that results do not depend on the environment.
struct Setup {
  std::shared_ptr<const scopegate::CompiledPolicy> policy;
  scopegate::TokensFile tokens;
  std::unique_ptr<scopegate::StaticTokenResolver> resolver;
  scopegate::OperatorSecret secret;
};

// The case files under a directory (recursively, in path order) or the one file named.
std::vector<std::string> case_paths(const std::string& root) {
  std::vector<std::string> paths;
  if (!fs::is_directory(root)) return {root};
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Shorter paths in reports when the file lies below the working directory.
std::string shown(const std::string& path) {
  std::error_code ec;
  auto relative = fs::relative(path, fs::current_path(), ec);
  if (ec || relative.empty() || *relative.begin() == "..") return path;
  return relative.string();
}

RefDecision decide_case(const Case& c, const Setup& setup, bool use_engine, Fault fault) {
  if (!use_engine)
    return scopegate::reference::evaluate(setup.policy->spec(), c.request.method, c.request.target, c.request.headers,
                                          setup.tokens, setup.tokens.operator_token);
  return scopegate::conformance::decide_with_engine(c.request, *setup.policy, *setup.resolver, setup.secret, fault);
}

// Loads and caches a policy file; nullptr (after printing why) when it is broken.
std::shared_ptr<const scopegate::CompiledPolicy> policy_at(
    const std::string& path, std::map<std::string, std::shared_ptr<const scopegate::CompiledPolicy>>& cache) {
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  auto loaded = scopegate::load_policy_file(shown(path));
  for (const auto& d : loaded.diagnostics)
    if (d.severity == scopegate::Severity::kError) std::cerr << d.format() << '\n';
  return cache.emplace(path, loaded.policy).first->second;
}

// The policy and tokens a case file names, loaded once; nullptr (after printing
// why) when either is broken.
const Setup* setup_for(const CaseFile& file, const Options& options,
                       std::map<std::string, std::shared_ptr<const scopegate::CompiledPolicy>>& policies,
                       std::map<std::string, std::unique_ptr<Setup>>& setups) {
  auto policy_path = file.policy.empty() ? options.policy : options.fixtures + "/" + file.policy + ".yaml";
  auto tokens_path = options.fixtures + "/" + file.tokens + ".yaml";
  auto key = policy_path + '\n' + tokens_path;
  if (auto it = setups.find(key); it != setups.end()) return it->second.get();
  auto policy = policy_at(policy_path, policies);
  if (!policy) return nullptr;
  auto loaded = scopegate::load_tokens_file(shown(tokens_path), policy->spec());
  for (const auto& d : loaded.diagnostics) std::cerr << d.format() << '\n';
  if (!loaded.tokens) return nullptr;
  auto setup = std::make_unique<Setup>();
  setup->policy = policy;
  setup->tokens = std::move(*loaded.tokens);
  setup->resolver = std::make_unique<scopegate::StaticTokenResolver>(setup->tokens.users);
  if (setup->tokens.operator_token) {
    std::string error;
    auto secret = scopegate::OperatorSecret::make(*setup->tokens.operator_token, *policy, &error);
    if (!secret) {
      std::cerr << shown(tokens_path) << ": " << error << '\n';
      return nullptr;
    }
    setup->secret = std::move(*secret);
  }
  return setups.emplace(key, std::move(setup)).first->second.get();
}

int run(const Options& options) {
  bool use_engine = options.engine == "engine";
  // CLI11 has checked the name: nullptr means no --break.
  const FaultInfo* broken = scopegate::conformance::find_fault(options.fault);
  if (broken && !use_engine) {
    std::cerr << "conformance-cases: --break breaks the engine, not the reference evaluator\n";
    return kExitInput;
  }
  Fault fault = broken ? broken->fault : Fault::kNone;
  if (!fs::exists(options.cases)) {
    std::cerr << "conformance-cases: " << options.cases << ": no such file or directory\n";
    return kExitInput;
  }
  auto paths = case_paths(options.cases);
  if (paths.empty()) {
    // Passing on no case at all would hide a wrong --cases.
    std::cerr << "conformance-cases: " << options.cases << ": no *.yaml case file\n";
    return kExitInput;
  }
  std::vector<CaseFile> files;
  bool input_ok = true;
  for (const auto& path : paths) {
    auto parsed = scopegate::conformance::parse_case_file(shown(path));
    for (const auto& error : parsed.errors) std::cerr << error << '\n';
    if (parsed.file) files.push_back(std::move(*parsed.file));
    else input_ok = false;
  }
  std::map<std::string, std::shared_ptr<const scopegate::CompiledPolicy>> policies;
  std::map<std::string, std::unique_ptr<Setup>> setups;
  std::vector<const Setup*> setup_of_file;
  for (const auto& file : files) {
    setup_of_file.push_back(setup_for(file, options, policies, setups));
    if (setup_of_file.back() == nullptr) input_ok = false;
  }
  if (!input_ok) return kExitInput;

  if (broken) std::cout << "engine broken on purpose (--break " << broken->name << "): " << broken->breaks << '\n';
  std::size_t passed = 0, failed = 0;
  // A broken engine can fail hundreds of cases: the first few in full, then
  // each failing file with a count, so that the report stays readable.
  auto shown_in_full = [&] { return options.max_shown == 0 || failed <= options.max_shown; };
  std::vector<std::string> failing_files;
  for (std::size_t f = 0; f < files.size(); ++f) {
    std::size_t failed_here = 0;
    for (const auto& c : files[f].cases) {
      auto where = c.file + ":" + std::to_string(c.line) + ": " + c.note;
      if (c.expect.empty()) {
        ++failed;
        ++failed_here;
        if (shown_in_full()) std::cout << where << "\n  expect: asserts nothing, so the case could never fail\n";
        continue;
      }
      auto got = decide_case(c, *setup_of_file[f], use_engine, fault);
      auto diffs = scopegate::conformance::mismatches(c.expect, got);
      if (diffs.empty()) {
        ++passed;
        if (options.verbose) std::cout << "ok " << where << '\n';
        continue;
      }
      ++failed;
      ++failed_here;
      if (!shown_in_full()) continue;
      std::cout << where << '\n';
      for (const auto& diff : diffs) std::cout << "  " << diff << '\n';
      if (options.verbose) std::cout << "  (" << c.rule << ") decision: " << scopegate::reference::to_json(got) << '\n';
    }
    if (failed_here != 0)
      failing_files.push_back(files[f].path + ": " + std::to_string(failed_here) + " of " +
                              std::to_string(files[f].cases.size()) + " cases failed");
  }
  if (!shown_in_full())
    std::cout << "... and " << failed - options.max_shown << " more failing cases (--max-shown 0 shows them all)\n";
  if (failed != 0) {
    std::cout << "failing case files:\n";
    for (const auto& line : failing_files) std::cout << "  " << line << '\n';
  }
  std::cout << passed + failed << " cases: " << passed << " passed, " << failed << " failed";
  if (broken) std::cout << " (--break " << broken->name << ")";
  std::cout << '\n';
  return failed == 0 ? 0 : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Decides every conformance case and reports those whose decision differs from what they expect"};
  app.add_option("--policy", options.policy, "policy file")->capture_default_str();
  app.add_option("--cases", options.cases, "a case file, or a directory searched for *.yaml")->capture_default_str();
  app.add_option("--fixtures", options.fixtures, "directory of the tokens and policy fixtures that case files name")
      ->capture_default_str();
  app.add_option("--engine", options.engine, "who decides: the engine, or the reference evaluator")
      ->check(CLI::IsMember({"engine", "reference"}))
      ->capture_default_str();
  std::vector<std::string> faults;
  std::size_t width = 0;
  for (const auto& f : scopegate::conformance::kFaults) {
    faults.emplace_back(f.name);
    width = std::max(width, f.name.size());
  }
  std::string fault_help = "--break MODE decides with the engine and one deliberate fault injected around it (never "
                           "inside it), so the run must fail:";
  for (const auto& f : scopegate::conformance::kFaults)
    fault_help += "\n  " + std::string(f.name) + std::string(width + 2 - f.name.size(), ' ') + std::string(f.breaks);
  app.add_option("--break", options.fault, "inject one fault around the engine (modes below)")
      ->check(CLI::IsMember(faults))
      ->option_text("MODE");
  app.add_option("--max-shown", options.max_shown, "failing cases reported in full, 0 for all; the rest are counted")
      ->capture_default_str();
  app.add_flag("--verbose", options.verbose, "list passing cases too, and each failing decision in full");
  app.footer(fault_help +
             "\nExit status: 0 every case passed, 1 a case failed, 2 a usage error, or a policy, fixture or case file "
             "that cannot be read.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 exits 0 for --help; every other parse error is a usage error.
    return app.exit(e) == 0 ? 0 : kExitInput;
  }
  return run(options);
}
