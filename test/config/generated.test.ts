import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { inventoryFiles, renderGeneratedFiles } from "../../src/app/generated.ts";
import { parsed, productionInput } from "./fixtures.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";

// Why: the schema and the inventories are committed so reviewers and Ansible see them without
// running the tool; a stale copy would silently disagree with the source.
describe("committed generated files", () => {
  it("match what 'ebill-ops generate' produces (run it and commit when this fails)", async () => {
    const files = await renderGeneratedFiles();
    expect(files.size).toBeGreaterThanOrEqual(1 + 2 * 3);
    for (const [rel, content] of files) {
      const committed = await readFile(path.join(REPO_ROOT, rel), "utf8").catch(() => "(missing)");
      expect(committed, `${rel} is stale: run 'npx ebill-ops generate'`).toBe(content);
    }
  });

  it("the inventory groups hosts by role and pins host keys", async () => {
    const files = await inventoryFiles(parsed(productionInput()));
    const hosts = files["inventory/fixture-prod/hosts.yml"]!;
    expect(hosts).toMatch(/print_client:\n\s+hosts:\n\s+sbx-print:/);
    expect(files["inventory/fixture-prod/known_hosts"]).toMatch(/^10\.231\.0\.11 ssh-ed25519 AAAA/m);
  });
});
