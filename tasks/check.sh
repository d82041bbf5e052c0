#!/usr/bin/env bash
# `npm run check`: format, lint and types, then every test (`npm test`). The three static checks
# read the sources and write nothing, so they run at the same time (each is one process on one
# core); each one's output is printed whole, in this order, once all three are done. Any of them
# failing stops here, before the tests, as before: exit 1.
set -uo pipefail
cd "$(dirname "$0")/.."
CHECKS=(format:check lint typecheck)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for check in "${CHECKS[@]}"; do
  npm run --silent "$check" >"$logs/$check.log" 2>&1 &
  pids+=($!)
done
failed=()
for i in "${!CHECKS[@]}"; do
  wait "${pids[$i]}"
  rc=$?
  printf '\n> npm run %s: exit %s\n' "${CHECKS[$i]}" "$rc"
  cat "$logs/${CHECKS[$i]}.log"
  [ "$rc" -eq 0 ] || failed+=("${CHECKS[$i]}")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "check FAILED: ${failed[*]} (the tests did not run)" >&2
  exit 1
fi
npm test
