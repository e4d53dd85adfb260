#!/usr/bin/env python3
"""The C ABI from Python's ctypes: the same calls as c_api_test.c. Checks
loading errors, the resolver callback and the rendered response, then decides
every request of a scopegate-case-export directory and prints one contract
section 8 decision line each, for the ctest driver to compare with
`policy-check decide`.

    c_api_test.py LIBSCOPEGATE_C POLICY EXPORT_DIR

Exit status: 0 every check passed, 1 a check failed, 2 unreadable input.
"""
import ctypes as C
import sys

failures = 0


def check(cond, what):
    global failures
    if not cond:
        print(f"c_api_test.py: check failed: {what}", file=sys.stderr)
        failures += 1


class Str(C.Structure):
    _fields_ = [("data", C.c_char_p), ("size", C.c_size_t)]


def str_bytes(s: Str) -> bytes:
    # Reading `s.data` would stop at a NUL: read `size` bytes at its address.
    address = C.c_void_p.from_buffer(s).value
    return C.string_at(address, s.size) if s.size else b""


def sg_str(b: bytes) -> Str:
    # c_char_p keeps a reference to the bytes object: it lives as long as the Str.
    return Str(b, len(b))


class Header(C.Structure):
    _fields_ = [("name", Str), ("value", Str)]


class Request(C.Structure):
    _fields_ = [("method", Str), ("target", Str), ("headers", C.POINTER(Header)), ("header_count", C.c_size_t)]


class Grant(C.Structure):
    _fields_ = [("user_id", Str), ("scopes", C.POINTER(Str)), ("scope_count", C.c_size_t),
                ("projects", C.POINTER(Str)), ("project_count", C.c_size_t)]


class Diagnostic(C.Structure):
    _fields_ = [("code", C.c_char_p), ("severity", C.c_int), ("file", C.c_char_p), ("line", C.c_uint32),
                ("column", C.c_uint32), ("message", C.c_char_p), ("hint", C.c_char_p),
                ("related_line", C.c_uint32), ("related_column", C.c_uint32)]


RESOLVE = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.POINTER(Grant))
SCOPEGATE_ERROR = 0


def bind(path):
    lib = C.CDLL(path)
    P, D, G = C.c_void_p, C.c_void_p, C.c_void_p  # opaque policy, decision, diagnostics
    sig = {
        "scopegate_version": (C.c_char_p, []),
        "scopegate_policy_load_file": (P, [C.c_char_p, C.POINTER(Str), C.POINTER(G)]),
        "scopegate_policy_load_text": (P, [Str, C.c_char_p, C.POINTER(Str), C.POINTER(G)]),
        "scopegate_policy_name": (C.c_char_p, [P]),
        "scopegate_policy_route_count": (C.c_size_t, [P]),
        "scopegate_policy_free": (None, [P]),
        "scopegate_diagnostics_count": (C.c_size_t, [G]),
        "scopegate_diagnostics_get": (C.c_int, [G, C.c_size_t, C.POINTER(Diagnostic)]),
        "scopegate_diagnostics_format": (C.c_char_p, [G, C.c_size_t]),
        "scopegate_diagnostics_free": (None, [G]),
        "scopegate_decide": (D, [P, C.POINTER(Request), RESOLVE, C.c_void_p]),
        "scopegate_decision_allow": (C.c_int, [D]),
        "scopegate_decision_status": (C.c_int, [D]),
        "scopegate_decision_reason": (C.c_char_p, [D]),
        "scopegate_decision_route": (C.c_char_p, [D]),
        "scopegate_decision_required_scope": (C.c_char_p, [D]),
        "scopegate_decision_project": (C.c_char_p, [D]),
        "scopegate_decision_actor": (C.c_char_p, [D]),
        "scopegate_decision_actor_header_ignored": (C.c_int, [D]),
        "scopegate_decision_allowed_methods": (C.c_char_p, [D]),
        "scopegate_decision_json": (C.c_char_p, [D]),
        "scopegate_decision_header_count": (C.c_size_t, [D]),
        "scopegate_decision_header": (C.c_int, [D, C.c_size_t, C.POINTER(C.c_char_p), C.POINTER(C.c_char_p)]),
        "scopegate_decision_body": (C.c_char_p, [D]),
        "scopegate_decision_free": (None, [D]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def unhex(field: str) -> bytes:
    return b"" if field == "-" else bytes.fromhex(field)


class Tokens:
    """tokens.txt of the export, and a resolver over it. The grant's memory is
    kept in `self.grants`, alive for as long as the table: the C side reads it
    until scopegate_decide returns."""

    def __init__(self, path):
        self.operator = None
        self.grants = {}
        self.calls = 0
        with open(path) as f:
            for line in f:
                fields = line.split()
                if fields[0] == "operator":
                    self.operator = unhex(fields[1])
                    continue
                token, user_id = unhex(fields[1]), unhex(fields[2])
                n = int(fields[3])
                scopes = [unhex(x) for x in fields[4:4 + n]]
                m = int(fields[4 + n])
                projects = [unhex(x) for x in fields[5 + n:5 + n + m]]
                scope_array = (Str * max(n, 1))(*[sg_str(s) for s in scopes])
                project_array = (Str * max(m, 1))(*[sg_str(p) for p in projects])
                grant = Grant(sg_str(user_id), scope_array, n, project_array, m)
                self.grants[token] = (grant, scope_array, project_array, user_id, scopes, projects)
        self.callback = RESOLVE(self.resolve)

    def resolve(self, _user_data, token, out):
        self.calls += 1
        entry = self.grants.get(str_bytes(token))
        if entry is None:
            return 0
        out[0] = entry[0]
        return 1


BROKEN_POLICY = b"""scopegate: 1
name: broken
scopes:
  app:read: read apps
routes:
  - method: GET
    path: /v1/apps
    scope: app:wrte
"""


def check_errors_as_data(lib, policy_path):
    diags = C.c_void_p()
    no_secret = sg_str(b"")
    p = lib.scopegate_policy_load_text(sg_str(BROKEN_POLICY), b"broken.yaml", C.byref(no_secret), C.byref(diags))
    check(p is None, "a broken policy does not load")
    check(lib.scopegate_diagnostics_count(diags) == 1, "one diagnostic")
    d = Diagnostic()
    check(lib.scopegate_diagnostics_get(diags, 0, C.byref(d)) == 1, "diagnostic 0 exists")
    check(d.code == b"SG101" and d.severity == SCOPEGATE_ERROR, f"SG101 error, got {d.code}")
    check(d.file == b"broken.yaml" and (d.line, d.column) == (8, 12), f"at broken.yaml:8:12, got {d.line}:{d.column}")
    check(b"app:wrte" in d.message and d.hint, "message names the scope; a hint")
    check(lib.scopegate_diagnostics_format(diags, 0).startswith(b"broken.yaml:8:12: error[SG101]: "), "format")
    check(lib.scopegate_diagnostics_get(diags, 1, C.byref(d)) == 0, "no diagnostic 1")
    lib.scopegate_diagnostics_free(diags)

    check(lib.scopegate_policy_load_file(b"no/such/policy.yaml", C.byref(no_secret), C.byref(diags)) is None,
          "a missing file does not load")
    check(lib.scopegate_diagnostics_get(diags, 0, C.byref(d)) == 1 and d.code == b"SG000", "SG000")
    lib.scopegate_diagnostics_free(diags)

    bad_secret = sg_str(b"cwt_0123")
    check(lib.scopegate_policy_load_file(policy_path, C.byref(bad_secret), C.byref(diags)) is None,
          "a user-shaped operator secret is refused")
    check(lib.scopegate_diagnostics_get(diags, 0, C.byref(d)) == 1 and d.code == b"SG900", "SG900")
    lib.scopegate_diagnostics_free(diags)

    ok = lib.scopegate_policy_load_file(policy_path, C.byref(no_secret), C.byref(diags))
    check(ok is not None and not diags, "the policy loads with no diagnostics")
    check(lib.scopegate_policy_name(ok) == b"comwit" and lib.scopegate_policy_route_count(ok) > 0, "name, routes")
    lib.scopegate_policy_free(ok)


def check_response(lib, d):
    status = lib.scopegate_decision_status(d)
    reason = lib.scopegate_decision_reason(d)
    body = lib.scopegate_decision_body(d)
    headers = {}
    for i in range(lib.scopegate_decision_header_count(d)):
        name, value = C.c_char_p(), C.c_char_p()
        check(lib.scopegate_decision_header(d, i, C.byref(name), C.byref(value)) == 1, "header exists")
        headers[name.value] = value.value
    check(bool(lib.scopegate_decision_allow(d)) == (status == 200), "allow agrees with status")
    check((body is None) == (status == 200), "a body exactly for denials")
    if body is not None:
        check(body.startswith(b'{"error": {"status": %d, "code": "%s"' % (status, reason)), "body")
    wants_www = status == 401 or reason in (b"insufficient_scope", b"invalid_request")
    check((b"WWW-Authenticate" in headers) == wants_www, f"WWW-Authenticate for {reason}")
    if wants_www:
        check(headers[b"WWW-Authenticate"].startswith(b'Bearer realm="comwit"'), "realm")
    check((b"Allow" in headers) == (status == 405), "Allow exactly for 405")
    if status == 405:
        check(headers[b"Allow"] == lib.scopegate_decision_allowed_methods(d), "Allow lists the methods")


def decide_all(lib, policy_path, tokens, requests_path):
    diags = C.c_void_p()
    secret = sg_str(tokens.operator) if tokens.operator is not None else None
    policy = lib.scopegate_policy_load_file(policy_path, C.byref(secret) if secret else None, C.byref(diags))
    if policy is None:
        for i in range(lib.scopegate_diagnostics_count(diags)):
            print(lib.scopegate_diagnostics_format(diags, i).decode(), file=sys.stderr)
        return False
    out = sys.stdout.buffer
    with open(requests_path) as f:
        for line in f:
            fields = line.split()
            n = int(fields[2])
            pairs = [(unhex(fields[3 + 2 * i]), unhex(fields[4 + 2 * i])) for i in range(n)]
            headers = (Header * max(n, 1))(*[Header(sg_str(a), sg_str(b)) for a, b in pairs])
            request = Request(sg_str(unhex(fields[0])), sg_str(unhex(fields[1])), headers, n)
            d = lib.scopegate_decide(policy, C.byref(request), tokens.callback, None)
            check(d is not None, "a decision")
            out.write(lib.scopegate_decision_json(d) + b"\n")
            check_response(lib, d)
            lib.scopegate_decision_free(d)

    # Decisions outlive their policy: each keeps what it refers to.
    auth = Header(sg_str(b"Authorization"), sg_str(b"Bearer cwt_a11ce"))
    request = Request(sg_str(b"GET"), sg_str(b"/v1/projects/prj_alpha/apps"), C.pointer(auth), 1)
    d = lib.scopegate_decide(policy, C.byref(request), tokens.callback, None)
    lib.scopegate_policy_free(policy)
    check(lib.scopegate_decision_route(d) == b"GET /v1/projects/{projectId}/apps", "route")
    check(lib.scopegate_decision_actor(d) == b"usr_alice", "actor")
    check(lib.scopegate_decision_project(d) == b"prj_alpha", "project")
    lib.scopegate_decision_free(d)
    return True


def main():
    if len(sys.argv) != 4:
        print("usage: c_api_test.py LIBSCOPEGATE_C POLICY EXPORT_DIR", file=sys.stderr)
        return 2
    lib = bind(sys.argv[1])
    policy_path = sys.argv[2].encode()
    check(lib.scopegate_version(), "a version")
    check_errors_as_data(lib, policy_path)
    try:
        tokens = Tokens(sys.argv[3] + "/tokens.txt")
    except OSError as e:
        print(f"c_api_test.py: {e}", file=sys.stderr)
        return 2
    if not decide_all(lib, policy_path, tokens, sys.argv[3] + "/requests.txt"):
        return 2
    check(tokens.calls > 0, "the resolver was called")
    sys.stdout.flush()
    if failures:
        print(f"c_api_test.py: {failures} checks failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
