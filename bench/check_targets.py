#!/usr/bin/env python3
"""Checks the targets of bench/README.md against one scopegate-bench JSON
output (run with repetitions: medians are compared) and prints each ratio
with pass or fail. Exits 1 when a target is missed, 2 on unreadable input.

    check_targets.py RESULTS.json [--plot-data OUT.dat]
                     [--rounds-dir DIR --save-rounds OUT.json | --rounds ROUNDS.json]

With paired rounds (short runs of a target's two benchmarks side by side, one
scopegate-bench output each, from --rounds-dir or saved with --save-rounds),
a ratio target is checked on the median of its per-round ratios; the ratio of
the whole run's medians is printed beside it.
"""
import argparse
import json
import os
import statistics
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
SIZES = [100, 1000, 10000, 100000]


def medians(path):
    with open(path, encoding="utf-8") as f:
        runs = json.load(f)["benchmarks"]
    out = {}
    for r in runs:
        if r.get("aggregate_name") == "median" or r.get("run_type") == "iteration":
            name = r["run_name"] if "run_name" in r else r["name"]
            if name in out and r.get("run_type") == "iteration":
                continue  # without repetitions: the single run
            out[name] = dict(r, ns=r["real_time"] * UNIT_NS[r["time_unit"]])
    return out


def load_rounds(args):
    """Each round as {benchmark name: median ns}, in the order they ran."""
    if args.rounds:
        with open(args.rounds, encoding="utf-8") as f:
            return [r["medians"] for r in json.load(f)["rounds"]]
    if not args.rounds_dir:
        return []
    saved = []
    for name in sorted(os.listdir(args.rounds_dir)):
        if name.endswith(".json"):
            m = medians(os.path.join(args.rounds_dir, name))
            saved.append({"round": name[:-len(".json")], "medians": {k: v["ns"] for k, v in m.items()}})
    if args.save_rounds:
        with open(args.save_rounds, "w", encoding="utf-8") as f:
            json.dump({"rounds": saved}, f, indent=1)
    return [r["medians"] for r in saved]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--plot-data", help="write ns per decision against table size for the plot")
    parser.add_argument("--rounds-dir", help="scopegate-bench outputs of paired rounds, one per file")
    parser.add_argument("--save-rounds", help="with --rounds-dir: keep their medians in one file")
    parser.add_argument("--rounds", help="paired rounds saved before with --save-rounds")
    args = parser.parse_args()
    try:
        m = medians(args.results)
        rounds = load_rounds(args)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"check_targets: cannot read the results: {e}", file=sys.stderr)
        return 2

    def ns(name):
        return m[name]["ns"]

    checks = []

    def ratio(label, num, den, limit, at_least=False):
        try:
            whole = ns(num) / ns(den)
        except KeyError as e:
            checks.append((False, f"{label}: missing benchmark {e}"))
            return
        sign = ">=" if at_least else "<="
        paired = [r[num] / r[den] for r in rounds if num in r and den in r]
        if paired:
            value = statistics.median(paired)
            text = (f"{value:.2f}x, median of {len(paired)} paired rounds ({min(paired):.2f}x to {max(paired):.2f}x); "
                    f"whole run {ns(num):.1f} ns / {ns(den):.1f} ns = {whole:.2f}x")
        else:
            value = whole
            text = f"{ns(num):.1f} ns / {ns(den):.1f} ns = {whole:.2f}x"
        ok = value >= limit if at_least else value <= limit
        checks.append((ok, f"{label}: {text} (target {sign} {limit}x)"))

    one = "/threads:1"
    ratio("BM_Check/comwit/mix vs BM_Floor/comwit/mix", "BM_Check/comwit/mix" + one, "BM_Floor/comwit/mix" + one, 2)
    ratio("BM_Decide/comwit/mix vs BM_Floor/comwit/mix", "BM_Decide/comwit/mix" + one, "BM_Floor/comwit/mix" + one, 4)
    ratio("BM_RegexScan/github/mix vs BM_Check/github/mix", "BM_RegexScan/github/mix" + one,
          "BM_Check/github/mix" + one, 100, at_least=True)
    ratio("BM_Check/synthetic/100000/mix vs BM_Check/synthetic/100/mix", "BM_Check/synthetic/100000/mix" + one,
          "BM_Check/synthetic/100/mix" + one, 1.5)

    decide = [n for n in m if n.startswith("BM_Decide/")]
    allocating = [n for n in decide if m[n].get("allocs_per_decision", 0) != 0]
    checks.append((bool(decide) and not allocating,
                   f"allocations per decision: 0 on {len(decide) - len(allocating)} of {len(decide)} BM_Decide"
                   + (f" (allocating: {', '.join(allocating)})" if allocating else "")))

    def compile_target(table, limit_ns, label):
        name = "BM_Compile/" + table
        if name not in m:
            checks.append((False, f"{name}: missing"))
            return
        checks.append((ns(name) < limit_ns, f"{name}: {ns(name) / 1e6:.3f} ms (target < {label})"))

    compile_target("comwit", 1e6, "1 ms")
    compile_target("synthetic/100000", 1e9, "1 s")
    big = m.get("BM_Compile/synthetic/100000", {})
    if "bytes_per_route" in big:
        checks.append((big["bytes_per_route"] < 256,
                       f"BM_Compile/synthetic/100000: {big['bytes_per_route']:.0f} bytes per route held by the "
                       f"compiled policy, {big.get('matcher_bytes_per_route', 0):.0f} of them the matcher (target < 256)"))

    # Two threads on one policy: throughput doubles when nothing is shared
    # but read-only memory. Real time per iteration halves.
    for family in ("BM_Decide", "BM_Check"):
        base = f"{family}/comwit/mix"
        ratio(f"{base}: 2 threads' throughput vs 1", base + one, base + "/threads:2", 1.7, at_least=True)

    for ok, text in checks:
        print(("pass  " if ok else "FAIL  ") + text)
    missed = sum(1 for ok, _ in checks if not ok)
    print(f"{len(checks) - missed} of {len(checks)} targets met")

    if args.plot_data:
        families = ["BM_Check", "BM_Decide", "BM_Reference", "BM_RegexScan", "BM_Floor"]
        with open(args.plot_data, "w", encoding="utf-8") as f:
            f.write("# routes " + " ".join(families) + " (ns per decision, median)\n")
            for size in SIZES:
                row = [m.get(f"{fam}/synthetic/{size}/mix{one}", {}).get("ns", float("nan")) for fam in families]
                f.write(f"{size} " + " ".join(f"{v:.2f}" for v in row) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
