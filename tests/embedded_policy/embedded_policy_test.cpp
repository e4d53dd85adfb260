// The generated policy headers (`policy-check compile --emit-cpp`) against the
// policy files they came from: the same spec, and the same decision, fact for
// fact, on every conformance case.
//
//   embedded_policy_test SOURCE_DIR
//
// Exit status: 0 alike, 1 a difference, 2 an input that cannot be read.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "case_file.hpp"
#include "comwit_policy.hpp"
#include "lab_policy.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/render.hpp"
#include "scopegate/tokens.hpp"
#include "scopegate/yaml.hpp"

namespace {

namespace fs = std::filesystem;

// Every field of a spec but `file`, one per line, so that two specs compare as text.
std::string describe(const scopegate::PolicySpec& s) {
  std::ostringstream o;
  auto at = [](scopegate::SourcePos p) { return std::to_string(p.line) + ":" + std::to_string(p.column); };
  o << s.format_version << '|' << s.name << '|' << s.realm << '|' << s.project_parameter << '\n'
    << "user " << s.user.description << '|' << s.user.prefix << '|' << s.user.charset << '|' << s.user.max_length
    << '|' << at(s.user.pos) << '\n'
    << "operator " << s.operator_class.present << '|' << s.operator_class.description << '|'
    << s.operator_class.secret_env << '|' << s.operator_class.actor_header << '|' << s.operator_class.default_actor
    << '|' << at(s.operator_class.pos) << '\n';
  for (const auto& x : s.scopes) o << "scope " << x.name << '|' << x.description << '|' << at(x.pos) << '\n';
  for (const auto& x : s.operator_prefixes)
    o << "family " << x.prefix << '|' << x.description << '|' << at(x.pos) << '\n';
  for (const auto& r : s.routes)
    o << "route " << scopegate::method_name(r.method) << '|' << r.pattern << '|' << static_cast<int>(r.auth) << '|'
      << r.scope << '|' << r.project_param << '|' << r.hidden << '|' << r.description << '|' << at(r.pos) << '|'
      << at(r.method_pos) << '|' << at(r.pattern_pos) << '|' << at(r.scope_pos) << '|' << at(r.project_pos) << '\n';
  for (const auto& i : s.invariants) {
    o << "invariant " << i.kind << '|' << at(i.pos);
    for (const auto& v : i.values) o << '|' << v;
    o << '\n';
  }
  return o.str();
}

// One policy as loaded from its file and as generated.
struct Pair {
  std::string name;
  std::shared_ptr<const scopegate::CompiledPolicy> loaded;
  std::shared_ptr<const scopegate::CompiledPolicy> generated;
};

std::shared_ptr<const scopegate::CompiledPolicy> compiled(const scopegate::CompileResult& r, const std::string& what) {
  for (const auto& d : r.diagnostics) std::cerr << what << ": " << d.format() << '\n';
  return r.policy;
}

// The policy, tokens and operator secret of one case file's setting.
struct Setup {
  const Pair* pair = nullptr;
  std::unique_ptr<scopegate::StaticTokenResolver> resolver;
  scopegate::OperatorSecret secret;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embedded_policy_test SOURCE_DIR\n";
    return 2;
  }
  const std::string root = argv[1];
  const std::string fixtures = root + "/conformance/fixtures";
  int failed = 0;

  std::map<std::string, Pair> pairs;  // by case-file policy name; "" is the Comwit policy
  auto add = [&](const std::string& key, const std::string& path, scopegate::CompileResult generated,
                 const scopegate::PolicySpec& generated_spec) {
    auto loaded = scopegate::load_policy_file(path);
    Pair p{path, compiled(scopegate::CompileResult{loaded.policy, loaded.diagnostics}, path),
           compiled(generated, "generated " + path)};
    if (!p.loaded || !p.generated) return false;
    if (describe(p.loaded->spec()) != describe(generated_spec)) {
      std::cout << path << ": the generated spec differs from the loaded one\n";
      ++failed;
    }
    if (generated_spec.file != fs::path(path).filename().string()) {
      std::cout << path << ": the generated spec names file '" << generated_spec.file << "'\n";
      ++failed;
    }
    pairs.emplace(key, std::move(p));
    return true;
  };
  if (!add("", root + "/policies/comwit.yaml", scopegate_test::comwit::compile_policy(),
           scopegate_test::comwit::spec()) ||
      !add("lab-policy", fixtures + "/lab-policy.yaml", scopegate_test::lab::compile_policy(),
           scopegate_test::lab::spec()))
    return 2;

  std::vector<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/conformance/cases"))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());

  std::map<std::string, Setup> setups;
  std::size_t alike = 0;
  for (const auto& path : paths) {
    auto parsed = scopegate::conformance::parse_case_file(path);
    for (const auto& e : parsed.errors) std::cerr << e << '\n';
    if (!parsed.file) return 2;
    const auto key = parsed.file->policy + "\n" + parsed.file->tokens;
    auto it = setups.find(key);
    if (it == setups.end()) {
      auto pair = pairs.find(parsed.file->policy);
      if (pair == pairs.end()) {
        std::cerr << path << ": no generated header for policy '" << parsed.file->policy << "'\n";
        return 2;
      }
      auto tokens = scopegate::load_tokens_file(fixtures + "/" + parsed.file->tokens + ".yaml",
                                                pair->second.loaded->spec());
      for (const auto& d : tokens.diagnostics) std::cerr << d.format() << '\n';
      if (!tokens.tokens) return 2;
      Setup s;
      s.pair = &pair->second;
      s.resolver = std::make_unique<scopegate::StaticTokenResolver>(tokens.tokens->users);
      if (tokens.tokens->operator_token) {
        // The secret is checked against the loaded policy; the generated one
        // has the same token classes (compared above).
        auto secret = scopegate::OperatorSecret::make(*tokens.tokens->operator_token, *s.pair->loaded, nullptr);
        if (!secret) return 2;
        s.secret = std::move(*secret);
      }
      it = setups.emplace(key, std::move(s)).first;
    }
    const Setup& s = it->second;
    for (const auto& c : parsed.file->cases) {
      std::vector<scopegate::Header> headers;
      for (const auto& [name, value] : c.request.headers) headers.push_back({name, value});
      const scopegate::Request request{c.request.method, c.request.target, headers};
      const std::string want =
          scopegate::decision_json(scopegate::decide(*s.pair->loaded, request, *s.resolver, s.secret));
      const std::string got =
          scopegate::decision_json(scopegate::decide(*s.pair->generated, request, *s.resolver, s.secret));
      if (want == got) {
        ++alike;
        continue;
      }
      ++failed;
      std::cout << c.file << ':' << c.line << ": " << c.note << "\n  loaded:    " << want
                << "\n  generated: " << got << '\n';
    }
  }
  std::cout << alike << " cases decided alike by the loaded and the generated policies, " << failed
            << " differences\n";
  return failed == 0 ? 0 : 1;
}
