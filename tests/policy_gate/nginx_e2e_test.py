#!/usr/bin/env python3
"""Debian's nginx with auth_request in front of a trivial upstream (nginx
itself, answering 200), policy-gate beside it, both on loopback, configured
by examples/nginx/scopegate.conf. The exported conformance cases of the
chosen areas go through nginx, and each answer must be the contract's
decision (`policy-check decide`) for the request nginx passed on: status,
section 7 headers and error body, or, allowed, the upstream reached with the
decision's actor.

The request nginx passes on is the one sent, with a `Host` header (HTTP/1.1
needs one; added when the case has none), less the hop-by-hop `Connection`,
and with the request-target nginx logs as `$request_uri` (it turns the
absolute form into the origin form; the test lists where it did).

nginx answers some requests itself before any location runs: a 400 for a
malformed request line or header, a 405 for TRACE. The test lists them by the
contract's decision and nginx's error log. Such an answer never lets a
request through; when the contract denies too it is agreement, and when the
contract allows it is listed as nginx being stricter. Any request that
reaches the upstream although the contract denies it, or that the gate
decides otherwise than the contract, fails the test.

    nginx_e2e_test.py --gate EXE --policy-check EXE --source DIR --export DIR --work DIR [--areas A,B]

Exit status: 0 agreement, 1 a disagreement, 77 no nginx (skipped).
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format uri escape=json '$request_uri';
    access_log {tmp}/access.log uri;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    include {tmp}/scopegate.conf;

    # The API server: says that it was reached, and by which actor.
    server {{
        listen 127.0.0.1:{upstream};
        access_log off;
        location / {{
            add_header X-Upstream reached always;
            add_header X-Upstream-Actor $http_x_comwit_actor always;
            return 200 "upstream";
        }}
    }}
}}
"""

DEFAULT_AREAS = ("evaluation-order,authorization-header,token-class,canonical-path,overrides,matching,methods,"
                 "actor,operator-only,bypass,bypass-payloads,limits")


def nginx_config(source, tmp, gate_port, nginx_port, upstream_port):
    with open(os.path.join(source, "examples", "nginx", "scopegate.conf")) as f:
        example = f.read()
    for old, new in (("127.0.0.1:9191", f"127.0.0.1:{gate_port}"), ("127.0.0.1:8080", f"127.0.0.1:{nginx_port}"),
                     ("127.0.0.1:8081", f"127.0.0.1:{upstream_port}")):
        if old not in example:
            raise RuntimeError(f"examples/nginx/scopegate.conf has no {old}")
        example = example.replace(old, new)
    with open(os.path.join(tmp, "scopegate.conf"), "w") as f:
        f.write(example)
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(MAIN_CONF.format(tmp=tmp, upstream=upstream_port))


def read_log_line(log, timeout=2.0):
    """The access log line of the request just answered, or None. nginx
    writes it once the connection's lingering close is over, which may be
    after the client has read the whole response."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n") and time.monotonic() < deadline:
        data += log.read()
        if not data.endswith(b"\n"):
            time.sleep(0.001)
    lines = data.decode("utf-8", "surrogateescape").splitlines()
    return lines[0] if len(lines) == 1 else None


def as_passed_on(method, target, headers, logged_uri):
    """The request nginx hands on, as a decide request line: with the target
    nginx logged, when it passed the request on."""
    if not any(n.lower() == b"host" for n, _ in headers):
        headers = headers + [(b"Host", b"localhost")]
    text = lambda b: b.decode("utf-8", "surrogateescape")
    return json.dumps({"method": text(method), "target": logged_uri if logged_uri is not None else text(target),
                       "headers": [[text(n), text(v)] for n, v in headers if n.lower() != b"connection"]})


def answered_by_nginx(r):
    """True when nginx answered itself: neither the upstream nor the gate's
    denial (JSON) did."""
    return r.header("x-upstream") != "reached" and r.header("content-type") != "application/json"


def judge(r, d):
    """Problems with nginx's answer `r` to a request the contract decides `d`,
    or None when nginx answered it itself."""
    if answered_by_nginx(r):
        return None
    if r.header("x-upstream") == "reached":
        if not d["allow"]:
            return [f"reached the upstream, the contract says {d['status']} {d['reason']}"]
        actor = r.header("x-upstream-actor") or ""
        return [] if actor == (d["actor"] or "") else [f"upstream got actor {actor!r}, want {d['actor']!r}"]
    if d["allow"]:
        return [f"{r.status} {r.body[:120]!r}, the contract allows ({d['reason']})"]
    problems = []
    if r.status != d["status"]:
        problems.append(f"status {r.status}, want {d['status']}")
    if r.body and f'"code": "{d["reason"]}"'.encode() not in r.body:  # HEAD answers carry no body
        problems.append(f"body {r.body[:160]!r}, want code {d['reason']}")
    want = harness.expected_response_headers(d)
    for name in ("www-authenticate", "allow"):
        got = [v for n, v in r.headers if n == name]
        if got != ([want[name]] if name in want else []):
            problems.append(f"{name}: {got}, want {want.get(name)!r}")
    return problems


def nginx_reasons(error_log):
    """Why nginx refused requests itself, from its error log: message -> count."""
    counts = collections.Counter()
    with open(error_log, errors="replace") as f:
        for line in f:
            m = re.search(r"\] \d+#\d+: \*\d+ (client [^:,]+)", line)
            if m:
                counts[m.group(1)] += 1
    return counts


def run(args, tmp):
    requests = harness.load_export(args.export)
    areas = {a.strip() for a in args.areas.split(",") if a.strip()}
    selected = [r for r in requests if any(f"/cases/{area}/" in r[3] for area in areas)]
    access_log = os.path.join(tmp, "access.log")

    gate, gate_port = harness.start_gate(args.gate, "--policy", args.policy, "--tokens", args.tokens)
    nginx = None
    sent = []  # (request, response, $request_uri or None)
    unsendable = 0
    try:
        nginx_port, upstream_port = harness.free_port(), harness.free_port()
        nginx_config(args.source, tmp, gate_port, nginx_port, upstream_port)
        nginx = subprocess.Popen([args.nginx, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"), "-e",
                                  os.path.join(tmp, "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        harness.wait_for_port(nginx_port, nginx)
        harness.wait_for_port(upstream_port, nginx)
        started = time.monotonic()
        with open(access_log, "rb") as log:
            for method, target, headers, where in selected:
                if not harness.sendable(method, target, headers):
                    unsendable += 1
                    continue
                log.seek(0, os.SEEK_END)
                r = harness.raw_request(nginx_port, method, target, headers)
                logged = read_log_line(log)
                uri = json.loads(f'"{logged}"') if logged is not None and not answered_by_nginx(r) else None
                sent.append(((method, target, headers, where), r, uri))
        elapsed = time.monotonic() - started
    finally:
        harness.stop(nginx, signal.SIGQUIT)
        harness.stop(gate)
        if nginx is not None and (nginx_stderr := nginx.stderr.read().decode()):
            print(f"nginx stderr:\n{nginx_stderr}")

    lines = [as_passed_on(m, t, h, uri) for (m, t, h, _), _, uri in sent]
    out = subprocess.run([args.policy_check, "decide", "--policy", args.policy, "--tokens", args.tokens],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    decisions = [json.loads(line) for line in out.stdout.splitlines()]

    agree = 0
    own = collections.defaultdict(list)  # (contract status, reason, nginx status) -> examples
    stricter = collections.defaultdict(list)
    rewritten = []
    failed = []
    for ((method, target, _, where), r, uri), d in zip(sent, decisions):
        shown = f"{where} [{method.decode('latin-1')} {target[:70].decode('latin-1')}]"
        if uri is not None and uri != target.decode("utf-8", "surrogateescape"):
            rewritten.append(f"{shown} -> {uri}")
        problems = judge(r, d)
        if problems is None:
            (stricter if d["allow"] else own)[(d["status"], d["reason"], r.status)].append(shown)
        elif problems:
            failed.append(f"{shown}\n  " + "; ".join(problems))
        else:
            agree += 1

    print(f"{len(selected)} cases of {', '.join(sorted(areas))} through nginx in {elapsed:.1f} s: {agree} answered "
          f"by the gate or the upstream as the contract says, {sum(map(len, own.values()))} refused by nginx itself "
          f"where the contract denies too, {sum(map(len, stricter.values()))} refused by nginx itself where the "
          f"contract allows, {unsendable} not sendable over HTTP/1.1, {len(failed)} failures")
    for title, groups in (("refused by nginx, denied by the contract", own),
                          ("refused by nginx, allowed by the contract", stricter)):
        for (status, reason, nginx_status), examples in sorted(groups.items()):
            print(f"  {title}: nginx {nginx_status}, contract {status} {reason}: {len(examples)}, e.g. {examples[0]}")
    for message, count in nginx_reasons(os.path.join(tmp, "error.log")).most_common():
        print(f"  nginx error log: {message}: {count}")
    for line in rewritten:
        print(f"  nginx passed on another request-target: {line}")
    for f in failed:
        print(f"FAIL {f}")
    return 0 if not failed and agree > 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gate", required=True)
    ap.add_argument("--policy-check", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--areas", default=DEFAULT_AREAS)
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    args = ap.parse_args()
    if not os.access(args.nginx, os.X_OK):
        print("nginx is not installed (scripts/deps installs it): skipped")
        return 77
    args.policy = os.path.join(args.source, "policies", "comwit.yaml")
    args.tokens = os.path.join(args.source, "conformance", "fixtures", "comwit-tokens.yaml")
    os.makedirs(args.work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="nginx-", dir=args.work)
    # Worker processes run as an unprivileged user when nginx starts as root.
    os.chmod(tmp, 0o755)
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
