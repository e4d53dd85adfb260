/* The C ABI through the installed package (scopegate::c) or pkg-config
 * (scopegate-c): load the Comwit policy, decide one request without a token.
 *
 *   c_consumer POLICY
 *
 * Exit status: 0 as expected, 1 otherwise. */
#include <stdio.h>
#include <string.h>

#include "scopegate/scopegate.h"

int main(int argc, char** argv) {
  if (argc != 2) return 1;
  scopegate_str no_operator = {"", 0};
  scopegate_diagnostics* diagnostics = NULL;
  scopegate_policy* policy = scopegate_policy_load_file(argv[1], &no_operator, &diagnostics);
  if (!policy) {
    for (size_t i = 0; i < scopegate_diagnostics_count(diagnostics); ++i)
      fprintf(stderr, "%s\n", scopegate_diagnostics_format(diagnostics, i));
    scopegate_diagnostics_free(diagnostics);
    return 1;
  }
  scopegate_request request = {{"GET", 3}, {"/v1/projects", 12}, NULL, 0};
  scopegate_decision* d = scopegate_decide(policy, &request, NULL, NULL);
  int ok = d && scopegate_decision_status(d) == 401 && strcmp(scopegate_decision_reason(d), "missing_token") == 0;
  if (d) printf("%s\n%s\n", scopegate_decision_json(d), scopegate_decision_body(d));
  scopegate_decision_free(d);
  scopegate_policy_free(policy);
  return ok ? 0 : 1;
}
