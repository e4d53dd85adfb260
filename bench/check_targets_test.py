#!/usr/bin/env python3
"""Tests of check_targets.py on made-up scopegate-bench outputs: which ratio
each target is checked on, with and without paired rounds, and its exit codes.

    check_targets_test.py    (ctest bench-check-targets runs it)
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_targets.py")
CHECK = "BM_Check/comwit/mix/threads:1"
FLOOR = "BM_Floor/comwit/mix/threads:1"


def bench_output(medians):
    """A scopegate-bench JSON output holding one median per benchmark."""
    runs = [{"name": n + "_median", "run_name": n, "run_type": "aggregate", "aggregate_name": "median",
             "real_time": ns, "time_unit": "ns"} for n, ns in medians.items()]
    return {"context": {}, "benchmarks": runs}


def write(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def run(*args):
    done = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def line_of(out, label):
    return next(l for l in out.splitlines() if label in l and "vs BM_Floor" in l and "Decide" not in l)


class CheckTargets(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.whole = os.path.join(self.dir.name, "whole.json")
        # The whole run misses check <= 2x floor: 100 ns against 40 ns.
        write(self.whole, bench_output({CHECK: 100.0, FLOOR: 40.0}))

    def tearDown(self):
        self.dir.cleanup()

    def test_without_rounds_the_whole_runs_medians_decide(self):
        code, out, _ = run(self.whole)
        self.assertEqual(code, 1)
        self.assertTrue(line_of(out, CHECK.split("/threads")[0]).startswith("FAIL  "))
        self.assertIn("100.0 ns / 40.0 ns = 2.50x", out)

    def test_with_rounds_the_median_of_the_per_round_ratios_decides(self):
        rounds = os.path.join(self.dir.name, "rounds")
        os.mkdir(rounds)
        # Ratios 1.8x, 1.9x and 3.5x: their median, 1.9x, is within the
        # target; the whole run's 2.5x is not.
        for i, (check, floor) in enumerate([(36.0, 20.0), (76.0, 40.0), (140.0, 40.0)]):
            write(os.path.join(rounds, f"{i:02}-comwit.json"), bench_output({CHECK: check, FLOOR: floor}))
        saved = os.path.join(self.dir.name, "saved.json")
        code, out, _ = run(self.whole, "--rounds-dir", rounds, "--save-rounds", saved)
        line = line_of(out, "BM_Check/comwit/mix")
        self.assertTrue(line.startswith("pass  "), line)
        self.assertIn("1.90x, median of 3 paired rounds (1.80x to 3.50x); whole run 100.0 ns / 40.0 ns = 2.50x", line)
        self.assertEqual(code, 1)  # other targets lack their benchmarks
        # The saved rounds check the same way without the round files.
        code_again, out_again, _ = run(self.whole, "--rounds", saved)
        self.assertEqual((code_again, out_again), (code, out))
        with open(saved, encoding="utf-8") as f:
            self.assertEqual([r["round"] for r in json.load(f)["rounds"]], ["00-comwit", "01-comwit", "02-comwit"])

    def test_a_round_without_both_sides_is_not_paired(self):
        rounds = os.path.join(self.dir.name, "rounds")
        os.mkdir(rounds)
        write(os.path.join(rounds, "01-comwit.json"), bench_output({CHECK: 30.0}))
        _, out, _ = run(self.whole, "--rounds-dir", rounds)
        self.assertTrue(line_of(out, "BM_Check/comwit/mix").startswith("FAIL  "))
        self.assertNotIn("paired rounds", line_of(out, "BM_Check/comwit/mix"))

    def test_unreadable_input_exits_2(self):
        code, _, err = run(os.path.join(self.dir.name, "missing.json"))
        self.assertEqual(code, 2)
        self.assertIn("cannot read the results", err)
        broken = os.path.join(self.dir.name, "broken.json")
        with open(broken, "w", encoding="utf-8") as f:
            f.write("{")
        self.assertEqual(run(broken)[0], 2)


if __name__ == "__main__":
    unittest.main()
