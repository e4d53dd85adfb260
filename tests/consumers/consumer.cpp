// The consumer that each way of taking scopegate into a CMake project builds:
// load the Comwit policy with the YAML loader, decide, render.
//
//   consumer POLICY
//
// Exit status: 0 as expected, 1 otherwise.

#include <iostream>
#include <string_view>

#include "scopegate/scopegate.hpp"
#include "scopegate/yaml.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer POLICY\n";
    return 1;
  }
  const scopegate::LoadResult loaded = scopegate::load_policy_file(argv[1]);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.format() << '\n';
    return 1;
  }
  scopegate::StaticTokenResolver resolver({{"cwt_5ead", "usr_reader", {"app:read"}, {"prj_alpha"}, {}}});
  const scopegate::Header auth{"Authorization", "Bearer cwt_5ead"};
  const scopegate::Request request{"POST", "/v1/projects/prj_alpha/apps", {&auth, 1}};
  const scopegate::Decision d = scopegate::decide(*loaded.policy, request, resolver, scopegate::OperatorSecret{});
  const std::string www = scopegate::www_authenticate(d, loaded.policy->realm());
  std::cout << scopegate::decision_json(d) << '\n' << "WWW-Authenticate: " << www << '\n';
  return d.reason == scopegate::Reason::kInsufficientScope &&
                 www == R"(Bearer realm="comwit", error="insufficient_scope", scope="app:write")"
             ? 0
             : 1;
}
