/* scopegate's C ABI: load a policy, decide requests, render responses, from C
 * or from any language with a C foreign-function interface (Go's cgo, Rust,
 * Python's ctypes, Node's N-API). Library `scopegate_c` (CMake target
 * `scopegate::c`, a shared library).
 *
 * Conventions:
 * - Every type is opaque and owned by the library; each has one `_free`.
 * - Strings passed in are (pointer, length) pairs (`scopegate_str`) and may
 *   hold any byte, NUL included. Strings handed out are NUL-terminated and
 *   owned by the handle they come from; they live as long as that handle.
 * - No function throws, aborts or prints: a failure is a NULL return, and a
 *   policy that does not load comes with its diagnostics as data.
 * - Thread safety is stated per function. "Any thread" means concurrently on
 *   the same handle; a `_free` never races with another call on its handle.
 *
 * The decision contract is ../shared/spec/SEMANTICS.md; section numbers below
 * refer to it. */
#ifndef SCOPEGATE_SCOPEGATE_H
#define SCOPEGATE_SCOPEGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: only these functions are exported. */
#if defined(__GNUC__)
#define SCOPEGATE_C_API __attribute__((visibility("default")))
#else
#define SCOPEGATE_C_API
#endif

/** Bytes: `data` may be NULL when `size` is 0. */
typedef struct scopegate_str {
  const char* data;
  size_t size;
} scopegate_str;

/** One request header as received; repeats are separate entries. */
typedef struct scopegate_header {
  scopegate_str name;
  scopegate_str value;
} scopegate_header;

/** A request as the server received it (section 1). Nothing is kept after
 *  `scopegate_decide` returns. */
typedef struct scopegate_request {
  scopegate_str method; /**< case-sensitive; `HEAD` decides as GET */
  scopegate_str target; /**< the raw request-target: path and optional `?query` */
  const scopegate_header* headers;
  size_t header_count;
} scopegate_request;

/** What a user token grants, filled in by a resolver. The memory it points to
 *  must stay valid until `scopegate_decide` returns. */
typedef struct scopegate_grant {
  scopegate_str user_id;
  const scopegate_str* scopes; /**< scope names, compared exactly */
  size_t scope_count;
  const scopegate_str* projects; /**< member project ids, compared exactly */
  size_t project_count;
} scopegate_grant;

/** Resolves a user token (the policy's user class; never the operator token).
 *  Returns 1 and fills `*grant` for a known token; any other value means an
 *  unknown or revoked token (401 `invalid_token`). Called at most once per
 *  decision, on the deciding thread; it must be safe to call from every thread
 *  that decides. */
typedef int (*scopegate_resolve_fn)(void* user_data, scopegate_str token, scopegate_grant* grant);

/** A compiled, immutable policy together with its operator secret. */
typedef struct scopegate_policy scopegate_policy;
/** The findings of a load: errors, and warnings that may accompany a policy. */
typedef struct scopegate_diagnostics scopegate_diagnostics;
/** One decision, with its facts and its rendered response. */
typedef struct scopegate_decision scopegate_decision;

enum {
  SCOPEGATE_ERROR = 0,
  SCOPEGATE_WARNING = 1,
  SCOPEGATE_NOTE = 2
};

/** One diagnostic. Strings are never NULL (empty when absent); line and column
 *  are 1-based, 0 when no position is known. */
typedef struct scopegate_diagnostic {
  const char* code; /**< stable, e.g. `SG104` (policies/README.md); `SG900` for the operator secret */
  int severity;     /**< SCOPEGATE_ERROR, SCOPEGATE_WARNING or SCOPEGATE_NOTE */
  const char* file;
  uint32_t line;
  uint32_t column;
  const char* message;
  const char* hint;
  uint32_t related_line; /**< a second position, e.g. a conflicting route; 0: none */
  uint32_t related_column;
} scopegate_diagnostic;

/** The library version, e.g. "0.1.0". Static storage. Any thread. */
SCOPEGATE_C_API const char* scopegate_version(void);

/** Loads and compiles the policy file at `path` (NUL-terminated). The operator
 *  secret (section 2): `operator_secret` NULL takes it from the environment
 *  variable the policy names (`PLATFORM_API_SERVER_TOKEN`); an empty string
 *  means no operator. Returns the policy, or NULL when the file does not load
 *  or the secret is not valid for it (diagnostic `SG900`). When `diagnostics`
 *  is not NULL it receives every finding, sorted by position, or NULL when
 *  there is none; free it with `scopegate_diagnostics_free`. Any thread: each
 *  call owns what it builds. */
SCOPEGATE_C_API scopegate_policy* scopegate_policy_load_file(const char* path, const scopegate_str* operator_secret,
                                                             scopegate_diagnostics** diagnostics);

/** As `scopegate_policy_load_file`, from policy text in memory; `file_name`
 *  (NUL-terminated, may be NULL) names it in diagnostics. */
SCOPEGATE_C_API scopegate_policy* scopegate_policy_load_text(scopegate_str text, const char* file_name,
                                                             const scopegate_str* operator_secret,
                                                             scopegate_diagnostics** diagnostics);

/** The policy's `name`. Any thread. */
SCOPEGATE_C_API const char* scopegate_policy_name(const scopegate_policy* policy);
/** The number of compiled routes. Any thread. */
SCOPEGATE_C_API size_t scopegate_policy_route_count(const scopegate_policy* policy);

/** Frees a policy. Decisions made with it stay valid: each keeps what it
 *  refers to. NULL is ignored. */
SCOPEGATE_C_API void scopegate_policy_free(scopegate_policy* policy);

/** The number of findings. Any thread. */
SCOPEGATE_C_API size_t scopegate_diagnostics_count(const scopegate_diagnostics* diagnostics);
/** Copies finding `index` into `*out`; its strings live as long as
 *  `diagnostics`. Returns 0 when `index` is out of range. Any thread. */
SCOPEGATE_C_API int scopegate_diagnostics_get(const scopegate_diagnostics* diagnostics, size_t index,
                                              scopegate_diagnostic* out);
/** `file:line:col: error[SG104]: message; hint`, the form policy-check prints.
 *  NULL when `index` is out of range. Any thread. */
SCOPEGATE_C_API const char* scopegate_diagnostics_format(const scopegate_diagnostics* diagnostics, size_t index);
/** NULL is ignored. */
SCOPEGATE_C_API void scopegate_diagnostics_free(scopegate_diagnostics* diagnostics);

/** Decides one request (section 1). `resolve` may be NULL: then no user token
 *  is known. Returns NULL only when out of memory or when `policy` or
 *  `request` is NULL. Any thread, concurrently on one policy; the request and
 *  the grant are copied as far as the decision needs them. */
SCOPEGATE_C_API scopegate_decision* scopegate_decide(const scopegate_policy* policy, const scopegate_request* request,
                                                     scopegate_resolve_fn resolve, void* user_data);

/* The decision's facts (sections 1 and 8). A string fact that is null in the
 * contract is NULL. Any thread. */
SCOPEGATE_C_API int scopegate_decision_allow(const scopegate_decision* decision);
SCOPEGATE_C_API int scopegate_decision_status(const scopegate_decision* decision);
/** The reason code, e.g. "insufficient_scope". */
SCOPEGATE_C_API const char* scopegate_decision_reason(const scopegate_decision* decision);
/** `GET /v1/projects/{projectId}`. */
SCOPEGATE_C_API const char* scopegate_decision_route(const scopegate_decision* decision);
SCOPEGATE_C_API const char* scopegate_decision_required_scope(const scopegate_decision* decision);
SCOPEGATE_C_API const char* scopegate_decision_project(const scopegate_decision* decision);
SCOPEGATE_C_API const char* scopegate_decision_actor(const scopegate_decision* decision);
SCOPEGATE_C_API int scopegate_decision_actor_header_ignored(const scopegate_decision* decision);
/** The methods of a 405, alphabetical, e.g. "GET, POST" (the `Allow` value);
 *  NULL for every other status. */
SCOPEGATE_C_API const char* scopegate_decision_allowed_methods(const scopegate_decision* decision);
/** The decision line of section 8, as `policy-check decide` prints it. */
SCOPEGATE_C_API const char* scopegate_decision_json(const scopegate_decision* decision);

/* The response of section 7. Any thread. */
/** The number of response headers: `WWW-Authenticate` for 401, 403
 *  `insufficient_scope` and 400 `invalid_request`; `Allow` for 405; none
 *  otherwise. */
SCOPEGATE_C_API size_t scopegate_decision_header_count(const scopegate_decision* decision);
/** Header `index`'s name and value. Returns 0 when `index` is out of range. */
SCOPEGATE_C_API int scopegate_decision_header(const scopegate_decision* decision, size_t index, const char** name,
                                              const char** value);
/** The JSON error body of a denial (`{"error": {...}}`); NULL when allowed. */
SCOPEGATE_C_API const char* scopegate_decision_body(const scopegate_decision* decision);

/** NULL is ignored. */
SCOPEGATE_C_API void scopegate_decision_free(scopegate_decision* decision);

#ifdef __cplusplus
}
#endif

#endif /* SCOPEGATE_SCOPEGATE_H */
