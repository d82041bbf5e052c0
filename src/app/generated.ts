/**
 * Files generated from the source and committed (Flux style): the JSON Schema of the stack format
 * and the Ansible inventories. A test regenerates them and fails when the committed copy is stale.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { Environment } from "../model/environment.ts";
import { listStackFiles, loadStack } from "../config/load.ts";
import { renderInventory } from "../inventory/render.ts";
import { REPO_ROOT } from "../base/paths.ts";

export function renderSchema(): string {
  const schema = z.toJSONSchema(Environment, { io: "input", target: "draft-2020-12" });
  return (
    JSON.stringify({ $id: "https://ebill-ops.local/schemas/environment.schema.json", ...schema }, null, 2) +
    "\n"
  );
}

/**
 * Relative path -> content, for every generated file. Stacks that do not validate are skipped.
 * Nothing here depends on the date: the rules never read it (year readiness is the year-end
 * banner's, src/rollover/banner.ts), and inventories hold no year (test/calendar checks both).
 */
export async function renderGeneratedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>([["schemas/environment.schema.json", renderSchema()]]);
  for (const file of await listStackFiles()) {
    const result = await loadStack(file);
    if (!result.ok) continue;
    for (const [rel, content] of Object.entries(await inventoryFiles(result.env))) files.set(rel, content);
  }
  return files;
}

export async function inventoryFiles(env: Environment): Promise<Record<string, string>> {
  const rendered = await renderInventory(env);
  return {
    [`inventory/${env.name}/hosts.yml`]: rendered.hosts,
    [`inventory/${env.name}/known_hosts`]: rendered.knownHosts,
  };
}

export async function writeFiles(files: Iterable<[string, string]>): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, content] of files) {
    const target = path.join(REPO_ROOT, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(rel);
  }
  return written;
}

export async function writeGeneratedFiles(): Promise<string[]> {
  return writeFiles(await renderGeneratedFiles());
}
