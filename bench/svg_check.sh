#!/usr/bin/env bash
# Usage: bench/svg_check.sh FILE.svg [MIN_POLYLINES]
# Checks that FILE is a well-formed SVG document as bench/scaling_svg.awk
# writes it: xmllint (Debian libxml2-utils, installed by
# scripts/install-deps.sh --bench) or python3's XML parser when either is
# present, and always a check in awk that needs neither: every element
# closed in order, attribute values quoted, the root an <svg> in the SVG
# namespace, and at least MIN_POLYLINES (default 1) <polyline> elements
# with points. Exit 0 if it is, 1 (with the reason) if not.
# SVG_CHECK_AWK_ONLY=1 skips xmllint and python3 (to test the awk check).
set -euo pipefail
file=${1:?usage: svg_check.sh FILE.svg [MIN_POLYLINES]}
min_lines=${2:-1}
[ -s "$file" ] || { echo "svg_check: $file is missing or empty" >&2; exit 1; }

if [ "${SVG_CHECK_AWK_ONLY:-0}" = 1 ]; then
  :
elif command -v xmllint >/dev/null; then
  xmllint --noout "$file" || { echo "svg_check: xmllint rejects $file" >&2; exit 1; }
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$file" ||
    { echo "svg_check: python3 cannot parse $file" >&2; exit 1; }
fi

# The same question without any tool: tags read one at a time (the file is
# taken as one string, so a tag may span lines), a stack of open elements.
awk -v min_lines="$min_lines" -v file="$file" '
  function fail(why) { printf "svg_check: %s: %s\n", file, why > "/dev/stderr"; bad = 1; exit 1 }
  { doc = doc $0 "\n" }
  END {
    if (bad) exit 1
    depth = 0; roots = 0; lines = 0
    while ((lt = index(doc, "<")) > 0) {
      text = substr(doc, 1, lt - 1)
      if (depth == 0 && text ~ /[^ \t\n]/) fail("text outside the root element")
      if (text ~ /&/ && text !~ /^([^&]|&(amp|lt|gt|quot|apos|#[0-9]+);)*$/)
        fail("a bare & in text")
      doc = substr(doc, lt)
      gt = index(doc, ">")
      if (gt == 0) fail("a tag is not closed with >")
      tag = substr(doc, 1, gt); doc = substr(doc, gt + 1)
      if (tag ~ /^<\?/) { if (tag !~ /\?>$/) fail("bad processing instruction " tag); continue }
      if (tag ~ /^<!--/) { if (tag !~ /-->$/) fail("bad comment"); continue }
      if (tag ~ /^<\//) {
        name = tag; sub(/^<\//, "", name); sub(/[ \t\n]*>$/, "", name)
        if (depth == 0 || stack[depth] != name) fail("</" name "> closes " (depth ? "<" stack[depth] ">" : "nothing"))
        depth--
        continue
      }
      if (tag !~ /^<[A-Za-z][A-Za-z0-9:_.-]*/) fail("bad tag " tag)
      name = substr(tag, 2); sub(/[ \t\n\/>].*$/, "", name)
      attrs = substr(tag, 2 + length(name)); sub(/\/?>$/, "", attrs)
      # Attributes: name="value" or name='"'"'value'"'"', nothing else.
      while (attrs ~ /[^ \t\n]/) {
        if (!match(attrs, /^[ \t\n]+[A-Za-z_:][A-Za-z0-9_:.-]*="[^"<]*"/) &&
            !match(attrs, /^[ \t\n]+[A-Za-z_:][A-Za-z0-9_:.-]*='"'"'[^'"'"'<]*'"'"'/))
          fail("bad attributes in <" name ">: " attrs)
        attrs = substr(attrs, RLENGTH + 1)
      }
      if (depth == 0) {
        roots++
        if (roots > 1) fail("more than one root element")
        if (name != "svg") fail("the root is <" name ">, not <svg>")
        if (tag !~ /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/) fail("<svg> without the SVG namespace")
      }
      if (name == "polyline") {
        if (tag !~ / points="[-0-9.]+,[-0-9.]+( [-0-9.]+,[-0-9.]+)*"/) fail("a polyline without points")
        lines++
      }
      if (tag !~ /\/>$/) stack[++depth] = name
    }
    if (doc ~ /[^ \t\n]/) fail("text after the root element")
    if (depth != 0) fail("<" stack[depth] "> is never closed")
    if (roots != 1) fail("no root element")
    if (lines < min_lines) fail(lines " polyline(s), expected at least " min_lines)
  }' "$file"
