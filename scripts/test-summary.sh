#!/usr/bin/env bash
# Sums the counters of every .trx file under $1 and prints one line:
# "N passed, N failed, N skipped". Before it, names each failed test with the
# first line of its message, so a CI log that keeps only the tail still says what broke.
# Exits 1 when a test failed or none ran.
set -euo pipefail
results=${1:?usage: test-summary.sh RESULTS_DIR}

passed=0 failed=0 skipped=0 total=0
shopt -s nullglob globstar
for trx in "$results"/**/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  value() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$((total + $(value total)))
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
  # A failed result's attributes sit on one line; its <Message> follows before the next result.
  awk '/<UnitTestResult / { name = ""; if ($0 ~ /outcome="(Failed|Error|Timeout|Aborted)"/) { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11) } }
       name != "" && /<Message>/ { sub(/.*<Message>/, ""); sub(/<\/Message>.*/, ""); print "FAILED " name ": " $0; name = "" }' "$trx"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
