#!/usr/bin/env bash
# The main job on the local sandbox hospital, as a newcomer's first run (`npm run demo`):
# start the sandbox, validate, plan, apply, then a drift check that should show none.
set -uo pipefail
cd "$(dirname "$0")/.."
ebill() { node bin/ebill-ops.mjs "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/5 start the sandbox hospital (embedded PostgreSQL under .sandbox/)"
ebill sandbox up || exit 1

say "2/5 validate stacks/sandbox.ts"
ebill validate --stack sandbox || exit 1

say "3/5 plan: what apply would change (exit 2 = there are changes)"
ebill plan --stack sandbox
rc=$?
[ "$rc" -eq 1 ] && exit 1

say "4/5 apply"
ebill apply --stack sandbox --yes || exit 1

say "5/5 drift: live systems against the declaration"
ebill drift --stack sandbox
rc=$?
[ "$rc" -eq 0 ] && say "sandbox applied and drift-free. Try: edit stacks/sandbox.ts, then 'npx ebill-ops plan --stack sandbox'."
exit "$rc"
