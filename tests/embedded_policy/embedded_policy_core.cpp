// A server that embeds its policy: the generated header and the header-only
// core, linked with nothing else (no YAML parser, no scopegate library). It
// compiles the policy and decides a few requests of contract section 6.
//
// Exit status: 0 as expected, 1 otherwise.

#include <iostream>
#include <optional>
#include <string_view>

#include "comwit_policy.hpp"
#include "scopegate/engine.hpp"

namespace {

// One user who may read apps of prj_alpha.
class OneUser final : public scopegate::TokenResolver {
 public:
  std::optional<scopegate::UserGrant> resolve(std::string_view token) const override {
    if (token != "cwt_a11ce") return std::nullopt;
    return scopegate::UserGrant{"usr_alice", kScopes, kProjects};
  }

 private:
  static constexpr std::string_view kScopes[] = {"app:read"};
  static constexpr std::string_view kProjects[] = {"prj_alpha"};
};

}  // namespace

int main() {
  scopegate::CompileResult compiled = scopegate_test::comwit::compile_policy();
  if (!compiled.ok()) {
    for (const auto& d : compiled.diagnostics) std::cerr << d.format() << '\n';
    return 1;
  }
  const scopegate::CompiledPolicy& policy = *compiled.policy;
  const OneUser resolver;
  const scopegate::OperatorSecret no_operator;
  struct Row {
    std::string_view method, target, authorization;
    scopegate::Reason want;
  };
  const Row rows[] = {
      {"GET", "/v1/projects/prj_alpha/apps", "Bearer cwt_a11ce", scopegate::Reason::kGranted},
      {"POST", "/v1/projects/prj_alpha/apps", "Bearer cwt_a11ce", scopegate::Reason::kInsufficientScope},
      {"GET", "/v1/projects/prj_beta/apps", "Bearer cwt_a11ce", scopegate::Reason::kNotAMember},
      {"GET", "/v1/databases", "Bearer cwt_a11ce", scopegate::Reason::kOperatorOnly},
      {"GET", "/v1/projects/prj_alpha/../status", "Bearer cwt_a11ce", scopegate::Reason::kMalformedPath},
      {"POST", "/v1/auth/device", "", scopegate::Reason::kPublic},
      {"GET", "/v1/projects", "", scopegate::Reason::kMissingToken},
  };
  int failed = 0;
  for (const Row& row : rows) {
    const scopegate::Header auth{"Authorization", row.authorization};
    const scopegate::Request request{row.method, row.target,
                                     std::span<const scopegate::Header>(&auth, row.authorization.empty() ? 0 : 1)};
    const scopegate::Decision d = scopegate::decide(policy, request, resolver, no_operator);
    if (d.reason != row.want) {
      std::cout << row.method << ' ' << row.target << ": want " << scopegate::reason_name(row.want) << ", got "
                << scopegate::reason_name(d.reason) << '\n';
      ++failed;
    }
  }
  std::cout << policy.routes().size() << " routes compiled from the generated header, " << failed
            << " unexpected decisions\n";
  return failed == 0 ? 0 : 1;
}
