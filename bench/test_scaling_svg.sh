#!/usr/bin/env bash
# ctest bench_scaling_svg: scaling.sh's chart (bench/scaling_svg.awk) drawn
# from fixed medians is a well-formed SVG with one line of 4 points per
# benchmark (bench/svg_check.sh, with xmllint/python3 when present and with
# the awk check alone), and the checker rejects broken documents, so it
# cannot pass by accepting everything. Needs only bash and awk.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-svg-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/medians" <<'M'
pingpong kairos-real-w1 2000000 3 0.1 19500000 2.0 -1 -1.000
ring kairos-real-w1 1000000 3 0.1 17000000 2.8 -1 -1.000
fanout kairos-real-w1 1000000 3 0.1 7000000 12.0 -1 -1.000
pingpong kairos-real-w2 2000000 3 0.1 18000000 2.0 -1 -1.000
ring kairos-real-w2 1000000 3 0.1 16000000 2.8 -1 -1.000
fanout kairos-real-w2 1000000 3 0.1 12500000 12.0 -1 -1.000
pingpong kairos-real-w4 2000000 3 0.1 9000000 2.0 -1 -1.000
ring kairos-real-w4 1000000 3 0.1 8000000 2.8 -1 -1.000
fanout kairos-real-w4 1000000 3 0.1 6000000 12.0 -1 -1.000
pingpong kairos-real-w8 2000000 3 0.1 5000000 2.0 -1 -1.000
ring kairos-real-w8 1000000 3 0.1 4000000 2.8 -1 -1.000
fanout kairos-real-w8 1000000 3 0.1 3000000 12.0 -1 -1.000
spawn kairos-real 1111111 3 1.0 1000000 140.0 -1 -1.000
M
awk -v cores=2 -v title='rate vs workers <test> & "quotes"' -v subtitle='fixture' \
  -f "$here/scaling_svg.awk" "$tmp/medians" >"$tmp/ok.svg"

fail() { echo "test_scaling_svg: $*" >&2; exit 1; }
"$here/svg_check.sh" "$tmp/ok.svg" 3 || fail "the chart is not a well-formed SVG"
SVG_CHECK_AWK_ONLY=1 "$here/svg_check.sh" "$tmp/ok.svg" 3 ||
  fail "the awk check rejects the chart"
[ "$(grep -c '<polyline ' "$tmp/ok.svg")" = 3 ] || fail "expected 3 lines (pingpong, ring, fanout)"
grep '<polyline ' "$tmp/ok.svg" | while read -r line; do
  pts=${line#*points=\"}
  pts=$(wc -w <<<"${pts%%\"*}")
  [ "$pts" = 4 ] || fail "a line has $pts points, expected 4 (1, 2, 4, 8 workers)"
done
for w in 1 2 4 8; do grep -q ">$w</text>" "$tmp/ok.svg" || fail "no x tick for $w workers"; done
grep -q 'more threads than cores (2)' "$tmp/ok.svg" || fail "no oversubscribed region"
grep -q '&lt;test&gt; &amp; &quot;quotes&quot;' "$tmp/ok.svg" || fail "title not escaped"
grep -q '>19.5</text>' "$tmp/ok.svg" || fail "no label for pingpong at 1 worker (19.5 M/s)"

# No kairos-real-wN rows: no chart, exit 1.
if awk -f "$here/scaling_svg.awk" <<<"spawn kairos-real 1 1 1 1 1 -1 -1" >"$tmp/none.svg"; then
  fail "scaling_svg.awk drew a chart without worker rows"
fi

# Broken documents must be rejected, by whichever checker runs and by awk.
head -n -1 "$tmp/ok.svg" >"$tmp/truncated.svg"                   # no </svg>
sed '0,/<\/text>/s/<\/text>//' "$tmp/ok.svg" >"$tmp/unclosed.svg" # a <text> never closed
sed 's/>fixture</>a \& b</' "$tmp/ok.svg" >"$tmp/amp.svg"         # a bare &
sed 's/ width="760"/ width=760/' "$tmp/ok.svg" >"$tmp/attr.svg"   # an unquoted attribute
sed 's/<polyline [^>]*>//' "$tmp/ok.svg" >"$tmp/nolines.svg"       # no polylines (3 wanted)
: >"$tmp/empty.svg"
for bad in truncated unclosed amp attr nolines empty; do
  if "$here/svg_check.sh" "$tmp/$bad.svg" 3 2>/dev/null; then fail "svg_check accepts $bad.svg"; fi
  if SVG_CHECK_AWK_ONLY=1 "$here/svg_check.sh" "$tmp/$bad.svg" 3 2>/dev/null; then
    fail "the awk check accepts $bad.svg"
  fi
done
echo "test_scaling_svg: ok"
