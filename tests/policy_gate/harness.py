"""What the policy-gate tests share: starting and stopping processes, raw
HTTP/1.1 over a socket (so that any target and any repeated or odd header can
be sent), the exported conformance cases and the decisions of
`policy-check decide` for them, and the section 7 response a decision calls
for."""
import json
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def start_gate(exe, *args, env=None):
    """Starts policy-gate on a free port; returns (process, port)."""
    proc = subprocess.Popen([exe, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    line = proc.stdout.readline().decode()
    if not line.startswith("policy-gate: listening on "):
        stop(proc)
        raise RuntimeError(f"policy-gate did not start: {line!r} {proc.stderr.read().decode()}")
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc, sig=signal.SIGTERM, timeout=5.0):
    """Stops one process we started; kills it when it does not stop in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sendable(method, target, headers):
    """True when the request can go on the wire as it is: no byte that would
    end or split the request line or a header line."""
    fields = [method, target] + [n for n, _ in headers] + [v for _, v in headers]
    if any(b"\r" in f or b"\n" in f for f in fields):
        return False
    if any(c in method + target for c in b" \t") or not method or not target:
        return False
    return all(n and b":" not in n and not n[:1].isspace() and not n[-1:].isspace() for n, _ in headers)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(name, value)] as received, names lower-cased
        self.body = body

    def header(self, name):
        values = [v for n, v in self.headers if n == name.lower()]
        return values[0] if values else None


def raw_request(port, method, target, headers, host=True, close=True, timeout=10.0):
    """One request on its own connection. `headers` are (bytes, bytes) pairs
    sent in order; `Host: localhost` is added unless `host` is False or the
    headers have one, and `Connection: close` unless `close` is False (for a
    server that closes after each request anyway)."""
    lines = [method + b" " + target + b" HTTP/1.1"]
    if host and not any(n.lower() == b"host" for n, _ in headers):
        lines.append(b"Host: localhost")
    lines += [n + b": " + v for n, v in headers]
    if close:
        lines.append(b"Connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    head_lines = head.split(b"\r\n")
    status = int(head_lines[0].split(b" ")[1]) if head_lines and head_lines[0].startswith(b"HTTP/") else 0
    parsed = []
    for line in head_lines[1:]:
        name, _, value = line.partition(b":")
        parsed.append((name.decode("latin-1").lower(), value.strip().decode("latin-1")))
    return Response(status, parsed, body)


def unhex(field):
    return b"" if field == "-" else bytes.fromhex(field)


def load_export(export_dir):
    """The requests of a scopegate-case-export directory: [(method, target,
    headers, where)], in order."""
    with open(os.path.join(export_dir, "where.txt")) as f:
        where = f.read().splitlines()
    requests = []
    with open(os.path.join(export_dir, "requests.txt")) as f:
        for i, line in enumerate(f):
            fields = line.split()
            n = int(fields[2])
            headers = [(unhex(fields[3 + 2 * k]), unhex(fields[4 + 2 * k])) for k in range(n)]
            requests.append((unhex(fields[0]), unhex(fields[1]), headers, where[i]))
    return requests


def decide(policy_check, policy, tokens, export_dir):
    """`policy-check decide` on the export's requests: one dict per request."""
    with open(os.path.join(export_dir, "requests.jsonl"), "rb") as f:
        out = subprocess.run([policy_check, "decide", "--policy", policy, "--tokens", tokens], stdin=f,
                             capture_output=True, check=True)
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def expected_response_headers(decision, realm="comwit"):
    """The section 7 headers a decision calls for: {name: value}."""
    out = {}
    challenge = f'Bearer realm="{realm}"'
    reason = decision["reason"]
    if reason == "missing_token":
        out["www-authenticate"] = challenge
    elif reason in ("invalid_token", "invalid_request"):
        out["www-authenticate"] = f'{challenge}, error="{reason}"'
    elif reason == "insufficient_scope":
        out["www-authenticate"] = f'{challenge}, error="insufficient_scope", scope="{decision["required_scope"]}"'
    if reason == "method_not_allowed":
        out["allow"] = ", ".join(decision["allowed_methods"])
    return out
