#!/usr/bin/env bash
# policy-check validate, explain, coverage and audit as a user runs them: exit
# statuses, positioned findings, SARIF checked against the schema's structure,
# colours, and explain's decisions compared with `decide`.
# Usage: POLICY_CHECK=path/to/policy-check lint_cli_test.sh SOURCE_DIR
set -uo pipefail
src=$1
pc=${POLICY_CHECK:?}
policy=$src/policies/comwit.yaml
openapi=$src/policies/comwit.openapi.yaml
tokens=$src/conformance/fixtures/comwit-tokens.yaml
lint=$src/tests/fixtures/policy_check/lint
sarif_check="python3 $src/tests/policy_check/sarif_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
json_field() {  # file, python expression over `d`
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
has_escape() { grep -q $'\x1b\[' "$1"; }

# --help on every command: exit 0, exit statuses in the footer.
for cmd in validate explain coverage audit; do
  $pc $cmd --help >"$tmp/help" 2>&1
  check "$cmd --help exits 0" test $? -eq 0
  check "$cmd --help documents exit statuses" grep -q "Exit status: 0" "$tmp/help"
done

# ---------------------------------------------------------------------------
# validate

$pc validate "$policy" >"$tmp/out" 2>"$tmp/err"
check "validate comwit exits 0" test $? -eq 0
check "validate comwit finds nothing" test ! -s "$tmp/out"
check "validate comwit summary on stderr" grep -q "37 routes, 0 errors, 0 warnings, 0 notes" "$tmp/err"

$pc validate "$lint/sg301_write_under_read.yaml" >"$tmp/out" 2>/dev/null
check "a warning alone exits 0" test $? -eq 0
check "validate prints file:line:col, severity and code" \
  grep -q "sg301_write_under_read.yaml:15:12: warning\[SG301\]: route DELETE /v1/apps/{appId} is a write method guarded by read scope 'app:read'; guard it with 'app:write'" "$tmp/out"
$pc validate --strict "$lint/sg301_write_under_read.yaml" >/dev/null 2>&1
check "--strict makes a warning exit 1" test $? -eq 1
$pc validate "$lint/sg305_hidden_not_operator.yaml" >"$tmp/out" 2>/dev/null
check "a lint error exits 1" test $? -eq 1
check "SG305 is an error" grep -q ":13:5: error\[SG305\]" "$tmp/out"
$pc validate "$src/tests/fixtures/policies/bad/sg101_unknown_scope.yaml" >"$tmp/out" 2>/dev/null
check "a loader error exits 1" test $? -eq 1
$pc validate --format yaml "$policy" >/dev/null 2>&1
check "an unknown format is a usage error (2)" test $? -eq 2
$pc validate "$tmp/missing.yaml" >/dev/null 2>&1
check "a missing file is a usage error (2)" test $? -eq 2

# Several files: every finding of each, one exit status.
$pc validate --format json "$policy" "$lint/sg306_family_swallows.yaml" "$lint/sg308_shadowed.yaml" >"$tmp/v.json" 2>/dev/null
check "validate of several files exits 1 when one has errors" test $? -eq 1
check "json lists the files" test "$(json_field "$tmp/v.json" "len(d['files'])")" = 3
check "json counts" test "$(json_field "$tmp/v.json" "(d['errors'], d['warnings'], d['notes'])")" = "(2, 1, 1)"
check "json finding fields" test "$(json_field "$tmp/v.json" "[ (f['code'], f['line'], f['column'], f['severity']) for f in d['findings'] ][0]")" = "('SG306', 13, 5, 'error')"
check "json related position" test "$(json_field "$tmp/v.json" "d['findings'][0]['related']")" = "{'line': 10, 'column': 5}"

# SARIF: the schema's required structure, and code scanning's.
$pc validate --format sarif "$lint"/*.yaml >"$tmp/lint.sarif" 2>/dev/null
check "validate sarif of every fixture exits 1 (errors among them)" test $? -eq 1
$sarif_check "$tmp/lint.sarif" >"$tmp/sarif.out"; rc=$?
check "validate sarif passes the SARIF checker" test $rc -eq 0
[ $rc -eq 0 ] || cat "$tmp/sarif.out"
check "sarif has one result per finding" test "$(json_field "$tmp/lint.sarif" "len(d['runs'][0]['results'])")" = 15
check "sarif result names rule, level and position" test "$(json_field "$tmp/lint.sarif" "[(r['ruleId'], r['level'], r['locations'][0]['physicalLocation']['region']['startLine']) for r in d['runs'][0]['results'] if r['ruleId']=='SG305'][0]")" = "('SG305', 'error', 13)"
check "sarif documents every lint rule" test "$(json_field "$tmp/lint.sarif" "sorted(r['id'] for r in d['runs'][0]['tool']['driver']['rules'] if r['id'].startswith('SG3'))")" = "['SG301', 'SG302', 'SG303', 'SG304', 'SG305', 'SG306', 'SG307', 'SG308', 'SG309', 'SG310']"
$pc validate --format sarif "$policy" >"$tmp/clean.sarif" 2>/dev/null
check "a clean sarif log passes the checker" $sarif_check "$tmp/clean.sarif"
check "a clean sarif log has no results" test "$(json_field "$tmp/clean.sarif" "len(d['runs'][0]['results'])")" = 0
# The checker itself must refuse broken logs.
python3 - "$tmp/lint.sarif" "$tmp" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
def broken(name, change):
    d = json.loads(json.dumps(log)); change(d)
    json.dump(d, open(f"{sys.argv[2]}/broken_{name}.sarif", "w"))
broken("version", lambda d: d.pop("version"))
broken("extra", lambda d: d["runs"][0]["results"][0].update(bogus=1))
broken("region", lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startLine=0))
broken("ruleindex", lambda d: d["runs"][0]["results"][0].update(ruleIndex=0))
broken("level", lambda d: d["runs"][0]["results"][0].update(level="fatal"))
broken("help", lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].pop("help"))
PY
for b in version extra region ruleindex level help; do
  $sarif_check "$tmp/broken_$b.sarif" >/dev/null
  check "the SARIF checker refuses a log with a broken $b" test $? -eq 1
done

# Colours: only on a terminal, never with NO_COLOR.
$pc validate "$lint/sg301_write_under_read.yaml" >"$tmp/out" 2>&1
check "no colour into a pipe" bash -c "! grep -q $'\x1b\\\\[' '$tmp/out'"
if command -v script >/dev/null; then
  script -qec "$pc validate $lint/sg301_write_under_read.yaml" /dev/null >"$tmp/tty" 2>&1
  check "colour on a terminal" has_escape "$tmp/tty"
  NO_COLOR=1 script -qec "$pc validate $lint/sg301_write_under_read.yaml" /dev/null >"$tmp/tty" 2>&1
  check "NO_COLOR turns colour off on a terminal" bash -c "! grep -q $'\x1b\\\\[' '$tmp/tty'"
fi

# ---------------------------------------------------------------------------
# explain: the decision is decide()'s own

explain_vs_decide() {  # name, token or "", method, target, expected reason
  local name=$1 token=$2 method=$3 target=$4 reason=$5 args=()
  local line="{\"method\": \"$method\", \"target\": \"$target\""
  if [ -n "$token" ]; then
    args=(--tokens "$tokens" --token "$token")
    line+=", \"headers\": [[\"Authorization\", \"Bearer $token\"]]"
  fi
  line+="}"
  $pc explain "$policy" "${args[@]}" --format json "$method" "$target" >"$tmp/e.json" 2>"$tmp/err"
  check "explain $name exits 0" test $? -eq 0
  echo "$line" | $pc decide --policy "$policy" --tokens "$tokens" >"$tmp/d.jsonl" 2>/dev/null
  check "explain $name reports decide's decision" test \
    "$(json_field "$tmp/e.json" "json.dumps(d['decision'], separators=(', ', ': '))")" = "$(cat "$tmp/d.jsonl")"
  check "explain $name is $reason" test "$(json_field "$tmp/e.json" "d['decision']['reason']")" = "$reason"
}
explain_vs_decide granted cwt_a11ce GET /v1/projects/prj_alpha/apps granted
explain_vs_decide insufficient_scope cwt_0000 GET /v1/projects/prj_alpha/apps insufficient_scope
explain_vs_decide not_a_member cwt_bbbb GET /v1/projects/prj_alpha/apps/app_1 not_a_member
explain_vs_decide operator_only cwt_a11ce DELETE /v1/databases/db_1 operator_only
explain_vs_decide family cwt_a11ce GET /v1/databases-old operator_only
explain_vs_decide no_route cwt_a11ce GET /v1/projects/prj_alpha/app no_route
explain_vs_decide method_not_allowed cwt_a11ce PATCH /v1/projects/prj_alpha/apps method_not_allowed
explain_vs_decide malformed cwt_a11ce GET /v1/projects/../status malformed_path
explain_vs_decide missing_token "" GET /v1/projects missing_token
explain_vs_decide public "" POST /v1/auth/device public
explain_vs_decide operator op-secret-for-tests GET /v1/status operator_bypass

# The steps, the routes passed over and the fix.
$pc explain "$policy" --tokens "$tokens" --token cwt_0000 --format json GET /v1/projects/prj_alpha/apps >"$tmp/e.json"
check "explain names the rule that decided" test "$(json_field "$tmp/e.json" "(d['rule']['step'], d['steps'][-1]['result'])")" = "('11', 'fired')"
check "explain lists the steps before it as passed" test "$(json_field "$tmp/e.json" "[s['step'] for s in d['steps']]")" = "['1', '1b', '1c', '2', '3', '4', '5', '6', '7', '8', '11']"
check "explain names the chosen route" test "$(json_field "$tmp/e.json" "[r['route'] for r in d['routes'] if r['verdict']=='chosen']")" = "['GET /v1/projects/{projectId}/apps']"
check "explain says why a literal was passed over" test "$(json_field "$tmp/e.json" "[r['why'] for r in d['routes'] if r['route']=='GET /v1/projects/{projectId}/databases'][0]")" = "segment 4 'apps' != literal 'databases'"
check "explain says why another method was passed over" test "$(json_field "$tmp/e.json" "[r['why'] for r in d['routes'] if r['route']=='POST /v1/projects/{projectId}/apps'][0]")" = "method POST != GET"
check "explain names the missing scope" test "$(json_field "$tmp/e.json" "d['fix']['change']")" = "add scope 'app:read' to the token"
check "explain proves the fix with decide" test "$(json_field "$tmp/e.json" "d['fix']['then']['reason']")" = "granted"
check "explain never shows the token" bash -c "! grep -q cwt_0000 '$tmp/e.json'"

$pc explain "$policy" --class user --scopes app:read --member prj_beta GET /v1/projects/prj_alpha/apps >"$tmp/e.txt"
check "explain --class user: text decision line" grep -q "^decision  deny 403 not_a_member (step 12" "$tmp/e.txt"
check "explain --class user: membership fix" grep -q "^fix       make usr_explain a member of project 'prj_alpha'" "$tmp/e.txt"
check "explain --class user: the fix is decided again" grep -q '"reason": "granted"' "$tmp/e.txt"
$pc explain "$policy" --class user --scopes project:read GET /v1/projects/prj_beta/apps --format json >"$tmp/e.json"
check "explain: scope and membership both missing" test "$(json_field "$tmp/e.json" "d['fix']['change']")" = "add scope 'app:read' to the token, and make usr_explain a member of project 'prj_beta'"
$pc explain "$policy" --class operator --header 'X-Comwit-Actor-User-Id: operator' --format json GET /v1/status >"$tmp/e.json"
check "explain --class operator with a reserved actor: invalid_actor" test "$(json_field "$tmp/e.json" "d['decision']['reason']")" = "invalid_actor"
$pc explain "$policy" --class anonymous --header 'X-HTTP-Method-Override: DELETE' --format json GET /v1/projects >"$tmp/e.json"
check "explain names the override header" test "$(json_field "$tmp/e.json" "d['steps'][-1]['detail']")" = "found header X-HTTP-Method-Override"
$pc explain "$policy" --class user --scopes app:read --format json GET /v1/projects/prj_alpha/apps/ >"$tmp/e.json"
check "explain: a trailing slash makes an empty last segment" test "$(json_field "$tmp/e.json" "[r['why'] for r in d['routes'] if r['route']=='GET /v1/projects/{projectId}/apps/{appId}'][0]")" = "segment 5 is empty; parameter {appId} takes a non-empty segment"
$pc explain "$policy" --class user --format json HEAD /v1/projects >"$tmp/e.json"
check "explain: HEAD is decided as GET" test "$(json_field "$tmp/e.json" "[r['why'] for r in d['routes'] if r['verdict']=='chosen'][0]")" = "every segment matches; HEAD is decided as GET"

$pc explain "$policy" --header 'no colon' GET /v1/projects >/dev/null 2>&1
check "explain: a header without a colon is a usage error" test $? -eq 2
$pc explain "$policy" --class user --header 'Authorization: Bearer x' GET /v1/projects >/dev/null 2>&1
check "explain: --class user with an Authorization header is a usage error" test $? -eq 2
$pc explain "$policy" --scopes app:read GET /v1/projects >/dev/null 2>&1
check "explain: --scopes without --class is a usage error" test $? -eq 2
$pc explain "$policy" --class operator --scopes app:read GET /v1/projects >/dev/null 2>&1
check "explain: --scopes for the operator is a usage error" test $? -eq 2

# ---------------------------------------------------------------------------
# coverage

$pc coverage "$policy" --openapi "$openapi" >"$tmp/out" 2>"$tmp/err"
check "coverage of comwit against its description exits 0" test $? -eq 0
check "coverage of comwit reports nothing" test ! -s "$tmp/out"
check "coverage summary" grep -q "33 operations against 37 routes" "$tmp/err"
# A description that drifted: one operation dropped, one parameter renamed,
# one undeclared operation, one scope changed.
python3 - "$openapi" "$tmp/drift.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
text = text.replace("  /v1/projects/{projectId}/apps/{appId}/rollback:\n", "  /v1/projects/{projectId}/apps/{appId}/rollback2:\n", 1)
text = text.replace("  /v1/projects/{projectId}/domains/{domain}/purchase:", "  /v1/projects/{projectId}/domains/{domainName}/purchase:", 1)
text = text.replace("comwitToken: ['app:deploy']", "comwitToken: ['app:write']", 1)
open(sys.argv[2], "w").write(text)
PY
$pc coverage "$policy" --openapi "$tmp/drift.yaml" --format json >"$tmp/c.json" 2>/dev/null
check "coverage of a drifted description exits 1" test $? -eq 1
check "coverage names each drift" test "$(json_field "$tmp/c.json" "sorted(f['code'] for f in d['findings'])")" = "['SG401', 'SG402', 'SG403', 'SG404']"
$pc coverage "$policy" --openapi "$tmp/drift.yaml" --format sarif >"$tmp/c.sarif" 2>/dev/null
check "coverage sarif passes the checker" $sarif_check "$tmp/c.sarif"
printf 'openapi: 3.1.0\npaths: [\n' >"$tmp/broken.yaml"
$pc coverage "$policy" --openapi "$tmp/broken.yaml" >"$tmp/out" 2>&1
check "an unreadable description is an input error (2)" test $? -eq 2
check "the description's error is positioned" grep -q "broken.yaml:3:1: error\[SG400\]" "$tmp/out"

# ---------------------------------------------------------------------------
# audit

$pc audit "$policy" >"$tmp/a.txt" 2>"$tmp/err"
check "audit comwit exits 0" test $? -eq 0
check "audit: lint clean" grep -q "validate  0 errors, 0 warnings, 0 notes" "$tmp/a.txt"
check "audit: invariants hold" grep -q "verify    all 4 invariants hold" "$tmp/a.txt"
check "audit: finds the description beside the policy" grep -q "coverage  .*comwit.openapi.yaml: 33 operations, 0 errors, 0 warnings" "$tmp/a.txt"
check "audit: routes by scope" grep -q "^  app:deploy" "$tmp/a.txt"
check "audit: public routes" grep -q "^  POST /v1/auth/device$" "$tmp/a.txt"
check "audit: hidden routes" grep -q "^  GET /v1/project/{projectId} (operator-only)$" "$tmp/a.txt"
check "audit: the prefix family" grep -q "^  any /v1/databases\*" "$tmp/a.txt"
check "audit: the matrix" grep -q "== access matrix" "$tmp/a.txt"
check "audit: no colour into a pipe" bash -c "! grep -q $'\x1b\\\\[' '$tmp/a.txt'"
$pc audit "$policy" --format sarif >"$tmp/a.sarif" 2>/dev/null
check "audit sarif passes the checker" $sarif_check "$tmp/a.sarif"
$pc audit "$policy" --format json >"$tmp/a.json" 2>/dev/null
check "audit json: summary and matrix" test "$(json_field "$tmp/a.json" "(len(d['summary']['public']), d['coverage']['operations'], 'rows' in json.dumps(d['matrix']))")" = "(2, 33, True)"
cp "$lint/sg306_family_swallows.yaml" "$tmp/swallow.yaml"
$pc audit "$tmp/swallow.yaml" >"$tmp/a.txt" 2>&1
check "audit of a policy with lint errors exits 1" test $? -eq 1
check "audit names no description when none is beside" grep -q "coverage  no OpenAPI description" "$tmp/a.txt"
$pc audit "$src/tests/fixtures/policies/bad/sg101_unknown_scope.yaml" --format sarif >"$tmp/bad.sarif" 2>/dev/null
check "audit of a policy that does not load exits 1" test $? -eq 1
check "its sarif passes the checker" $sarif_check "$tmp/bad.sarif"
$pc audit "$policy" --openapi "$tmp/drift.yaml" >/dev/null 2>&1
check "audit with a drifted description exits 1" test $? -eq 1

echo "policy-check lint/explain/coverage/audit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
