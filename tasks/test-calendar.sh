#!/usr/bin/env bash
# `npm run test:calendar`: the tests that need neither a database nor hosts, each run under
# libfaketime (Debian package `faketime`) at a date around the year end, so a test or a part of the
# tool that reads the real clock instead of the one injectable clock (src/base/time.ts) shows up before
# the calendar gets there. Every date must pass.
set -uo pipefail
cd "$(dirname "$0")/.."
DAYS=(2026-12-21 2027-01-02 2027-06-30 2027-12-28)
if ! command -v faketime >/dev/null; then
  echo "test:calendar needs libfaketime: apt-get install faketime (listed in .ci/debian-packages.txt)" >&2
  exit 1
fi
failed=()
for day in "${DAYS[@]}"; do
  started=$SECONDS
  # No EBILL_OPS_TODAY from the shell: the tests see libfaketime's clock unless they pin a date.
  env -u EBILL_OPS_TODAY faketime "$day 10:00:00" npx vitest run --config vitest.calendar.config.ts
  rc=$?
  printf '\n== test:calendar at %s: exit %s in %s s\n\n' "$day" "$rc" "$((SECONDS - started))"
  [ "$rc" -eq 0 ] || failed+=("$day")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test:calendar FAILED at: ${failed[*]}" >&2
  exit 1
fi
echo "test:calendar passed at ${DAYS[*]}"
