#!/usr/bin/env bash
# policy-check matrix, diff and verify as a user runs them (issue 4): exit
# statuses, formats, and every request they show replayed through
# `policy-check decide`, which must decide it exactly as shown.
# Usage: POLICY_CHECK=path/to/policy-check analysis_cli_test.sh SOURCE_DIR
set -uo pipefail
src=$1
pc=${POLICY_CHECK:?}
comwit=$src/policies/comwit.yaml
fx=$src/tests/fixtures/policy_check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# Replays every example in a JSON list of {"request", "tokens", "decision"}
# (strings or objects) through `policy-check decide --policy POLICY`: one run
# per distinct tokens table. Prints one line per mismatch.
replay() {  # policy, examples.json
  python3 - "$pc" "$1" "$2" "$tmp" <<'PY'
import json, subprocess, sys
pc, policy, examples, tmp = sys.argv[1:]
def text(v):
    return v if isinstance(v, str) else json.dumps(v)
groups = {}
for e in json.load(open(examples)):
    groups.setdefault(text(e["tokens"]), []).append(e)
for n, (tokens, items) in enumerate(groups.items()):
    path = f"{tmp}/tokens-{n}.yaml"
    open(path, "w").write(tokens)
    lines = "".join(text(e["request"]) + "\n" for e in items)
    out = subprocess.run([pc, "decide", "--policy", policy, "--tokens", path], input=lines,
                         capture_output=True, text=True)
    got = out.stdout.splitlines()
    if out.returncode != 0 or len(got) != len(items):
        print(f"decide failed ({out.returncode}): {out.stderr.strip()}")
        continue
    for e, line in zip(items, got):
        if json.loads(line) != json.loads(text(e["decision"])):
            print(f"{text(e['request'])}: shown {text(e['decision'])}, decided {line}")
PY
}

# --help on each command, exit statuses in its footer.
for cmd in matrix diff verify; do
  $pc $cmd --help >"$tmp/help" 2>&1
  check "$cmd --help exits 0" test $? -eq 0
  check "$cmd --help documents the exit statuses" grep -q "Exit status: 0" "$tmp/help"
done
$pc diff --help >"$tmp/help" 2>&1
check "diff --help documents exit 3" grep -q "^3 NEW allows" "$tmp/help"

# Usage and input errors are exit 2.
$pc matrix >/dev/null 2>&1; check "matrix without a file exits 2" test $? -eq 2
$pc matrix "$comwit" --format xml >/dev/null 2>&1; check "matrix with an unknown format exits 2" test $? -eq 2
$pc diff "$comwit" >/dev/null 2>&1; check "diff with one policy exits 2" test $? -eq 2
printf 'scopegate: 1\nname: x\nroutes:\n  - method: GET\n    path: /a\n    scope: nope:read\n' >"$tmp/bad.yaml"
for cmd in "matrix $tmp/bad.yaml" "verify $tmp/bad.yaml" "diff $comwit $tmp/bad.yaml"; do
  $pc $cmd >/dev/null 2>"$tmp/err"
  check "$cmd: a policy that does not load exits 2" test $? -eq 2
  check "$cmd: names file:line:col and code" grep -q "bad.yaml:6:12: error\[SG101\]" "$tmp/err"
done

# matrix: every format; each JSON cell replays through decide.
$pc matrix "$comwit" >"$tmp/matrix.txt"; check "matrix text exits 0" test $? -eq 0
check "matrix text names the size" grep -q "37 routes, 1 prefix family" "$tmp/matrix.txt"
check "matrix text has no colour when piped" test "$(grep -c $'\x1b' "$tmp/matrix.txt")" -eq 0
if command -v script >/dev/null; then
  script -qec "$pc matrix $comwit" /dev/null >"$tmp/tty.txt"
  check "matrix text is coloured on a terminal" grep -q $'\x1b\[' "$tmp/tty.txt"
  NO_COLOR=1 script -qec "$pc matrix $comwit" /dev/null >"$tmp/tty.txt"
  check "NO_COLOR turns colour off" test "$(grep -c $'\x1b\[' "$tmp/tty.txt")" -eq 0
fi
$pc matrix "$comwit" --format csv >"$tmp/matrix.csv"
check "matrix csv has a header and 38 rows" test "$(wc -l <"$tmp/matrix.csv")" -eq 39
check "matrix csv marks the hidden alias" grep -q '^route,GET,/v1/project/{projectId},operator-only,true,' "$tmp/matrix.csv"
$pc matrix "$comwit" --format markdown >"$tmp/matrix.md"
check "matrix markdown has 38 table rows" test "$(grep -c '^| [A-Za-z]* | `/' "$tmp/matrix.md")" -eq 38
$pc matrix "$comwit" --format json >"$tmp/matrix.json"; check "matrix json exits 0" test $? -eq 0
python3 - "$tmp/matrix.json" "$tmp/cells.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
cells = [c for r in m["rows"] for c in r["cells"].values() if c is not None]
json.dump(cells, open(sys.argv[2], "w"))
PY
check "matrix json has 38 rows" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$tmp/matrix.json")" -eq 38
replay "$comwit" "$tmp/cells.json" >"$tmp/mismatch"
check "every matrix cell is what decide returns for its request" test ! -s "$tmp/mismatch"
cat "$tmp/mismatch"

# verify: Comwit keeps its invariants.
$pc verify "$comwit" >"$tmp/out"; rc=$?
check "verify comwit exits 0" test $rc -eq 0
check "verify comwit: all 4 hold" grep -q "all 4 invariants hold" "$tmp/out"

# verify: each fixture breaks its invariant; the codes are the ones its first
# line expects, and each counterexample replays to the decision it shows and
# shows the violation.
for f in "$fx"/verify_*.yaml; do
  name=$(basename "$f")
  want=$(sed -n '1s/^# expect: \(\(SG[0-9]* \)*\).*/\1/p' "$f" | xargs)
  $pc verify "$f" --format json >"$tmp/v.json"; rc=$?
  check "$name: verify exits 1" test $rc -eq 1
  got=$(python3 -c 'import json,sys; print(" ".join(f["code"] for f in json.load(open(sys.argv[1]))["findings"]))' "$tmp/v.json")
  check "$name: codes '$got' are '$want'" test "$got" = "$want"
  python3 - "$tmp/v.json" "$tmp/examples.json" <<'PY'
import json, re, sys
findings = json.load(open(sys.argv[1]))["findings"]
json.dump([f["counterexample"] for f in findings if f["counterexample"]], open(sys.argv[2], "w"))
status = 0
for f in findings:
    c = f["counterexample"]
    if c is None:
        continue
    d, req, tok = json.loads(c["decision"]), json.loads(c["request"]), json.loads(c["tokens"])
    user = any(h[0] == "Authorization" and h[1].startswith("Bearer cwt_") for h in req["headers"])
    bad = None
    if f["code"] in ("SG501", "SG502", "SG503") and not (user and d["allow"]):
        bad = "a user should be allowed"
    if f["code"] == "SG502":
        project = re.search(r"not a member of '([^']*)'", f["message"]).group(1)
        if project in tok["users"][0]["projects"] or f"/{project}/" not in req["target"] + "/":
            bad = f"the user should not be a member of the path's project {project}"
    if f["code"] == "SG503" and not all(s.endswith(":read") for s in tok["users"][0]["scopes"]):
        bad = "the user should hold only read scopes"
    if f["code"] == "SG504" and (user or d["allow"] != ("not listed" in f["message"])):
        bad = "an anonymous caller should be allowed exactly on the unlisted route"
    if bad:
        print(f"{f['message']}: {bad}")
        status = 1
sys.exit(status)
PY
  check "$name: each counterexample shows its violation" test $? -eq 0
  replay "$f" "$tmp/examples.json" >"$tmp/mismatch"
  check "$name: each counterexample is decided as shown" test ! -s "$tmp/mismatch"
  cat "$tmp/mismatch"
done
$pc verify "$fx/verify_sg503_write_under_read.yaml" --format sarif >"$tmp/v.sarif"
check "verify sarif: version 2.1.0 with one SG503 result" python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))
results = log["runs"][0]["results"]
assert log["version"] == "2.1.0" and [r["ruleId"] for r in results] == ["SG503"]' "$tmp/v.sarif"

# diff: 0 identical, 1 only less access, 3 new access.
$pc diff "$comwit" "$comwit" >"$tmp/out"; rc=$?
check "diff comwit comwit exits 0" test $rc -eq 0
check "diff comwit comwit says no difference" grep -q "no difference" "$tmp/out"
$pc diff "$fx/diff_old.yaml" "$fx/diff_new_restrict.yaml" >"$tmp/out"; rc=$?
check "diff to a stricter policy exits 1" test $rc -eq 1
check "diff to a stricter policy lists the newly denied request" grep -q "Newly denied" "$tmp/out"
$pc diff "$fx/diff_new_scope.yaml" "$fx/diff_old.yaml" >/dev/null; rc=$?
check "diff back from the changed scope exits 3 too" test $rc -eq 3
$pc diff "$fx/diff_old.yaml" "$fx/diff_new_scope.yaml" --format json >"$tmp/d.json"; rc=$?
check "diff of one changed scope exits 3" test $rc -eq 3
# Exactly the six requests that the scope change affects, newly allowed first.
python3 - "$tmp/d.json" >"$tmp/changes" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["requests"]:
    print(c["change"], c["method"], c["target"], "|", c["caller"], "|", c["before"]["reason"], "->", c["after"]["reason"])
print("routes", [(r["change"], r["before"], r["after"]) for r in d["routes"]])
print("new_access", d["new_access"])
PY
cat >"$tmp/want" <<'EOF'
newly_allowed GET /v1/projects/prj_2/apps | user with scopes [app:write], member of [prj_2] | insufficient_scope -> granted
newly_denied GET /v1/projects/prj_2/apps | user with scopes [app:read], member of [prj_2] | granted -> insufficient_scope
changed GET /v1/projects/prj_2/apps | user with no scope, member of no project | insufficient_scope -> insufficient_scope
changed GET /v1/projects/prj_2/apps | user with scopes [app:read], member of no project | not_a_member -> insufficient_scope
changed GET /v1/projects/prj_2/apps | user with scopes [app:write], member of no project | insufficient_scope -> not_a_member
changed GET /v1/projects/prj_2/apps | user with no scope, member of [prj_2] | insufficient_scope -> insufficient_scope
routes [('changed', 'GET /v1/projects/{projectId}/apps {scope app:read (member of {projectId})}', 'GET /v1/projects/{projectId}/apps {scope app:write (member of {projectId})}')]
new_access True
EOF
check "diff of one changed scope names exactly the affected requests" diff -u "$tmp/want" "$tmp/changes"
# The diff's requests replay: under the new policy as "after" says.
python3 - "$tmp/d.json" "$tmp/after.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
json.dump([{"request": c["request"], "tokens": c["tokens"], "decision": c["after"]} for c in d["requests"]],
          open(sys.argv[2], "w"))
PY
replay "$fx/diff_new_scope.yaml" "$tmp/after.json" >"$tmp/mismatch"
check "each diff request is decided by the new policy as shown" test ! -s "$tmp/mismatch"
cat "$tmp/mismatch"

echo "policy-check analysis: $passed passed, $failed failed"
test $failed -eq 0
