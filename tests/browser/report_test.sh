#!/usr/bin/env bash
# Opens generated Kairos reports in headless Chromium, checks them through the
# DOM (lanes, arrows, the highlighted failure, filters, details) and saves
# screenshots. Registered as the ctest `report_browser` (label: browser).
#
#   tests/browser/report_test.sh GEN_TRACE SCREENSHOT_DIR
#
# SCREENSHOT_DIR is in the build tree (ctest passes build/tests/screenshots):
# nothing is written into the source tree, which the last check verifies.
# GEN_TRACE is the tests/gen_trace program (writes traces, renders reports).
# Exit 77 (ctest: skipped) only when no chromium is installed.
# KAIROS_REPORT_BIG=N also times an N-event report (default 100000; 0: skip).
set -euo pipefail

gen=${1:?usage: report_test.sh GEN_TRACE SCREENSHOT_DIR}
shots=${2:?usage: report_test.sh GEN_TRACE SCREENSHOT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
big=${KAIROS_REPORT_BIG:-100000}

chrome=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chrome=$(command -v "$c"); break; fi
done
if [ -z "$chrome" ]; then
    echo "SKIPPED: chromium is not installed (apt-get install -y chromium); the report's browser test did not run" >&2
    exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/started"
mkdir -p "$shots"

browser() { # args...: one headless Chromium run, quiet, fresh profile
    local profile
    profile=$(mktemp -d "$work/profile.XXXX")
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --hide-scrollbars=false --user-data-dir="$profile" \
        --window-size=1500,950 "$@" 2>"$work/chrome.log"
}

harness() { # report.html test.html mode
    # The report ends with "</script>\n</body>": the checks run right after it.
    awk -v js="$here/report_harness.js" -v mode="$3" '
        /^<html / { sub(/<html /, "<html data-test-mode=\"" mode "\" ") }
        /^<\/body>/ { print "<script>"; while ((getline l < js) > 0) print l; print "</script>" }
        { print }' "$1" >"$2"
}

run_checks() { # test.html -> prints the results; fails unless all pass
    local dom
    dom=$(browser --virtual-time-budget=5000 --dump-dom "file://$1") || {
        echo "chromium failed:"; tail -20 "$work/chrome.log"; return 1; }
    local result
    # No "printf | grep -q" under pipefail: grep's early exit fails printf.
    result=$(sed -n '/<pre id="kairos-test-result">/,/<\/pre>/p' <<<"$dom" |
        sed -e 's/<[^>]*>//g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g')
    printf '%s\n' "$result"
    if ! grep -q '<title>KAIROS-TEST PASS</title>' <<<"$dom"; then
        [ -n "$result" ] || { echo "no test result in the DOM (the report script failed?)"; tail -20 "$work/chrome.log"; }
        return 1
    fi
}

echo "== run report (400 events, bank-race-like, failing)"
"$gen" trace "$work/run.jsonl" 400 42
"$gen" run-html "$work/run.jsonl" "$work/run.html"
harness "$work/run.html" "$work/test.html" full
run_checks "$work/test.html"

echo "== screenshots"
browser --virtual-time-budget=3000 --screenshot="$shots/run-report.png" "file://$work/run.html" >/dev/null
test -s "$shots/run-report.png"
echo "$shots/run-report.png"
"$gen" sweep "$work/sweep.jsonl" 500
"$gen" sweep-html "$work/sweep.jsonl" "$work/sweep.html"
browser --virtual-time-budget=2000 --screenshot="$shots/sweep-report.png" "file://$work/sweep.html" >/dev/null
test -s "$shots/sweep-report.png"
echo "$shots/sweep-report.png"

if [ "$big" -gt 0 ]; then
    echo "== big run report ($big events)"
    t0=$(date +%s%N)
    "$gen" trace "$work/big.jsonl" "$big" 7
    t1=$(date +%s%N)
    "$gen" run-html "$work/big.jsonl" "$work/big.html"
    echo "trace $(stat -c %s "$work/big.jsonl") bytes written in $(( (t1 - t0) / 1000000 )) ms; report $(stat -c %s "$work/big.html") bytes"
    harness "$work/big.html" "$work/big-test.html" big
    t0=$(date +%s%N)
    run_checks "$work/big-test.html"
    t1=$(date +%s%N)
    echo "chromium start + load + checks + exit: $(( (t1 - t0) / 1000000 )) ms wall"
    browser --virtual-time-budget=3000 --screenshot="$shots/run-report-100k.png" "file://$work/big.html" >/dev/null
fi

# None of this test's screenshots went into the source tree (build trees,
# build*/, aside; only .png files, so other tests running alongside do not
# matter).
written=$(find "$src" -path "$src/build*" -prune -o -path "$src/.git" -prune -o \
    -type f -name '*.png' -newer "$work/started" -print | head -5)
if [ -n "$written" ]; then
    echo "FAIL: the browser test wrote into the source tree:"
    printf '%s\n' "$written"
    exit 1
fi
echo "PASS"
