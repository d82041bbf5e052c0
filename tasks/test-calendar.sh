#!/usr/bin/env bash
# `npm run test:calendar`: the tests that need neither a database nor hosts, each run under
# libfaketime (Debian package `faketime`) at a date around the year end, so a test or a part of the
# tool that reads the real clock instead of the one injectable clock (src/base/time.ts) shows up before
# the calendar gets there. Every date must pass.
#
# The dates run at the same time, one vitest each (libfaketime fakes a whole process tree's clock,
# so one date per process): these tests share no server, port or folder (temp dirs each), and
# one run alone leaves most of the machine idle. Each date's output is kept and printed whole,
# in date order, once all are done.
set -uo pipefail
cd "$(dirname "$0")/.."
DAYS=(2026-12-21 2027-01-02 2027-06-30 2027-12-28)
if ! command -v faketime >/dev/null; then
  echo "test:calendar needs libfaketime: apt-get install faketime (listed in .ci/debian-packages.txt)" >&2
  exit 1
fi
# dist/ (which the CLI tests run) is brought up to date once here, not by four global setups at once.
node bin/build.mjs --if-stale || exit 1
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
pids=()
for day in "${DAYS[@]}"; do
  # No EBILL_OPS_TODAY from the shell: the tests see libfaketime's clock unless they pin a date.
  (
    day_started=$SECONDS
    env -u EBILL_OPS_TODAY faketime "$day 10:00:00" npx vitest run --config vitest.calendar.config.ts
    rc=$?
    echo "$rc $((SECONDS - day_started))" >"$logs/$day.result"
  ) >"$logs/$day.log" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
failed=()
for day in "${DAYS[@]}"; do
  cat "$logs/$day.log"
  read -r rc took <"$logs/$day.result" 2>/dev/null || { rc=1; took="?"; }
  printf '\n== test:calendar at %s: exit %s in %s s\n\n' "$day" "$rc" "$took"
  [ "$rc" -eq 0 ] || failed+=("$day")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test:calendar FAILED at: ${failed[*]}" >&2
  exit 1
fi
echo "test:calendar passed at ${DAYS[*]} in $((SECONDS - started)) s"
