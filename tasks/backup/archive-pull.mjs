#!/usr/bin/env node
// Runbook: copy a host's archive files (归档) into one tar file on this machine, over SSH.
//
//   node tasks/backup/archive-pull.mjs --ssh '<JSON argv that runs a command on the host>' \
//     --root /data/ebill/archive --out /tmp/archive.tar
//
// ebill-ops calls it from `backup run` (src/backup/archive.ts) with the same SSH settings Ansible
// uses (pinned host key, the test namespace when there is one). By hand: pass the argv of your ssh
// command (ending with user@host; the runbook appends 'sudo sh -c <command>').
// The tar is written to OUT.partial and renamed at the end, so OUT is never a half copy.
import { $, argv, fs, quote } from "zx";

const ssh = JSON.parse(argv.ssh);
const root = argv.root;
const out = argv.out;
if (!Array.isArray(ssh) || !root || !out) {
  console.error("usage: archive-pull.mjs --ssh JSON-ARGV --root DIR --out FILE");
  process.exit(64);
}
$.verbose = false;
const partial = `${out}.partial`;
const remote = `test -d ${quote(root)} || { echo "no archive directory ${root}" >&2; exit 3; }; tar -C ${quote(root)} -cf - .`;
await $`${ssh} ${`sudo sh -c ${quote(remote)}`}`.pipe(fs.createWriteStream(partial));
await fs.rename(partial, out);
