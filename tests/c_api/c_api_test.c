/* The C ABI from C11: checks loading errors, the resolver callback and the
 * rendered response, then decides every request of a scopegate-case-export
 * directory and prints one contract section 8 decision line each, for the
 * ctest driver to compare with `policy-check decide`.
 *
 *   c_api_test POLICY EXPORT_DIR
 *
 * Exit status: 0 every check passed, 1 a check failed, 2 unreadable input. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scopegate/scopegate.h"

static int failures = 0;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

static scopegate_str str(const char* s) {
  scopegate_str out = {s, strlen(s)};
  return out;
}

static int str_equal(const char* a, const char* b) { return a && b && strcmp(a, b) == 0; }

/* Hex field of the export format (`-` is empty) into a new buffer. */
static scopegate_str unhex(const char* field) {
  scopegate_str out = {NULL, 0};
  if (strcmp(field, "-") == 0) return out;
  size_t n = strlen(field) / 2;
  char* bytes = malloc(n + 1);
  for (size_t i = 0; i < n; ++i) {
    unsigned v = 0;
    sscanf(field + 2 * i, "%2x", &v);
    bytes[i] = (char)v;
  }
  bytes[n] = '\0';
  out.data = bytes;
  out.size = n;
  return out;
}

static void free_str(scopegate_str s) { free((char*)s.data); }

/* The users of tokens.txt, and the resolver callback over them. */
typedef struct {
  scopegate_str token;
  scopegate_grant grant;
} user;

typedef struct {
  user* users;
  size_t count;
  scopegate_str operator_secret;
  int has_operator;
  size_t calls;
} token_table;

static scopegate_str* read_list(char** save, size_t* count) {
  *count = (size_t)strtoul(strtok_r(NULL, " \n", save), NULL, 10);
  scopegate_str* items = calloc(*count + 1, sizeof(scopegate_str));
  for (size_t i = 0; i < *count; ++i) items[i] = unhex(strtok_r(NULL, " \n", save));
  return items;
}

static int read_tokens(const char* path, token_table* table) {
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  char* line = NULL;
  size_t cap = 0;
  memset(table, 0, sizeof *table);
  while (getline(&line, &cap, f) > 0) {
    char* save = NULL;
    const char* kind = strtok_r(line, " \n", &save);
    if (kind && strcmp(kind, "operator") == 0) {
      table->operator_secret = unhex(strtok_r(NULL, " \n", &save));
      table->has_operator = 1;
    } else if (kind && strcmp(kind, "user") == 0) {
      table->users = realloc(table->users, (table->count + 1) * sizeof(user));
      user* u = &table->users[table->count++];
      u->token = unhex(strtok_r(NULL, " \n", &save));
      u->grant.user_id = unhex(strtok_r(NULL, " \n", &save));
      u->grant.scopes = read_list(&save, &u->grant.scope_count);
      u->grant.projects = read_list(&save, &u->grant.project_count);
    }
  }
  free(line);
  fclose(f);
  return 1;
}

static void free_tokens(token_table* table) {
  for (size_t i = 0; i < table->count; ++i) {
    user* u = &table->users[i];
    free_str(u->token);
    free_str(u->grant.user_id);
    for (size_t j = 0; j < u->grant.scope_count; ++j) free_str(u->grant.scopes[j]);
    for (size_t j = 0; j < u->grant.project_count; ++j) free_str(u->grant.projects[j]);
    free((void*)u->grant.scopes);
    free((void*)u->grant.projects);
  }
  free(table->users);
  free_str(table->operator_secret);
}

/* The grant points into the table, which outlives every decision. */
static int resolve(void* user_data, scopegate_str token, scopegate_grant* grant) {
  token_table* table = user_data;
  ++table->calls;
  for (size_t i = 0; i < table->count; ++i) {
    const user* u = &table->users[i];
    if (u->token.size == token.size && memcmp(u->token.data, token.data, token.size) == 0) {
      *grant = u->grant;
      return 1;
    }
  }
  return 0;
}

static const char kBrokenPolicy[] =
    "scopegate: 1\n"
    "name: broken\n"
    "scopes:\n"
    "  app:read: read apps\n"
    "routes:\n"
    "  - method: GET\n"
    "    path: /v1/apps\n"
    "    scope: app:wrte\n";

static void check_errors_as_data(const char* policy_path) {
  scopegate_diagnostics* diags = NULL;
  scopegate_str no_secret = str("");

  /* A policy that does not compile: the error is data, with its position. */
  CHECK(scopegate_policy_load_text(str(kBrokenPolicy), "broken.yaml", &no_secret, &diags) == NULL);
  CHECK(scopegate_diagnostics_count(diags) == 1);
  scopegate_diagnostic d;
  CHECK(scopegate_diagnostics_get(diags, 0, &d) == 1);
  CHECK(str_equal(d.code, "SG101"));
  CHECK(d.severity == SCOPEGATE_ERROR);
  CHECK(str_equal(d.file, "broken.yaml"));
  CHECK(d.line == 8 && d.column == 12);
  CHECK(strstr(d.message, "app:wrte") != NULL);
  CHECK(d.hint[0] != '\0');
  CHECK(strncmp(scopegate_diagnostics_format(diags, 0), "broken.yaml:8:12: error[SG101]: ", 32) == 0);
  CHECK(scopegate_diagnostics_get(diags, 1, &d) == 0);
  CHECK(scopegate_diagnostics_format(diags, 1) == NULL);
  scopegate_diagnostics_free(diags);

  /* A file that cannot be read. */
  CHECK(scopegate_policy_load_file("no/such/policy.yaml", &no_secret, &diags) == NULL);
  CHECK(scopegate_diagnostics_get(diags, 0, &d) == 1 && str_equal(d.code, "SG000"));
  scopegate_diagnostics_free(diags);

  /* An operator secret of the user token's shape is a configuration error. */
  scopegate_str bad_secret = str("cwt_0123");
  CHECK(scopegate_policy_load_file(policy_path, &bad_secret, &diags) == NULL);
  CHECK(scopegate_diagnostics_get(diags, 0, &d) == 1 && str_equal(d.code, "SG900"));
  scopegate_diagnostics_free(diags);

  /* A policy that loads cleanly has no diagnostics at all. */
  scopegate_policy* ok = scopegate_policy_load_file(policy_path, &no_secret, &diags);
  CHECK(ok != NULL && diags == NULL);
  CHECK(str_equal(scopegate_policy_name(ok), "comwit"));
  CHECK(scopegate_policy_route_count(ok) > 0);
  scopegate_policy_free(ok);
}

/* The section 7 response agrees with the decision's facts. */
static void check_response(const scopegate_decision* d) {
  int status = scopegate_decision_status(d);
  const char* body = scopegate_decision_body(d);
  const char* www = NULL;
  const char* allow = NULL;
  for (size_t i = 0; i < scopegate_decision_header_count(d); ++i) {
    const char* name = NULL;
    const char* value = NULL;
    CHECK(scopegate_decision_header(d, i, &name, &value) == 1);
    if (str_equal(name, "WWW-Authenticate")) www = value;
    if (str_equal(name, "Allow")) allow = value;
  }
  CHECK(scopegate_decision_header(d, scopegate_decision_header_count(d), NULL, NULL) == 0);
  CHECK(scopegate_decision_allow(d) == (status == 200));
  CHECK((body == NULL) == (status == 200));
  if (body) {
    char expected[64];
    snprintf(expected, sizeof expected, "{\"error\": {\"status\": %d, \"code\": \"%s\"", status,
             scopegate_decision_reason(d));
    CHECK(strncmp(body, expected, strlen(expected)) == 0);
  }
  const char* reason = scopegate_decision_reason(d);
  int wants_www = status == 401 || str_equal(reason, "insufficient_scope") || str_equal(reason, "invalid_request");
  CHECK((www != NULL) == wants_www);
  if (www) CHECK(strncmp(www, "Bearer realm=\"comwit\"", 21) == 0);
  CHECK((allow != NULL) == (status == 405));
  if (allow) CHECK(str_equal(allow, scopegate_decision_allowed_methods(d)));
  if (str_equal(reason, "insufficient_scope")) CHECK(strstr(body, scopegate_decision_required_scope(d)) != NULL);
}

static int decide_all(const char* policy_path, token_table* table, const char* requests_path) {
  scopegate_diagnostics* diags = NULL;
  scopegate_policy* policy =
      scopegate_policy_load_file(policy_path, table->has_operator ? &table->operator_secret : NULL, &diags);
  if (!policy) {
    for (size_t i = 0; i < scopegate_diagnostics_count(diags); ++i)
      fprintf(stderr, "%s\n", scopegate_diagnostics_format(diags, i));
    scopegate_diagnostics_free(diags);
    return 0;
  }
  FILE* f = fopen(requests_path, "r");
  if (!f) {
    scopegate_policy_free(policy);
    return 0;
  }
  char* line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char* save = NULL;
    scopegate_request request;
    request.method = unhex(strtok_r(line, " \n", &save));
    request.target = unhex(strtok_r(NULL, " \n", &save));
    request.header_count = (size_t)strtoul(strtok_r(NULL, " \n", &save), NULL, 10);
    scopegate_header* headers = calloc(request.header_count + 1, sizeof(scopegate_header));
    for (size_t i = 0; i < request.header_count; ++i) {
      headers[i].name = unhex(strtok_r(NULL, " \n", &save));
      headers[i].value = unhex(strtok_r(NULL, " \n", &save));
    }
    request.headers = headers;

    scopegate_decision* d = scopegate_decide(policy, &request, resolve, table);
    CHECK(d != NULL);
    if (d) {
      printf("%s\n", scopegate_decision_json(d));
      check_response(d);
      scopegate_decision_free(d);
    }
    for (size_t i = 0; i < request.header_count; ++i) {
      free_str(headers[i].name);
      free_str(headers[i].value);
    }
    free(headers);
    free_str(request.method);
    free_str(request.target);
  }
  free(line);
  fclose(f);
  /* Decisions outlive their policy: each keeps what it refers to. */
  scopegate_header auth = {str("Authorization"), str("Bearer cwt_a11ce")};
  scopegate_request request = {str("GET"), str("/v1/projects/prj_alpha/apps"), &auth, 1};
  scopegate_decision* d = scopegate_decide(policy, &request, resolve, table);
  scopegate_policy_free(policy);
  CHECK(str_equal(scopegate_decision_route(d), "GET /v1/projects/{projectId}/apps"));
  CHECK(str_equal(scopegate_decision_actor(d), "usr_alice"));
  CHECK(str_equal(scopegate_decision_project(d), "prj_alpha"));
  scopegate_decision_free(d);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_api_test POLICY EXPORT_DIR\n");
    return 2;
  }
  CHECK(scopegate_version()[0] != '\0');
  check_errors_as_data(argv[1]);

  char path[4096];
  token_table table;
  snprintf(path, sizeof path, "%s/tokens.txt", argv[2]);
  if (!read_tokens(path, &table)) {
    fprintf(stderr, "c_api_test: cannot read %s\n", path);
    return 2;
  }
  snprintf(path, sizeof path, "%s/requests.txt", argv[2]);
  if (!decide_all(argv[1], &table, path)) {
    fprintf(stderr, "c_api_test: cannot decide %s\n", path);
    free_tokens(&table);
    return 2;
  }
  CHECK(table.calls > 0);
  free_tokens(&table);
  fflush(stdout);
  if (failures) fprintf(stderr, "c_api_test: %d checks failed\n", failures);
  return failures ? 1 : 0;
}
