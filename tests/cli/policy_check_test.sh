#!/usr/bin/env bash
# policy-check as a user runs it: exit statuses, output lines, error messages.
# Usage: POLICY_CHECK=path/to/policy-check policy_check_test.sh SOURCE_DIR
set -uo pipefail
src=$1
pc=${POLICY_CHECK:?}
policy=$src/policies/comwit.yaml
tokens=$src/conformance/fixtures/comwit-tokens.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# --help on every command, exit 0.
for cmd in "" decide validate matrix explain diff verify coverage audit compile; do
  $pc $cmd --help >"$tmp/help" 2>&1
  check "--help $cmd exits 0" test $? -eq 0
  check "--help $cmd says what it is" grep -q -i "usage" "$tmp/help"
done

# Every subcommand's --help documents its exit statuses, and its --format
# choices as a list of names (README "policy-check" repeats them).
for entry in "validate:text|json|sarif" "verify:text|json|sarif" "audit:text|json|sarif" \
             "coverage:text|json|sarif" "matrix:text|markdown|json|csv|html" "explain:text|json" \
             "diff:text|json" "decide:" "compile:"; do
  cmd=${entry%%:*} formats=${entry#*:}
  $pc $cmd --help >"$tmp/help" 2>&1
  check "--help $cmd exits 0" test $? -eq 0
  check "--help $cmd documents exit status 0" grep -q "Exit status: 0" "$tmp/help"
  check "--help $cmd documents exit status 2" grep -q " 2 usage" "$tmp/help"
  if [ -n "$formats" ]; then
    check "--help $cmd lists --format $formats" grep -qF -- "--format $formats" "$tmp/help"
  fi
done
$pc --help >"$tmp/help" 2>&1
check "--help documents exit 3 (diff)" grep -q "3 new access (diff)" "$tmp/help"

# Usage errors are exit 2.
$pc frobnicate >/dev/null 2>&1; check "unknown subcommand exits 2" test $? -eq 2
$pc validate >/dev/null 2>&1; check "validate without files exits 2" test $? -eq 2

# --format takes a name only, in any case: an unknown one, or an enumerator's
# number, is a usage error whose message lists the names.
$pc audit --format xml "$policy" >/dev/null 2>"$tmp/err"; rc=$?
check "audit --format xml exits 2" test $rc -eq 2
check "the --format error lists the names" grep -qx -- "--format: 'xml' is not one of json, sarif, text" "$tmp/err"
$pc validate --format 2 "$policy" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "validate --format 2 exits 2" test $rc -eq 2
check "validate --format 2 writes nothing" test ! -s "$tmp/out"
$pc matrix --format CSV "$policy" >"$tmp/out" 2>&1
check "matrix --format CSV is csv" grep -q "^kind,method,pattern," "$tmp/out"
$pc explain "$policy" --class admin GET /v1/status >/dev/null 2>"$tmp/err"; rc=$?
check "explain --class admin exits 2" test $rc -eq 2
check "the --class error lists the names" grep -qx -- "--class: 'admin' is not one of anonymous, operator, user" "$tmp/err"

# audit: the main job (scripts/main) is clean on the shipped policy.
$pc audit "$policy" --openapi "$src/policies/comwit.openapi.yaml" >"$tmp/out" 2>&1; rc=$?
check "audit comwit exits 0" test $rc -eq 0
check "audit comwit: invariants hold" grep -q "verify    all 4 invariants hold" "$tmp/out"
check "audit comwit: coverage ran" grep -q "coverage  .*comwit.openapi.yaml: 33 operations, 0 errors" "$tmp/out"

# validate: clean policy 0, bad policy 1 with a positioned error.
$pc validate "$policy" >"$tmp/out" 2>&1; check "validate comwit exits 0" test $? -eq 0
printf 'scopegate: 1\nname: x\nroutes:\n  - method: GET\n    path: /a\n    scope: nope:read\n' >"$tmp/bad.yaml"
$pc validate "$tmp/bad.yaml" >"$tmp/out" 2>&1; rc=$?
check "validate bad policy exits 1" test $rc -eq 1
check "validate names file:line:col and code" grep -q "bad.yaml:6:12: error\[SG101\]" "$tmp/out"

# decide: one line in, one decision out, in order; a bad line gives an error line and exit 1.
cat >"$tmp/in.jsonl" <<'JSON'
{"method": "GET", "target": "/v1/status", "headers": [["Authorization", "Bearer op-secret-for-tests"]]}
not json
{"method": "GET", "target": "/v1/projects"}
{"method": "GET", "target": "/v1/databases-old", "headers": [["Authorization", "Bearer op-secret-for-tests"], ["X-Comwit-Actor-User-Id", "operator"]]}
JSON
$pc decide --policy "$policy" --tokens "$tokens" <"$tmp/in.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "decide with a bad line exits 1" test $rc -eq 1
check "decide writes one line per input" test "$(wc -l <"$tmp/out")" -eq 4
check "decide line 1 is operator_bypass" grep -qx '{"allow": true, "status": 200, "reason": "operator_bypass", "route": "GET /v1/status", "required_scope": null, "project": null, "actor": "operator", "actor_header_ignored": false}' <(sed -n 1p "$tmp/out")
check "decide line 2 is an error naming the line" grep -q '^{"error": "line 2: ' <(sed -n 2p "$tmp/out")
check "decide line 3 is missing_token" grep -qx '{"allow": false, "status": 401, "reason": "missing_token", "route": null, "required_scope": null, "project": null, "actor": null, "actor_header_ignored": false}' <(sed -n 3p "$tmp/out")
check "decide line 4 is 404 with a null actor" grep -qx '{"allow": false, "status": 404, "reason": "no_route", "route": null, "required_scope": null, "project": null, "actor": null, "actor_header_ignored": false}' <(sed -n 4p "$tmp/out")

# decide: the operator secret comes from the environment when the tokens file has none.
echo '{"method": "GET", "target": "/v1/status", "headers": [["Authorization", "Bearer env-secret"]]}' >"$tmp/one.jsonl"
PLATFORM_API_SERVER_TOKEN=env-secret $pc decide --policy "$policy" <"$tmp/one.jsonl" >"$tmp/out" 2>&1
check "decide reads PLATFORM_API_SERVER_TOKEN" grep -q '"reason": "operator_bypass"' "$tmp/out"
PLATFORM_API_SERVER_TOKEN="bad secret" $pc decide --policy "$policy" <"$tmp/one.jsonl" >"$tmp/out" 2>&1
check "decide refuses a secret that is not token68 (exit 2)" test $? -eq 2

# decide: a broken tokens file stops the run before any line, naming file and line.
printf 'users:\n  - token: cwt_01\n    user_id: a\n  - token: CWT_02\n    user_id: b\n' >"$tmp/tokens.yaml"
$pc decide --policy "$policy" --tokens "$tmp/tokens.yaml" <"$tmp/one.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "bad tokens file exits 2" test $rc -eq 2
check "bad tokens file writes no decision" test ! -s "$tmp/out"
check "bad tokens file error names file and line" grep -q "tokens.yaml:4:" "$tmp/err"

echo "policy-check cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
