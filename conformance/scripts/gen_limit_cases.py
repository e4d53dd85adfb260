#!/usr/bin/env python3
"""Writes conformance/cases/limits/limits.yaml: the bounds that need long inputs,
each on both sides of the bound. The path bound (4096 bytes as received) and the
actor bound (128 characters) are the contract's (sections 3 and 5); the header
bounds (256 headers, 16384 bytes of name plus value, checked right after step 1)
are interpretation a of conformance/README.md. Expectations are derived from
those rules by hand; nothing here runs an implementation.

Usage: python3 conformance/scripts/gen_limit_cases.py   (rewrites the file)
"""

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "cases" / "limits" / "limits.yaml"

ALICE = [("Authorization", "Bearer cwt_a11ce")]
OPERATOR = [("Authorization", "Bearer op-secret-for-tests")]
NULL_FACTS = {"route": None, "required_scope": None, "project": None, "actor": None, "actor_header_ignored": False}


def q(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def value(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return q(v)


def case(note, rule, method, target, headers, expect):
    hs = ", ".join(f"[{q(n)}, {q(v)}]" for n, v in headers)
    ex = ", ".join(f"{k}: {value(v)}" for k, v in expect.items())
    return (f"  - note: {q(note)}\n    rule: {q(rule)}\n"
            f"    request: {{method: {method}, target: {q(target)}, headers: [{hs}]}}\n"
            f"    expect: {{{ex}}}\n")


def fillers(n):
    return [(f"X-Filler-{i}", "1") for i in range(n)]


def header_cases():
    bad = {"allow": False, "status": 400, "reason": "invalid_request", **NULL_FACTS}
    granted = {"status": 200, "reason": "granted", "actor": "usr_alice"}
    rule = "interpretation a: header bounds right after step 1"
    # X-Filler is 8 bytes, so a value of 16376 bytes makes 16384 in all.
    at_bound = [("X-Filler", "v" * 16376)]
    over_bound = [("X-Filler", "v" * 16377)]
    return [
        case("256 headers in all are fine", rule, "GET", "/v1/projects", ALICE + fillers(255), granted),
        case("257 headers are too many", rule, "GET", "/v1/projects", ALICE + fillers(256), bad),
        case("257 headers on a public route: the bound comes before step 2", rule, "POST", "/v1/auth/device",
             fillers(257), bad),
        case("257 headers unauthenticated: the bound comes before step 4", rule, "GET", "/v1/projects",
             fillers(257), bad),
        case("257 headers, one a method override: the bound comes before step 1b", rule, "GET", "/v1/projects",
             ALICE + fillers(255) + [("X-HTTP-Method-Override", "GET")], bad),
        case("257 headers on a malformed path: step 1 comes first", rule, "GET", "/v1/../projects",
             ALICE + fillers(256), {"status": 400, "reason": "malformed_path"}),
        case("a header of exactly 16384 bytes, name and value", rule, "GET", "/v1/projects", ALICE + at_bound,
             granted),
        case("a header of 16385 bytes", rule, "GET", "/v1/projects", ALICE + over_bound, bad),
        case("a header of 16385 bytes on a public route", rule, "POST", "/v1/auth/device/token", over_bound, bad),
        case("a header of 16385 bytes beside a URL override: the bound comes before step 1c", rule, "GET",
             "/v1/projects", ALICE + over_bound + [("X-Original-URL", "/v1/status")], bad),
        case("a header of 16385 bytes on a malformed path: step 1 comes first", rule, "GET", "/v1//projects",
             over_bound, {"status": 400, "reason": "malformed_path"}),
        # Authorization is 13 bytes: a value of 16371 bytes makes 16384.
        case("an Authorization header of 16384 bytes holds a token68 token of no class", rule, "GET",
             "/v1/projects", [("Authorization", "Bearer " + "a" * 16364)],
             {"status": 401, "reason": "invalid_token"}),
        case("an Authorization header of 16385 bytes is over the bound before it is read", rule, "GET",
             "/v1/projects", [("Authorization", "Bearer " + "a" * 16365)], bad),
        case("a long header name counts too", rule, "GET", "/v1/projects", ALICE + [("X-" + "n" * 16383, "")], bad),
    ]


def path_cases():
    rule = "§3 at most 4096 bytes as received"
    prefix = "/v1/projects/"
    long_id = "a" * (4096 - len(prefix))
    encoded = "%61" * ((4096 - len(prefix)) // 3)
    assert len(prefix + encoded) == 4096
    return [
        case("a path of exactly 4096 bytes", rule, "GET", prefix + long_id, OPERATOR,
             {"status": 200, "reason": "operator_bypass", "project": long_id}),
        case("a path of exactly 4096 bytes for a non-member", rule, "GET", prefix + long_id, ALICE,
             {"status": 403, "reason": "not_a_member", "project": long_id}),
        case("a path of 4097 bytes", rule, "GET", prefix + long_id + "a", OPERATOR,
             {"allow": False, "status": 400, "reason": "malformed_path", **NULL_FACTS}),
        case("a path of 4096 bytes and a query: the bound is on the path only", rule, "GET",
             prefix + long_id + "?page=" + "9" * 100, OPERATOR,
             {"status": 200, "reason": "operator_bypass", "project": long_id}),
        case("4096 bytes of which most are escapes: counted as received", rule, "GET", prefix + encoded, OPERATOR,
             {"status": 200, "reason": "operator_bypass", "project": "a" * (len(encoded) // 3)}),
        case("4097 bytes as received, though far shorter once decoded", rule, "GET", prefix + encoded + "a",
             OPERATOR, {"status": 400, "reason": "malformed_path"}),
        case("a 4097-byte path on a public route", rule, "POST", "/v1/auth/device/" + "x" * (4097 - 16), [],
             {"status": 400, "reason": "malformed_path"}),
    ]


def actor_cases():
    rule = "§5 1-128 characters"
    path = "/v1/projects/prj_alpha"
    return [
        case("an actor of 128 characters", rule, "GET", path,
             OPERATOR + [("X-Comwit-Actor-User-Id", "u" * 128)],
             {"status": 200, "reason": "operator_bypass", "actor": "u" * 128}),
        case("an actor of 128 characters inside spaces, which are trimmed first", rule, "GET", path,
             OPERATOR + [("X-Comwit-Actor-User-Id", "  " + "u" * 128 + "  ")],
             {"status": 200, "reason": "operator_bypass", "actor": "u" * 128}),
        case("an actor of 129 characters", rule, "GET", path,
             OPERATOR + [("X-Comwit-Actor-User-Id", "u" * 129)],
             {"status": 400, "reason": "invalid_actor", "actor": None}),
        case("an actor of 129 characters from a user is only ignored", rule, "GET", path,
             ALICE + [("X-Comwit-Actor-User-Id", "u" * 129)],
             {"status": 200, "reason": "granted", "actor": "usr_alice", "actor_header_ignored": True}),
    ]


def main():
    cases = header_cases() + path_cases() + actor_cases()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("# Generated by conformance/scripts/gen_limit_cases.py; edit the script, not this file.\n"
                   "tokens: comwit-tokens\ncases:\n" + "\n".join(cases))
    print(f"{OUT.name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
