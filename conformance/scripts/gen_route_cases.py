#!/usr/bin/env python3
"""Writes conformance/cases/routes-comwit/*.yaml: every route of contract section 6
for user tokens with and without its scope, members and non-members, the operator
token and unauthenticated callers, plus every other method on every route path.

The expectations come from the contract's tables (section 1 order, section 6 route
table, section 8 facts), written out below as data; nothing here runs an
implementation. The users are those of conformance/fixtures/comwit-tokens.yaml,
which this script checks for the tokens it uses.

Usage: python3 conformance/scripts/gen_route_cases.py   (rewrites the files)
"""

from pathlib import Path

CONFORMANCE = Path(__file__).resolve().parent.parent
OUT = CONFORMANCE / "cases" / "routes-comwit"
FIXTURE = CONFORMANCE / "fixtures" / "comwit-tokens.yaml"

# The seed's scope table, in its order: cwt_10NN has only scope NN, cwt_20NN all but NN.
SCOPES = ["project:read", "database:read", "database:write", "app:read", "app:write",
          "app:deploy", "domain:read", "domain:write", "domain:purchase"]
METHODS = ["CONNECT", "DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]

# Contract section 6, first table: (method, pattern, scope); None = public.
SCOPED = [
    ("POST", "/v1/auth/device", None),
    ("POST", "/v1/auth/device/token", None),
    ("GET", "/v1/projects", "project:read"),
    ("GET", "/v1/projects/{projectId}", "project:read"),
    ("GET", "/v1/projects/{projectId}/databases", "database:read"),
    ("GET", "/v1/projects/{projectId}/databases/{databaseId}", "database:read"),
    ("POST", "/v1/projects/{projectId}/databases", "database:write"),
    ("GET", "/v1/projects/{projectId}/apps", "app:read"),
    ("GET", "/v1/projects/{projectId}/apps/{appId}", "app:read"),
    ("GET", "/v1/projects/{projectId}/apps/{appId}/builds", "app:read"),
    ("GET", "/v1/projects/{projectId}/apps/{appId}/builds/{buildId}", "app:read"),
    ("GET", "/v1/projects/{projectId}/apps/{appId}/env", "app:read"),
    ("GET", "/v1/projects/{projectId}/apps/{appId}/domains", "app:read"),
    ("POST", "/v1/projects/{projectId}/apps", "app:write"),
    ("DELETE", "/v1/projects/{projectId}/apps/{appId}", "app:write"),
    ("PUT", "/v1/projects/{projectId}/apps/{appId}/env", "app:write"),
    ("POST", "/v1/projects/{projectId}/apps/{appId}/domains", "app:write"),
    ("DELETE", "/v1/projects/{projectId}/apps/{appId}/domains/{hostname}", "app:write"),
    ("POST", "/v1/projects/{projectId}/apps/{appId}/deploy", "app:deploy"),
    ("POST", "/v1/projects/{projectId}/apps/{appId}/rollback", "app:deploy"),
    ("GET", "/v1/projects/{projectId}/domains", "domain:read"),
    ("GET", "/v1/projects/{projectId}/domains/{domain}", "domain:read"),
    ("GET", "/v1/projects/{projectId}/domains/{domain}/records", "domain:read"),
    ("POST", "/v1/projects/{projectId}/domains", "domain:write"),
    ("POST", "/v1/projects/{projectId}/domains/{domain}/records", "domain:write"),
    ("PUT", "/v1/projects/{projectId}/domains/{domain}/records/{recordId}", "domain:write"),
    ("DELETE", "/v1/projects/{projectId}/domains/{domain}/records/{recordId}", "domain:write"),
    ("POST", "/v1/projects/{projectId}/domains/{domain}/purchase", "domain:purchase"),
]

# Contract section 6, operator-only table: (method, pattern, hidden).
OPERATOR_ONLY = [
    ("GET", "/v1/status", False),
    ("GET", "/v1/databases", False),
    ("POST", "/v1/databases", False),
    ("GET", "/v1/databases/{databaseId}", False),
    ("DELETE", "/v1/databases/{databaseId}", False),
    ("GET", "/v1/apps/{appId}", True),
    ("POST", "/v1/apps/{appId}/deploy", True),
    ("GET", "/v1/project/{projectId}", True),
    ("GET", "/v1/projects/{projectId}/db", True),
]
FAMILY = "/v1/databases"

VALUES = {"databaseId": "db_main", "appId": "web", "buildId": "b_1", "hostname": "www.example.com",
          "domain": "example.com", "recordId": "rec_1"}

ALICE = ("cwt_a11ce", "usr_alice")      # every scope, member of prj_alpha
BETA = ("cwt_bbbb", "usr_beta")         # every scope, member of prj_beta
BOTH = ("cwt_ab12", "usr_both")         # every scope, member of both
LONER = ("cwt_dead", "usr_loner")       # every scope, member of nothing
NOSCOPE = ("cwt_0000", "usr_noscope")   # no scope, member of prj_alpha
OPERATOR = "op-secret-for-tests"
UNKNOWN = "cwt_fedcba9876"


def only(scope):
    i = SCOPES.index(scope)
    return (f"cwt_10{i:02x}", "usr_only_" + scope.replace(":", "_"))


def without(scope):
    i = SCOPES.index(scope)
    return (f"cwt_20{i:02x}", "usr_without_" + scope.replace(":", "_"))


def concrete(pattern, project="prj_alpha"):
    path = pattern.replace("{projectId}", project)
    for name, value in VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


def has_project(pattern):
    return "{projectId}" in pattern


def segments_match(pattern, path):
    """Section 4: literals exactly, a parameter takes one non-empty segment."""
    p, s = pattern.split("/"), path.split("/")
    return len(p) == len(s) and all(
        (a.startswith("{") and b != "") or a == b for a, b in zip(p, s))


def q(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def value(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return q(v)


def case(note, rule, method, target, headers, expect):
    hs = ", ".join(f"[{q(n)}, {q(v)}]" for n, v in headers)
    ex = ", ".join(f"{k}: {value(v)}" for k, v in expect.items())
    return (f"  - note: {q(note)}\n    rule: {q(rule)}\n"
            f"    request: {{method: {method}, target: {q(target)}, headers: [{hs}]}}\n"
            f"    expect: {{{ex}}}\n")


def bearer(token):
    return [("Authorization", "Bearer " + token)]


def facts(allow, status, reason, route=None, scope=None, project=None, actor=None, ignored=False):
    return {"allow": allow, "status": status, "reason": reason, "route": route,
            "required_scope": scope, "project": project, "actor": actor, "actor_header_ignored": ignored}


def denied(status, reason):
    return facts(False, status, reason)


def scoped_cases(method, pattern, scope):
    route = f"{method} {pattern}"
    path = concrete(pattern)
    beta_path = concrete(pattern, "prj_beta")
    proj = "prj_alpha" if has_project(pattern) else None
    beta_proj = "prj_beta" if has_project(pattern) else None
    out = []

    def user(note, rule, who, target, expect):
        out.append(case(f"{route}: {note}", rule, method, target, bearer(who[0]), expect))

    ok = lambda who, p: facts(True, 200, "granted", route, scope, p, who[1])
    lacks = lambda who, p: facts(False, 403, "insufficient_scope", route, scope, p, who[1])
    outsider = lambda who, p: facts(False, 403, "not_a_member", route, scope, p, who[1])

    user("a member with every scope", "§1 step 13", ALICE, path, ok(ALICE, proj))
    user(f"a member with only {scope}", "§1 step 13", only(scope), path, ok(only(scope), proj))
    user(f"a member with every scope but {scope}", "§1 step 11", without(scope), path, lacks(without(scope), proj))
    user("a member with no scope", "§1 step 11, §2 no scopes", NOSCOPE, path, lacks(NOSCOPE, proj))
    if has_project(pattern):
        user("every scope, member of another project", "§1 step 12", BETA, path, outsider(BETA, proj))
        user(f"only {scope}, not a member", "§1 step 12", only(scope), beta_path, outsider(only(scope), beta_proj))
        user(f"every scope but {scope}, not a member: scope is checked first", "§1 step 11 before 12",
             without(scope), beta_path, lacks(without(scope), beta_proj))
        user("every scope, member of no project", "§1 step 12", LONER, path, outsider(LONER, proj))
        user("a member of both projects, on the second", "§1 step 13", BOTH, beta_path, ok(BOTH, beta_proj))
    else:
        user("every scope, no membership needed without projectId", "§4 project route, §1 step 13", BETA, path, ok(BETA, None))
        user("member of no project, no membership needed", "§4 project route, §1 step 13", LONER, path, ok(LONER, None))
    out.append(case(f"{route}: a member names another actor, which is ignored", "§5 user token", method, path,
                    bearer(ALICE[0]) + [("X-Comwit-Actor-User-Id", "usr_beta")],
                    facts(True, 200, "granted", route, scope, proj, ALICE[1], True)))
    out.append(case(f"{route}: the operator, on a project it is no member of", "§1 step 10", method, beta_path,
                    bearer(OPERATOR), facts(True, 200, "operator_bypass", route, scope, beta_proj, "operator")))
    out.append(case(f"{route}: the operator acting for a user", "§1 step 10, §5", method, path,
                    bearer(OPERATOR) + [("X-Comwit-Actor-User-Id", "usr_carol")],
                    facts(True, 200, "operator_bypass", route, scope, proj, "usr_carol")))
    out.append(case(f"{route}: the operator with a repeated actor header", "§1 step 9", method, path,
                    bearer(OPERATOR) + [("X-Comwit-Actor-User-Id", "usr_carol")] * 2,
                    facts(False, 400, "invalid_actor", route, scope, proj, None)))
    out.append(case(f"{route}: unauthenticated", "§1 step 4", method, path, [], denied(401, "missing_token")))
    out.append(case(f"{route}: an unknown user token", "§1 step 5", method, path, bearer(UNKNOWN),
                    denied(401, "invalid_token")))
    if method == "GET":
        out.append(case(f"{route}: HEAD is decided as GET", "§4 HEAD", "HEAD", path, bearer(ALICE[0]), ok(ALICE, proj)))
        out.append(case(f"{route}: HEAD without the scope", "§4 HEAD, §1 step 11", "HEAD", path,
                        bearer(without(scope)[0]), lacks(without(scope), proj)))
    return out


def public_cases(method, pattern):
    route = f"{method} {pattern}"
    public = facts(True, 200, "public", route)
    out = [
        case(f"{route}: no token needed", "§1 step 2", method, pattern, [], public),
        case(f"{route}: a user token is not looked at", "§1 step 2", method, pattern, bearer(ALICE[0]), public),
        case(f"{route}: the operator token is not looked at", "§1 step 2", method, pattern, bearer(OPERATOR), public),
        case(f"{route}: an unknown token is not looked at", "§1 step 2", method, pattern, bearer(UNKNOWN), public),
        case(f"{route}: a broken Authorization header is not looked at", "§1 step 2", method, pattern,
             [("Authorization", "Bearer a b c")], public),
        case(f"{route}: two Authorization headers are not looked at", "§1 step 2", method, pattern,
             bearer(ALICE[0]) * 2, public),
        case(f"{route}: an actor header is not looked at", "§1 step 2", method, pattern,
             bearer(ALICE[0]) + [("X-Comwit-Actor-User-Id", "operator")], public),
        case(f"{route}: a query does not change the route", "§3 the query plays no other part", method,
             pattern + "?client_id=cli", [], public),
        case(f"{route}: a method override is refused even here", "§1 step 1b before 2", method, pattern,
             [("X-HTTP-Method-Override", method)], denied(400, "method_override")),
        case(f"{route}: HEAD is decided as GET, and no GET route is public", "§4 HEAD, §1 step 4", "HEAD", pattern,
             [], denied(401, "missing_token")),
    ]
    return out


def operator_only_cases(method, pattern, hidden):
    route = f"{method} {pattern}"
    path = concrete(pattern)
    proj = "prj_alpha" if has_project(pattern) else None
    kind = "hidden alias" if hidden else "operator-only route"
    out = []
    for who, why in [(ALICE, "every scope, member"), (NOSCOPE, "no scope"), (BETA, "every scope, other project"),
                     (LONER, "every scope, no project"), (only("project:read"), "project:read only")]:
        out.append(case(f"{route} ({kind}): a user with {why}", "§1 step 6", method, path, bearer(who[0]),
                        facts(False, 403, "operator_only", route, None, proj, who[1])))
    out += [
        case(f"{route} ({kind}): a user naming the operator as actor", "§1 step 6, §5", method, path,
             bearer(ALICE[0]) + [("X-Comwit-Actor-User-Id", "operator")],
             facts(False, 403, "operator_only", route, None, proj, ALICE[1], True)),
        case(f"{route} ({kind}): the operator", "§1 step 10", method, path, bearer(OPERATOR),
             facts(True, 200, "operator_bypass", route, None, proj, "operator")),
        case(f"{route} ({kind}): the operator acting for a user", "§1 step 10, §5", method, path,
             bearer(OPERATOR) + [("x-comwit-actor-user-id", " usr_carol ")],
             facts(True, 200, "operator_bypass", route, None, proj, "usr_carol")),
        case(f"{route} ({kind}): the operator with a malformed actor", "§1 step 9", method, path,
             bearer(OPERATOR) + [("X-Comwit-Actor-User-Id", "usr carol")],
             facts(False, 400, "invalid_actor", route, None, proj, None)),
        case(f"{route} ({kind}): unauthenticated", "§1 step 4", method, path, [], denied(401, "missing_token")),
        case(f"{route} ({kind}): an unknown user token", "§1 step 5", method, path, bearer(UNKNOWN),
             denied(401, "invalid_token")),
    ]
    if method == "GET":
        out.append(case(f"{route} ({kind}): HEAD by a user", "§4 HEAD, §1 step 6", "HEAD", path, bearer(ALICE[0]),
                        facts(False, 403, "operator_only", route, None, proj, ALICE[1])))
    return out


def other_method_cases():
    """Every declarable method (and HEAD) that a route path lacks, per section 1
    steps 6-8: a user gets 403 on an operator-only path, else 405; the operator 405."""
    routes = [(m, p, "public" if s is None else "scoped") for m, p, s in SCOPED]
    routes += [(m, p, "operator") for m, p, _ in OPERATOR_ONLY]
    out = []
    for pattern in dict.fromkeys(p for _, p, _ in routes):
        path = concrete(pattern)
        matching = [(m, kind) for m, p, kind in routes if segments_match(p, path)]
        allowed = sorted({m for m, _ in matching})
        operator_only_path = any(kind == "operator" for _, kind in matching) or path.startswith(FAMILY)
        tried = [m for m in METHODS if m not in allowed] + (["HEAD"] if "GET" not in allowed else [])
        for method in tried:
            if operator_only_path:
                user = facts(False, 403, "operator_only", None, None, None, ALICE[1])
                rule = "§1 step 6 another method's operator-only route"
            else:
                user = dict(facts(False, 405, "method_not_allowed", None, None, None, ALICE[1]), allowed_methods=allowed)
                rule = "§1 step 8, §4 405"
            out.append(case(f"{method} {path}: a user, a method the path lacks", rule, method, path,
                            bearer(ALICE[0]), user))
            out.append(case(f"{method} {path}: the operator, a method the path lacks", "§1 step 8, §4 405", method,
                            path, bearer(OPERATOR),
                            dict(facts(False, 405, "method_not_allowed", None, None, None, "operator"),
                                 allowed_methods=allowed)))
            out.append(case(f"{method} {path}: unauthenticated, a method the path lacks", "§1 step 4 before 8",
                            method, path, [], denied(401, "missing_token")))
    return out


HEADER = """# Generated by conformance/scripts/gen_route_cases.py from the tables of contract
# sections 1, 6 and 8; edit the script, not this file.
tokens: comwit-tokens
cases:
"""


def write(name, cases):
    (OUT / name).write_text(HEADER + "\n".join(cases))
    return len(cases)


def main():
    fixture = FIXTURE.read_text()
    users = [ALICE, BETA, BOTH, LONER, NOSCOPE] + [only(s) for s in SCOPES] + [without(s) for s in SCOPES]
    for token, user_id in users:
        if f"token: {token}\n" not in fixture or f"user_id: {user_id}\n" not in fixture:
            raise SystemExit(f"{FIXTURE}: no user {user_id} with token {token}")
    if f"token: {UNKNOWN}\n" in fixture:
        raise SystemExit(f"{FIXTURE}: {UNKNOWN} must stay unknown")
    OUT.mkdir(parents=True, exist_ok=True)
    counts = {
        "public-routes.yaml": write("public-routes.yaml",
                                    [c for m, p, s in SCOPED if s is None for c in public_cases(m, p)]),
        "scoped-routes.yaml": write("scoped-routes.yaml",
                                    [c for m, p, s in SCOPED if s is not None for c in scoped_cases(m, p, s)]),
        "operator-only-routes.yaml": write("operator-only-routes.yaml",
                                           [c for m, p, h in OPERATOR_ONLY for c in operator_only_cases(m, p, h)]),
        "other-methods.yaml": write("other-methods.yaml", other_method_cases()),
    }
    for name, count in counts.items():
        print(f"{name}: {count} cases")


if __name__ == "__main__":
    main()
