#!/usr/bin/env node
// Runbook: put the archive files (归档) of a backup's tar back on a host, over SSH.
//
//   node tasks/backup/archive-push.mjs --ssh '<JSON argv that runs a command on the host>' \
//     --root /data/ebill/archive --tar /tmp/archive.tar
//
// Files in the tar are written with their saved modes; files on the host that the tar does not
// hold are left alone (a rebuilt host has none; a restore never deletes a bill's file).
// ebill-ops calls it from `host rebuild` (src/backup/archive.ts).
import { $, argv, fs, quote } from "zx";

const ssh = JSON.parse(argv.ssh);
const root = argv.root;
const tar = argv.tar;
if (!Array.isArray(ssh) || !root || !tar) {
  console.error("usage: archive-push.mjs --ssh JSON-ARGV --root DIR --tar FILE");
  process.exit(64);
}
$.verbose = false;
const remote = `mkdir -p ${quote(root)} && tar -C ${quote(root)} -xpf -`;
await $({ input: fs.createReadStream(tar) })`${ssh} ${`sudo sh -c ${quote(remote)}`}`;
