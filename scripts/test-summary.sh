#!/usr/bin/env bash
# Sums the counters of every .trx file under $1 and prints one line:
# "N passed, N failed, N skipped". Exits 1 when a test failed or none ran.
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
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
