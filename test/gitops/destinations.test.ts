/**
 * A pull request must not make the plan job send a stack's secrets somewhere new: each way of
 * redirecting them is tried against the check the plan job runs before it gets the secrets.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlanComment, readPlanDir } from "../../src/gitops/comment.ts";
import { destinationChanges } from "../../src/gitops/destinations.ts";
import type { EnvironmentInput } from "../../src/model/environment.ts";
import { parsed, sandboxInput } from "../config/fixtures.ts";
import { ebillOps } from "../harness/cli.ts";

function changes(mutate: (e: EnvironmentInput) => void): string[] {
  const head = sandboxInput();
  mutate(head);
  return destinationChanges(parsed(sandboxInput()), parsed(head));
}

describe("where a stack's secrets go", () => {
  it("an unchanged declaration, or a change of what is declared, sends them nowhere new", () => {
    expect(changes(() => {})).toEqual([]);
    expect(
      changes((e) => {
        e.paymentChannels!.push({ code: "09", name: "银联", kind: "bank-card" });
        e.hosts.push({
          name: "sbx-cashier",
          address: "10.231.0.14",
          os: "debian-12",
          roles: ["print-client"],
        });
      }),
    ).toEqual([]);
  });

  it.each([
    [
      "the database moved to another machine",
      (e: EnvironmentInput) => (e.database.host = "10.99.0.1"),
      /^database: .*@127\.0\.0\.1.* -> .*@10\.99\.0\.1/,
    ],
    ["the database port", (e: EnvironmentInput) => (e.database.port = 5433), /^database: /],
    ["TLS turned off", (e: EnvironmentInput) => (e.database.sslMode = "disable"), /sslMode disable/],
    [
      "the fiscal platform's address",
      (e: EnvironmentInput) => (e.interfaces.fiscal.url = "http://10.99.0.1/fiscal"),
      /^interfaces\.fiscal\.url: /,
    ],
    [
      "a new app host (the app's secrets are rendered onto it)",
      (e: EnvironmentInput) =>
        e.hosts.push({ name: "evil-app", address: "10.99.0.2", os: "debian-12", roles: ["app"] }),
      /^app host evil-app: new/,
    ],
    [
      "an app host's address",
      (e: EnvironmentInput) => (e.hosts[0]!.address = "10.99.0.3"),
      /^app host sbx-app: .* -> .*10\.99\.0\.3/,
    ],
    [
      "a host that becomes an app host",
      (e: EnvironmentInput) => e.hosts[2]!.roles.push("app"),
      /^app host sbx-print: new/,
    ],
    [
      "the database password sent as the fiscal key",
      (e: EnvironmentInput) => (e.interfaces.fiscal.appKey = { secret: "EBILL_DB_PASSWORD" }),
      /^secret EBILL_DB_PASSWORD: used by database\.password -> used by database\.password, interfaces\.fiscal\.appKey/,
    ],
    [
      "another stack's secret",
      (e: EnvironmentInput) => (e.database.password = { secret: "LINGSHUI_PROD_DB_PASSWORD" }),
      /^secret LINGSHUI_PROD_DB_PASSWORD: new/,
    ],
  ])("%s is a new destination", (_what, mutate, expected) => {
    expect(changes(mutate)).toContainEqual(expect.stringMatching(expected));
  });
});

describe("the plan job's check and the comment", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ebill-destinations-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gitops destinations exits 2 listing the new destinations, 0 when there are none", async () => {
    const base = path.join(dir, "base.json");
    const head = path.join(dir, "head.json");
    await writeFile(base, JSON.stringify(sandboxInput()));
    const moved = sandboxInput();
    moved.database.host = "10.99.0.1";
    await writeFile(head, JSON.stringify(moved));
    const cli = (args: string[]) => ebillOps(["gitops", "destinations", ...args], { cwd: process.cwd() });
    const same = await cli(["--base", base, "--head", base]);
    expect(same.code).toBe(0);
    // The base only says where the secrets go: a rule it breaks (here a missing mapping; after
    // 20 December, next year not declared yet) must not stop the check of a pull request fixing it.
    const broken = sandboxInput();
    broken.codeMappings = broken.codeMappings!.filter((m) => !(m.kind === "place" && m.local === "001"));
    const brokenBase = path.join(dir, "broken-base.json");
    await writeFile(brokenBase, JSON.stringify(broken));
    expect((await cli(["--base", brokenBase, "--head", base])).code).toBe(0);
    const changed = await cli(["--base", base, "--head", head]);
    expect(changed.code).toBe(2);
    expect(changed.stdout).toMatch(
      /changes where the secrets of stack sandbox would be sent[\s\S]*- database: .*10\.99\.0\.1/,
    );

    // The comment says why the stack was not planned, and does not call it a failure.
    const plans = path.join(dir, "plans");
    await mkdir(plans, { recursive: true });
    await writeFile(path.join(plans, "sandbox.withheld"), changed.stdout);
    const outcomes = await readPlanDir(plans, ["sandbox"]);
    expect(outcomes).toEqual([
      { stack: "sandbox", status: "withheld", reason: expect.stringContaining("10.99.0.1") },
    ]);
    const comment = buildPlanComment(outcomes);
    expect(comment).toMatch(
      /Not planned: this pull request changes where these stacks' secrets would be sent/,
    );
    expect(comment).toMatch(/`sandbox`: database: .*10\.99\.0\.1/);
    expect(comment).not.toMatch(/do not merge until/);
  });
});
