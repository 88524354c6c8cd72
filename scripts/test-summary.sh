#!/bin/bash
# test-summary.sh BUILD: counts test cases from the Catch2 JUnit files and
# meson's test log, lists the failures, and prints "N passed, N failed".
set -uo pipefail
BUILD=${1:-build}
passed=0 failed=0
declare -A has_junit junit_failed
for f in "$BUILD"/tests/junit/*.xml; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .xml)
  has_junit[$name]=1
  # A failure's own text follows its name (what failed, the expansion, the
  # INFO messages, file:line), cut to $DETAIL_LINES lines, so that a CI log
  # says why.
  read -r p fl < <(awk -v max="${DETAIL_LINES:-25}" '
    function unxml(s) { gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s); return s }
    function say(s) { if (shown < max) print "    " substr(unxml(s), 1, 240) > "/dev/stderr"; else if (shown == max) print "    ..." > "/dev/stderr"; shown++ }
    /<testcase/ { total++; cur=$0; bad=0; shown=0; if ($0 ~ /\/>[[:space:]]*$/) { next } inside=1; next }
    inside && /<(failure|error)/ { if (!bad) { failed++; bad=1; sub(/.*name="/, "", cur); sub(/".*/, "", cur); print "FAILED: " unxml(cur) > "/dev/stderr" }
                                   body = $0 !~ /<\/(failure|error)>|\/>[[:space:]]*$/; next }
    body && /<\/(failure|error)>/ { line=$0; sub(/<\/(failure|error)>.*/, "", line); if (line ~ /[^[:space:]]/) say(line); body=0; next }
    body { if ($0 ~ /[^[:space:]]/) say($0); next }
    /<\/testcase>/ { inside=0 }
    END { print total - failed, failed + 0 }' "$f")
  passed=$((passed + p)) failed=$((failed + fl)) junit_failed[$name]=$fl
done
# meson tests without a JUnit file count as one test each; a Catch2 program
# that crashed or timed out counts as one more failure.
log="$BUILD/meson-logs/testlog.json"
if [ -f "$log" ]; then
  while IFS=$'\t' read -r name result; do
    if [ -n "${has_junit[$name]:-}" ]; then
      [ "$result" = OK ] || [ "$result" = SKIP ] || [ "${junit_failed[$name]}" -gt 0 ] || { echo "FAILED: test program '$name' ended with $result" >&2; failed=$((failed + 1)); }
    else
      case "$result" in
        OK) passed=$((passed + 1)) ;;
        SKIP) ;;
        *) echo "FAILED: $name ($result)" >&2; failed=$((failed + 1)) ;;
      esac
    fi
  done < <(sed -n 's/.*"name": "\([^"]*\)".*"result": "\([A-Z]*\)".*/\1\t\2/p' "$log")
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
