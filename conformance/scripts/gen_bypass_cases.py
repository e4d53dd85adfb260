#!/usr/bin/env python3
"""Writes conformance/cases/bypass-payloads/*.yaml from the payloads of public
"403 bypass" tools (shared/data/bypass/payloads.json, see its README): each path
fragment, header, method and extension aimed at a path its caller may not reach.

Expectations, derived from the contract by rules simple enough to check by eye:
- wordlist fragments: never allowed (the bypass README's requirement); and where
  the target then holds a character that section 3 does not allow raw, or a `%`
  without two hex digits, exactly 400 malformed_path;
- headers: the decision of the same request without the header, except the names
  the contract reads (Authorization, the override headers of steps 1b and 1c);
- methods: section 4 (exact HEAD is GET, other unknown strings match no route)
  with the steps of section 1;
- extensions: a `?` starts the query, anything else lengthens the last segment.
Nothing here runs an implementation.

Usage: python3 conformance/scripts/gen_bypass_cases.py [payloads.json]
       (default: shared/data/bypass/payloads.json beside the repository)
"""

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
OUT = REPO / "conformance" / "cases" / "bypass-payloads"
DEFAULT_PAYLOADS = REPO.parent / "shared" / "data" / "bypass" / "payloads.json"

ALICE = ("Authorization", "Bearer cwt_a11ce")      # usr_alice: every scope, member of prj_alpha
BETA = ("Authorization", "Bearer cwt_bbbb")        # usr_beta: every scope, member of prj_beta only
OPERATOR = ("Authorization", "Bearer op-secret-for-tests")
DECLARED = {"CONNECT", "DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}

# Section 3: "ALPHA, DIGIT, `-._~!$&'()*+,;=:@/?%`" may appear raw.
RAW_OK = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%")
HEX = set("0123456789abcdefABCDEF")


def breaks_character_rules(target):
    """Section 3's rules over the whole target: a character not allowed raw, or a
    `%` not followed by two hex digits."""
    if any(c not in RAW_OK for c in target):
        return True
    return any(c == "%" and not (i + 2 < len(target) and target[i + 1] in HEX and target[i + 2] in HEX)
               for i, c in enumerate(target))


def q(text):
    out = ['"']
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


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
            f"    request: {{method: {q(method)}, target: {q(target)}, headers: [{hs}]}}\n"
            f"    expect: {{{ex}}}\n")


def wordlist_cases(wordlist):
    # (who, method, path before the last segment, last segment); mid puts the
    # fragment between them as a segment of its own, end after the path.
    baselines = [
        ("usr_alice on the operator-only /v1/status", [ALICE], "GET", "/v1/", "status"),
        ("usr_alice in the /v1/databases family", [ALICE], "DELETE", "/v1/databases/", "db_main"),
        ("usr_beta on a prj_alpha route", [BETA], "GET", "/v1/projects/prj_alpha/apps/web/", "env"),
    ]
    out = []
    for fragment, tags in wordlist:
        positions = [p for p in ("mid", "end") if f"-{p}" in tags] or ["mid", "end"]
        for who, headers, method, head, last in baselines:
            for position in positions:
                target = head + fragment + "/" + last if position == "mid" else head + last + fragment
                expect = {"allow": False}
                rule = "bypass README: denied"
                if breaks_character_rules(target):
                    expect.update(status=400, reason="malformed_path")
                    rule = "§3 characters of the whole target"
                out.append(case(f"fragment {fragment!r} ({position}; tools: {tags}), {who}", rule, method, target,
                                headers, expect))
    return out


def header_cases(names, addresses):
    def fold(name):
        return name.lower().replace("_", "-")

    out = []
    for i, (name, tags) in enumerate(names):
        address = addresses[i % len(addresses)][0]
        user = {"status": 403, "reason": "operator_only", "route": "GET /v1/status", "actor": "usr_alice"}
        anonymous = {"status": 401, "reason": "missing_token"}
        rule = "§3 other headers are not looked at"
        if fold(name) in {"x-http-method-override", "x-http-method", "x-method-override"}:
            user = anonymous = {"status": 400, "reason": "method_override"}
            rule = "§1 step 1b"
        elif fold(name) in {"x-original-url", "x-rewrite-url"}:
            user = anonymous = {"status": 400, "reason": "url_override"}
            rule = "§1 step 1c"
        elif name.lower() == "authorization":
            # A second Authorization header; alone, an address is another scheme.
            user = {"status": 400, "reason": "invalid_request"}
            rule = "§1 steps 3 and 4"
        out.append(case(f"header {name}: {address} (tools: {tags}), usr_alice on /v1/status", rule, "GET",
                        "/v1/status", [ALICE, (name, address)], {"allow": False, **user}))
        out.append(case(f"header {name}: {address} (tools: {tags}), unauthenticated", rule, "GET",
                        "/v1/projects/prj_alpha/apps", [(name, address)], {"allow": False, **anonymous}))
    for address, tags in addresses:
        out.append(case(f"X-Forwarded-For: {address} (tools: {tags}), usr_alice on /v1/databases",
                        "§3 other headers are not looked at", "GET", "/v1/databases",
                        [ALICE, ("X-Forwarded-For", address)],
                        {"allow": False, "status": 403, "reason": "operator_only", "route": "GET /v1/databases"}))
    return out


def verb_cases(verbs):
    out = []
    for verb, tags in verbs:
        as_get = verb in ("GET", "HEAD")
        rule = "§4 HEAD is GET; other unknown methods match no route"
        out.append(case(f"method {verb} (tools: {tags}), usr_alice on /v1/status", rule + "; §1 step 6", verb,
                        "/v1/status", [ALICE],
                        {"allow": False, "status": 403, "reason": "operator_only",
                         "route": "GET /v1/status" if as_get else None, "actor": "usr_alice"}))
        out.append(case(f"method {verb} (tools: {tags}), the operator on /v1/status", rule, verb, "/v1/status",
                        [OPERATOR],
                        {"allow": True, "status": 200, "reason": "operator_bypass", "route": "GET /v1/status"}
                        if as_get else
                        {"allow": False, "status": 405, "reason": "method_not_allowed", "allowed_methods": ["GET"]}))
        out.append(case(f"method {verb} (tools: {tags}), usr_beta on prj_alpha", rule, verb,
                        "/v1/projects/prj_alpha", [BETA],
                        {"allow": False, "status": 403, "reason": "not_a_member", "project": "prj_alpha"}
                        if as_get else
                        {"allow": False, "status": 405, "reason": "method_not_allowed", "allowed_methods": ["GET"]}))
        out.append(case(f"method {verb} (tools: {tags}), unauthenticated", rule + "; §1 step 4", verb,
                        "/v1/projects/prj_alpha", [], {"allow": False, "status": 401, "reason": "missing_token"}))
    return out


def extension_cases(extensions):
    out = []
    for extension in extensions:
        assert not breaks_character_rules(extension), extension
        in_query = extension.startswith("?")
        rule = "§3 the query plays no part" if in_query else "§4 the extension lengthens the last segment"
        out.append(case(f"extension {extension!r}, usr_alice on /v1/status", rule, "GET", "/v1/status" + extension,
                        [ALICE],
                        {"allow": False, "status": 403, "reason": "operator_only", "route": "GET /v1/status"}
                        if in_query else {"allow": False, "status": 404, "reason": "no_route"}))
        # {databaseId} takes `db_main.yml` as well as `db_main`.
        out.append(case(f"extension {extension!r}, usr_alice on a /v1/databases route", rule, "DELETE",
                        "/v1/databases/db_main" + extension, [ALICE],
                        {"allow": False, "status": 403, "reason": "operator_only",
                         "route": "DELETE /v1/databases/{databaseId}"}))
    return out


def write(name, cases):
    header = ("# Generated by conformance/scripts/gen_bypass_cases.py from shared/data/bypass/payloads.json;\n"
              "# edit the script, not this file.\ntokens: comwit-tokens\ncases:\n")
    (OUT / name).write_text(header + "\n".join(cases))
    print(f"{name}: {len(cases)} cases")


def main():
    payloads = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PAYLOADS).read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    write("wordlist.yaml", wordlist_cases(payloads["WORDLIST"]))
    write("headers.yaml", header_cases(payloads["HEADER_NAMES"], payloads["IP_VALUES"]))
    write("verbs.yaml", verb_cases(payloads["VERBS"]))
    write("extensions.yaml", extension_cases(payloads["BY_EXTENSIONS"]))


if __name__ == "__main__":
    main()
