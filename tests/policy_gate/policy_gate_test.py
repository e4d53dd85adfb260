#!/usr/bin/env python3
"""policy-gate on its own, over loopback:

- decides every exported conformance case, sent as nginx sends it (/auth with
  X-Original-Method and X-Original-URI), exactly as `policy-check decide`
  does: status, reason, actor, section 7 headers and body;
- Envoy ext_authz mode answers with the real status and raw target;
- /healthz, /metrics, an unknown path, a misconfigured proxy;
- reload on file change and on SIGHUP, keeping the last good policy;
- RFC 7662 introspection against a fake endpoint: claims, the cache (hits,
  TTL, size bound), inactive and expired tokens, endpoint failure (503).

    policy_gate_test.py --gate EXE --policy-check EXE --source DIR --export DIR --work DIR
"""
import argparse
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

import harness

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL {what}")


# Headers that frame the request (the server reads them itself) or that the
# proxy sets (X-Original-*): a case that sends them is not an auth request.
NOT_FORWARDED = {b"content-length", b"transfer-encoding", b"connection", b"expect", b"x-original-method",
                 b"x-original-uri"}
TCHAR = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def forwardable(method, target, headers):
    """True when nginx could hand this request to the gate as headers: the
    target survives as a header value (no NUL or line break, no surrounding
    whitespace, which header parsing trims) and every header is an ordinary
    one."""
    values = [method, target] + [v for _, v in headers]
    if any(b"\0" in v or b"\r" in v or b"\n" in v for v in values):
        return False
    if target != target.strip(b" \t") or not target or not TCHAR.match(method):
        return False
    return all(TCHAR.match(n) and n.lower() not in NOT_FORWARDED for n, _ in headers)


def differential(port, args):
    requests = harness.load_export(args.export)
    decisions = harness.decide(args.policy_check, args.policy, args.tokens, args.export)
    checked = skipped = 0
    started = time.monotonic()
    for (method, target, headers, where), d in zip(requests, decisions):
        if not forwardable(method, target, headers):
            skipped += 1
            continue
        checked += 1
        # No Host and no Connection header: the gate sees the case's headers
        # alone, as the contract's header-count bound counts them.
        r = harness.raw_request(port, b"GET", b"/auth",
                                [(b"X-Original-Method", method), (b"X-Original-URI", target)] + headers,
                                host=False, close=False)
        problems = []
        status = d["status"]
        if d["allow"]:
            if r.status != 200:
                problems.append(f"status {r.status}, want 200")
            if r.header("x-comwit-actor") != d["actor"]:
                problems.append(f"actor {r.header('x-comwit-actor')!r}, want {d['actor']!r}")
        else:
            if r.status != (status if status in (401, 403) else 403):
                problems.append(f"status {r.status} for {status}")
            if r.header("x-scopegate-status") != str(status):
                problems.append(f"X-Scopegate-Status {r.header('x-scopegate-status')}, want {status}")
            body = json.loads(r.header("x-scopegate-body") or "{}")
            if body.get("error", {}).get("code") != d["reason"] or body["error"].get("status") != status:
                problems.append(f"X-Scopegate-Body {r.header('x-scopegate-body')!r}")
            for name, value in harness.expected_response_headers(d).items():
                if r.header(name) != value:
                    problems.append(f"{name}: {r.header(name)!r}, want {value!r}")
        if r.header("x-scopegate-reason") != d["reason"]:
            problems.append(f"reason {r.header('x-scopegate-reason')}, want {d['reason']}")
        if problems:
            check(False, f"{where}: " + "; ".join(problems))
    elapsed = time.monotonic() - started
    print(f"differential: {checked} cases as nginx sends them, all checked against policy-check decide "
          f"({skipped} not expressible as headers), {elapsed:.1f} s")
    check(checked > 4000, f"only {checked} cases checked")
    return checked


def envoy_and_endpoints(port):
    auth = [(b"Authorization", b"Bearer cwt_a11ce")]
    r = harness.raw_request(port, b"GET", b"/ext_authz/v1/projects/prj_alpha/apps", auth)
    check(r.status == 200 and r.header("x-comwit-actor") == "usr_alice", f"envoy allow: {r.status}")
    r = harness.raw_request(port, b"GET", b"/ext_authz/v1/nothing", auth)
    check(r.status == 404 and json.loads(r.body)["error"]["code"] == "no_route", f"envoy 404: {r.status} {r.body}")
    r = harness.raw_request(port, b"PATCH", b"/ext_authz/v1/projects", auth)
    check(r.status == 405 and r.header("allow") == "GET", f"envoy 405: {r.status} {r.header('allow')}")
    r = harness.raw_request(port, b"GET", b"/ext_authz/v1/projects/prj_alpha/%2e%2e/x", auth)
    check(r.status == 400 and r.header("x-scopegate-reason") == "malformed_path", f"envoy raw target: {r.status}")
    r = harness.raw_request(port, b"HEAD", b"/ext_authz/v1/projects", [])
    check(r.status == 401 and r.header("www-authenticate") == 'Bearer realm="comwit"' and r.body == b"",
          f"envoy HEAD: {r.status} {r.body}")
    r = harness.raw_request(port, b"get", b"/ext_authz/v1/projects", auth)
    check(r.status == 405, f"envoy lower-case method: {r.status}")

    r = harness.raw_request(port, b"GET", b"/auth", [(b"X-Original-URI", b"/v1/projects")])
    check(r.status == 500, f"auth without X-Original-Method: {r.status}")
    r = harness.raw_request(port, b"GET", b"/auth", [(b"X-Original-Method", b"GET"), (b"X-Original-URI", b"/a"),
                                                      (b"x-original-uri", b"/b")])
    check(r.status == 500, f"auth with two X-Original-URI: {r.status}")
    r = harness.raw_request(port, b"GET", b"/elsewhere", [])
    check(r.status == 404, f"unknown path: {r.status}")
    r = harness.raw_request(port, b"GET", b"/healthz", [])
    check(r.status == 200 and json.loads(r.body) == {"status": "ok", "policy": "comwit", "routes": 37},
          f"healthz: {r.status} {r.body}")


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def metrics_check(port, decided):
    r = harness.raw_request(port, b"GET", b"/metrics", [])
    text = r.body.decode()
    check(r.status == 200 and r.header("content-type").startswith("text/plain"), "metrics content type")
    total = sum(float(v) for v in re.findall(r"^policy_gate_decisions_total\{[^}]*\} (\S+)$", text, re.M))
    check(total >= decided, f"decisions_total {total} < {decided}")
    for reason in ("granted", "malformed_path", "method_not_allowed", "operator_bypass"):
        check(re.search(r'^policy_gate_decisions_total\{reason="%s",status="\d+"\} [1-9]' % reason, text, re.M),
              f"no {reason} decisions counted")
    count = metric(text, "policy_gate_decision_duration_seconds_count")
    check(count == total, f"histogram count {count}, decisions {total}")
    check(metric(text, 'policy_gate_decision_duration_seconds_bucket{le="+Inf"}') == count, "+Inf bucket")
    check("# TYPE policy_gate_decision_duration_seconds histogram" in text, "histogram type line")
    check(metric(text, "policy_gate_policy_routes") == 37, "routes gauge")
    return text


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def reload_check(args):
    work = os.path.join(args.work, "reload")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    policy = os.path.join(work, "policy.yaml")
    original = open(args.policy).read()

    def write(text):  # whole, as the watcher asks: a temporary file renamed over the policy
        with open(policy + ".tmp", "w") as f:
            f.write(text)
        os.replace(policy + ".tmp", policy)

    write(original)
    proc, port = harness.start_gate(args.gate, "--policy", policy, "--tokens", args.tokens,
                                    "--watch-interval", "50")
    try:
        def status():
            r = harness.raw_request(port, b"GET", b"/ext_authz/v1/projects", [(b"Authorization", b"Bearer cwt_0000")])
            return r.status

        def reloads(result):
            r = harness.raw_request(port, b"GET", b"/metrics", [])
            return metric(r.body.decode(), f'policy_gate_policy_reloads_total{{result="{result}"}}') or 0

        check(status() == 403, "usr_noscope lacks project:read")
        # GET /v1/projects made public: the change is seen without a signal.
        public = original.replace("    path: /v1/projects\n    scope: project:read\n",
                                  "    path: /v1/projects\n    auth: none\n", 1)
        check(public != original, "the policy edit applies")
        write(public)
        check(wait_until(lambda: status() == 200), "a changed file goes in force")
        # A broken file is refused and the last good policy stays.
        refused = reloads("refused")
        write("scopegate: 1\nname: broken\nroutes: [\n")
        check(wait_until(lambda: reloads("refused") > refused), "a broken file is refused")
        check(status() == 200, "the last good policy stays in force")
        # SIGHUP reloads at once, whatever changed.
        write(original)
        applied = reloads("applied")
        proc.send_signal(signal.SIGHUP)
        check(wait_until(lambda: reloads("applied") > applied and status() == 403), "SIGHUP reloads")
    finally:
        harness.stop(proc)
        stderr = proc.stderr.read().decode()
    check("refused, the last good policy stays in force" in stderr and "SG001" in stderr,
          f"the refusal is logged with its error: {stderr}")


class FakeIntrospection(http.server.BaseHTTPRequestHandler):
    """An RFC 7662 endpoint: answers from `tokens`, counts calls per token,
    fails with 500 for cwt_fa11."""
    tokens = {}
    calls = {}
    auth_seen = []

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        token = form["token"][0]
        FakeIntrospection.calls[token] = FakeIntrospection.calls.get(token, 0) + 1
        FakeIntrospection.auth_seen.append(self.headers.get("Authorization"))
        if token == "cwt_fa11" or form.get("token_type_hint") != ["access_token"]:
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps(FakeIntrospection.tokens.get(token, {"active": False})).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def introspection_check(args):
    FakeIntrospection.tokens = {
        "cwt_a1": {"active": True, "sub": "usr_a1", "scope": "app:read project:read", "projects": ["prj_alpha"]},
        "cwt_b2": {"active": True, "username": "usr_b2", "scope": "app:read", "tenants": ["prj_alpha"]},
        "cwt_c3": {"active": True, "sub": "usr_c3", "scope": "app:read", "projects": ["prj_alpha"],
                   "exp": int(time.time()) - 10},
        "cwt_d4": {"active": True, "sub": "usr_d4", "scope": "app:read", "projects": ["prj_alpha"]},
        "cwt_e5": {"active": True, "sub": "usr_e5", "scope": "app:read", "projects": ["prj_alpha"]},
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeIntrospection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/introspect"
    env = dict(os.environ, INTROSPECT_AUTH="Basic Z2F0ZTpzZWNyZXQ=", PLATFORM_API_SERVER_TOKEN="op-secret-xyz")

    def gate(*options):
        FakeIntrospection.calls = {}
        return harness.start_gate(args.gate, "--policy", args.policy, "--introspect", url,
                                  "--introspect-auth-env", "INTROSPECT_AUTH", *options, env=env)

    def asker(port):
        def ask(token, target=b"/v1/projects/prj_alpha/apps", method=b"GET"):
            return harness.raw_request(port, b"GET", b"/auth", [(b"X-Original-Method", method),
                                                                (b"X-Original-URI", target),
                                                                (b"Authorization", b"Bearer " + token)])
        return ask

    calls = FakeIntrospection.calls
    proc = None
    try:
        # The claims, failures, and a TTL of one second.
        proc, port = gate("--cache-ttl", "1")
        ask = asker(port)
        r = ask(b"cwt_a1")
        check(r.status == 200 and r.header("x-comwit-actor") == "usr_a1", f"introspected allow: {r.status}")
        check(FakeIntrospection.auth_seen[-1] == "Basic Z2F0ZTpzZWNyZXQ=", "the endpoint gets the credentials")
        r = ask(b"cwt_a1", b"/v1/projects")
        check(r.status == 200, "the second scope of a space-separated `scope`")
        calls = FakeIntrospection.calls
        check(calls["cwt_a1"] == 1, "a second request is answered from the cache")
        r = ask(b"cwt_a1", method=b"POST")
        check(r.header("x-scopegate-reason") == "insufficient_scope", "no scope beyond `scope`")
        r = ask(b"cwt_a1", b"/v1/projects/prj_beta/apps")
        check(r.header("x-scopegate-reason") == "not_a_member", "projects from the projects claim")
        r = ask(b"cwt_b2")
        check(r.header("x-scopegate-reason") == "not_a_member", "username as the user; no projects claim: none")
        r = ask(b"cwt_c3")
        check(r.status == 401 and r.header("x-scopegate-reason") == "invalid_token", "an expired exp is inactive")
        r = ask(b"cwt_9999")
        check(r.status == 401 and r.header("x-scopegate-reason") == "invalid_token", "active false is invalid")
        r = ask(b"cwt_fa11")
        check(r.status == 503, f"an endpoint failure is 503: {r.status}")
        ask(b"cwt_fa11")
        check(calls["cwt_fa11"] == 2, "a failure is not cached")
        r = ask(b"Bearer", b"/v1/projects")
        check(r.header("x-scopegate-reason") == "invalid_token" and "Bearer" not in calls,
              "a token of no class is never introspected")
        r = ask(b"op-secret-xyz", b"/v1/status")
        check(r.status == 200 and r.header("x-comwit-actor") == "operator", "the operator secret from the env")
        time.sleep(1.2)
        ask(b"cwt_a1")
        check(calls["cwt_a1"] == 2, "an entry expires after --cache-ttl")
        text = harness.raw_request(port, b"GET", b"/metrics", []).body.decode()
        check(metric(text, 'policy_gate_token_cache_lookups_total{result="hit"}') >= 1, "cache hits counted")
        check(metric(text, "policy_gate_introspection_unavailable_total") == 2, "503s counted")
        harness.stop(proc)

        # The size bound: the least recently used entry goes.
        proc, port = gate("--cache-size", "2", "--cache-ttl", "60")
        ask = asker(port)
        calls = FakeIntrospection.calls
        for token in (b"cwt_a1", b"cwt_d4", b"cwt_a1", b"cwt_e5", b"cwt_a1", b"cwt_d4"):
            ask(token)
        check((calls["cwt_a1"], calls["cwt_d4"], calls["cwt_e5"]) == (1, 2, 1),
              f"least recently used eviction: {calls}")
        text = harness.raw_request(port, b"GET", b"/metrics", []).body.decode()
        check(metric(text, "policy_gate_token_cache_entries") == 2, "the cache holds --cache-size entries")
    finally:
        harness.stop(proc)
        server.shutdown()
        server.server_close()

    for bad in (["--cache-size", "0"], ["--cache-size", "1000001"], ["--cache-ttl", "3601"],
                ["--cache-ttl", "-1"]):
        out = subprocess.run([args.gate, "--policy", args.policy, "--introspect", url, *bad], capture_output=True,
                             check=False)
        check(out.returncode == 2, f"{bad} is refused: {out.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gate", required=True)
    ap.add_argument("--policy-check", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    args.policy = os.path.join(args.source, "policies", "comwit.yaml")
    args.tokens = os.path.join(args.source, "conformance", "fixtures", "comwit-tokens.yaml")

    proc, port = harness.start_gate(args.gate, "--policy", args.policy, "--tokens", args.tokens)
    try:
        decided = differential(port, args)
        envoy_and_endpoints(port)
        metrics_check(port, decided)
    finally:
        harness.stop(proc)
    check(proc.returncode == 0, f"policy-gate exits 0 on SIGTERM, got {proc.returncode}")
    reload_check(args)
    introspection_check(args)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
