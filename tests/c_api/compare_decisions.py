#!/usr/bin/env python3
"""Runs `policy-check decide` and another decider on the requests of a
scopegate-case-export directory and compares their decision lines.

    compare_decisions.py --policy-check EXE --policy FILE --tokens FILE --export DIR -- DECIDER...

The decider gets no input; it reads DIR itself and prints one decision line
per request of DIR/requests.txt, in order. Exit status: 0 the same lines and
the decider exited 0, 1 otherwise.
"""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy-check", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("decider", nargs="+")
    args = ap.parse_args()

    with open(f"{args.export}/requests.jsonl", "rb") as requests:
        expected = subprocess.run([args.policy_check, "decide", "--policy", args.policy, "--tokens", args.tokens],
                                  stdin=requests, capture_output=True, check=False)
    if expected.returncode != 0:
        print(f"policy-check decide exited {expected.returncode}:\n{expected.stderr.decode()}")
        return 1
    got = subprocess.run(args.decider, capture_output=True, check=False)
    sys.stderr.write(got.stderr.decode(errors="replace"))
    want_lines = expected.stdout.decode().splitlines()
    got_lines = got.stdout.decode(errors="replace").splitlines()
    with open(f"{args.export}/where.txt") as f:
        where = f.read().splitlines()

    differ = [i for i in range(min(len(want_lines), len(got_lines))) if want_lines[i] != got_lines[i]]
    for i in differ[:20]:
        print(f"{where[i]}\n  policy-check: {want_lines[i]}\n  decider:      {got_lines[i]}")
    if len(want_lines) != len(got_lines):
        print(f"policy-check decided {len(want_lines)} requests, the decider {len(got_lines)}")
    print(f"{len(want_lines)} requests, {len(differ)} decided differently")
    if got.returncode != 0:
        print(f"the decider exited {got.returncode}")
    return 0 if got.returncode == 0 and not differ and len(want_lines) == len(got_lines) else 1


if __name__ == "__main__":
    sys.exit(main())
