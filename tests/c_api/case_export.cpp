// scopegate-case-export: writes conformance cases as plain files that a C
// program, a Python script, policy-check decide and the nginx end-to-end test
// all read, so that each decides exactly the same requests.
//
//   scopegate-case-export --policy FILE --fixtures DIR --tokens NAME --out DIR CASES...
//
// Takes the cases (files or directories) that use the default policy and the
// tokens fixture NAME, and that policy-check decide can read (UTF-8 text, a
// method that is an RFC 9110 token). Writes to DIR:
//   requests.jsonl  one request line of contract section 8 each
//   requests.txt    the same requests: method target count name value ...,
//                   each field in hex, `-` for an empty one
//   where.txt       `file:line: note` of each request, same order
//   tokens.txt      `operator SECRET` (when the fixture has one), then one
//                   `user TOKEN USER_ID n SCOPE... m PROJECT...` line per user
// Exit status: 0 written, 2 an input that cannot be read.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "case_file.hpp"
#include "scopegate/compiled_policy.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;

std::string hex(const std::string& bytes) {
  if (bytes.empty()) return "-";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::vector<std::string> case_paths(const std::vector<std::string>& roots) {
  std::vector<std::string> paths;
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) {
      paths.push_back(root);
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator(root))
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The request line of policy-check decide, or empty when the case's bytes are
// not UTF-8 text and so cannot be written as JSON.
std::string request_json(const scopegate::conformance::CaseRequest& r) {
  nlohmann::json line = {{"method", r.method}, {"target", r.target}, {"headers", nlohmann::json::array()}};
  for (const auto& [name, value] : r.headers) line["headers"].push_back({name, value});
  try {
    return line.dump();
  } catch (const nlohmann::json::type_error&) {
    return {};
  }
}

struct Options {
  std::string policy;
  std::string fixtures;
  std::string tokens;
  std::string out;
  std::vector<std::string> cases;
};

int run(const Options& o) {
  auto policy = scopegate::load_policy_file(o.policy);
  if (!policy.ok()) {
    for (const auto& d : policy.diagnostics) std::cerr << d.format() << '\n';
    return 2;
  }
  auto tokens = scopegate::load_tokens_file(o.fixtures + "/" + o.tokens + ".yaml", policy.policy->spec());
  if (!tokens.tokens) {
    for (const auto& d : tokens.diagnostics) std::cerr << d.format() << '\n';
    return 2;
  }
  fs::create_directories(o.out);
  std::ofstream tokens_out(o.out + "/tokens.txt");
  if (tokens.tokens->operator_token) tokens_out << "operator " << hex(*tokens.tokens->operator_token) << '\n';
  for (const auto& u : tokens.tokens->users) {
    tokens_out << "user " << hex(u.token) << ' ' << hex(u.user_id) << ' ' << u.scopes.size();
    for (const auto& s : u.scopes) tokens_out << ' ' << hex(s);
    tokens_out << ' ' << u.projects.size();
    for (const auto& p : u.projects) tokens_out << ' ' << hex(p);
    tokens_out << '\n';
  }

  std::ofstream jsonl(o.out + "/requests.jsonl"), wire(o.out + "/requests.txt"), where(o.out + "/where.txt");
  std::size_t written = 0;
  for (const auto& path : case_paths(o.cases)) {
    auto parsed = scopegate::conformance::parse_case_file(path);
    for (const auto& e : parsed.errors) std::cerr << e << '\n';
    if (!parsed.file) return 2;
    if (!parsed.file->policy.empty() || parsed.file->tokens != o.tokens) continue;
    for (const auto& c : parsed.file->cases) {
      std::string line = request_json(c.request);
      if (line.empty() || !scopegate::detail::is_http_token(c.request.method)) continue;
      jsonl << line << '\n';
      wire << hex(c.request.method) << ' ' << hex(c.request.target) << ' ' << c.request.headers.size();
      for (const auto& [name, value] : c.request.headers) wire << ' ' << hex(name) << ' ' << hex(value);
      wire << '\n';
      where << c.file << ':' << c.line << ": " << c.note << '\n';
      ++written;
    }
  }
  if (!jsonl || !wire || !where || !tokens_out) {
    std::cerr << "scopegate-case-export: cannot write to " << o.out << '\n';
    return 2;
  }
  std::cerr << "scopegate-case-export: " << written << " requests\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&](std::string& into) {
      if (i + 1 < args.size()) into = args[++i];
    };
    if (args[i] == "--policy") value(o.policy);
    else if (args[i] == "--fixtures") value(o.fixtures);
    else if (args[i] == "--tokens") value(o.tokens);
    else if (args[i] == "--out") value(o.out);
    else o.cases.push_back(args[i]);
  }
  if (o.policy.empty() || o.fixtures.empty() || o.tokens.empty() || o.out.empty() || o.cases.empty()) {
    std::cerr << "usage: scopegate-case-export --policy FILE --fixtures DIR --tokens NAME --out DIR CASES...\n";
    return 2;
  }
  return run(o);
}
