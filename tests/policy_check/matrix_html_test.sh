#!/usr/bin/env bash
# The HTML access matrix of the Comwit policy in headless Chromium (issue 4):
# the page runs without a console message or script error, every route and
# prefix family is a row of the grid, the filter box filters, and a screenshot
# is kept as an artifact.
# Usage: POLICY_CHECK=path/to/policy-check matrix_html_test.sh SOURCE_DIR ARTIFACT_DIR
# Exit 77 (skipped) when Chromium is not installed: scripts/deps installs it.
set -uo pipefail
src=$1
artifacts=$2
pc=${POLICY_CHECK:?}
comwit=$src/policies/comwit.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
  echo "chromium is not installed (scripts/deps installs it): skipped"
  exit 77
fi

# A fresh profile per run, nothing fetched or synced in the background.
browse() {  # url, extra flags...
  local url=$1; shift
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$tmp")" --enable-logging=stderr --v=0 "$@" "$url"
}

mkdir -p "$artifacts"
page=$artifacts/comwit-matrix.html
# Relative to the source tree, so that the page names policies/comwit.yaml.
(cd "$src" && $pc matrix policies/comwit.yaml --format html) >"$page"
check "matrix --format html exits 0" test $? -eq 0
check "the page loads nothing from elsewhere" test "$(grep -Ec '(src|href)=|@import|url\(' "$page")" -eq 0

# The routes and families the grid must hold, from another writer.
$pc matrix "$comwit" --format csv | tail -n +2 | cut -d, -f2,3 | tr ',' ' ' | sort >"$tmp/want"
check "the policy has rows to show" test "$(wc -l <"$tmp/want")" -ge 38

browse "file://$page" --dump-dom >"$tmp/dom.html" 2>"$tmp/console.log"
check "chromium rendered the page" test -s "$tmp/dom.html"
check "the script ran to the end" grep -q '<html lang="en" data-ready="38"' "$tmp/dom.html"
check "no script error reached window.onerror" test "$(grep -c '<html[^>]* data-js-error=' "$tmp/dom.html")" -eq 0
# The page writes nothing to the console, so any console line is a fault.
check "the console shows nothing" test "$(grep -c ':CONSOLE' "$tmp/console.log")" -eq 0
grep ':CONSOLE' "$tmp/console.log"
sed -n 's/.*<tr class="row[^"]*" data-route="\([^"]*\)".*/\1/p' "$tmp/dom.html" | sed 's/&amp;/\&/g' | sort >"$tmp/got"
check "every route and family is a row of the grid" diff -u "$tmp/want" "$tmp/got"
check "the hidden aliases are marked" test "$(grep -c 'class="badge hidden"' "$tmp/dom.html")" -eq 4
check "the counter shows every row" grep -q '38 of 38 rows shown' "$tmp/dom.html"

# The filter box: ?filter= fills it; only matching rows stay visible.
browse "file://$page?filter=hidden" --dump-dom >"$tmp/filtered.html" 2>"$tmp/console.log"
check "filtering by 'hidden' leaves the four aliases" grep -q '4 of 38 rows shown' "$tmp/filtered.html"
check "filtered rows are hidden, not removed" \
  test "$(grep -c '<tr class="row[^>]* hidden="">' "$tmp/filtered.html")" -eq 34

# The screenshot, tall enough for every row.
browse "file://$page" --window-size=1600,2000 --hide-scrollbars --screenshot="$artifacts/comwit-matrix.png" \
  >/dev/null 2>"$tmp/console.log"
check "a screenshot was written" test -s "$artifacts/comwit-matrix.png"
check "the screenshot is a PNG" test "$(head -c 8 "$artifacts/comwit-matrix.png" | od -An -tx1 | tr -d ' \n')" = \
  "89504e470d0a1a0a"
echo "artifacts: $page $artifacts/comwit-matrix.png"

echo "policy-check matrix html: $passed passed, $failed failed"
test $failed -eq 0
