import { describe, expect, it } from "vitest";
import { loadValidStack } from "../../src/config/load.ts";
import { canonicalJson, sha256 } from "../../src/base/canonical.ts";
import { type AuditRecord, applyPlan, combineHashes, makePlan, planHash } from "../../src/plan/planner.ts";
import type { Change, PlanSource } from "../../src/plan/types.ts";
import type { Environment } from "../../src/model/environment.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";

const { env } = await loadValidStack(FIXTURE_STACK);

/** A source over an in-memory "live system", with the contract's refusal on a moved live state. */
function memorySource(
  name: string,
  live: Map<string, string>,
  desired: Map<string, string>,
): PlanSource & { applied: Change[][] } {
  const hash = () => sha256(canonicalJson([...live].sort()));
  const applied: Change[][] = [];
  return {
    name,
    applied,
    available: async () => ({ ok: true }),
    plan: async () => {
      const changes: Change[] = [];
      for (const [id, value] of desired)
        if (!live.has(id))
          changes.push({
            kind: "things",
            id,
            action: "create",
            destructive: false,
            before: null,
            after: { value },
          });
        else if (live.get(id) !== value)
          changes.push({
            kind: "things",
            id,
            action: "update",
            destructive: false,
            before: { value: live.get(id) },
            after: { value },
          });
      for (const [id, value] of live)
        if (!desired.has(id))
          changes.push({
            kind: "things",
            id,
            action: "delete",
            destructive: true,
            before: { value },
            after: null,
          });
      return { changes, liveHash: hash() };
    },
    apply: async (_env, changes, options) => {
      if (options.expectedLiveHash && options.expectedLiveHash !== hash())
        throw new Error(`${name}: live state moved since the plan`);
      applied.push(changes);
      for (const c of changes)
        if (c.after) live.set(c.id, String(c.after.value));
        else live.delete(c.id);
    },
  };
}

const unavailable: PlanSource = {
  name: "hosts",
  available: async () => ({
    ok: false,
    reason: "ansible-playbook is not installed (apt-get install ansible)",
  }),
  plan: async () => {
    throw new Error("must not be called");
  },
  apply: async () => {
    throw new Error("must not be called");
  },
};

function options(audit: AuditRecord[], extra: Partial<Parameters<typeof applyPlan>[3]> = {}) {
  const progress: string[] = [];
  return {
    progress,
    opts: {
      allowDestroy: false,
      progress: (m: string) => progress.push(m),
      commit: "c0ffee",
      actor: "tester",
      at: new Date("2026-11-24T10:00:00+08:00"),
      // An audit store with row ids: a record given an id replaces that row (a "started" intent
      // completed), else it is a new row.
      writeAudit: async (_env: Environment, r: AuditRecord, id?: number) => {
        if (id !== undefined) audit[id - 1] = r;
        else audit.push(r);
        return id ?? audit.length;
      },
      redact: <T>(v: T) => v,
      ...extra,
    },
  };
}

describe("makePlan", () => {
  it("merges sources, tags each change, hashes each source and skips the unavailable one with a notice", async () => {
    const db = memorySource(
      "database",
      new Map([["a", "1"]]),
      new Map([
        ["a", "2"],
        ["b", "3"],
      ]),
    );
    const notices: string[] = [];
    const plan = await makePlan(env, [db, unavailable], (m) => notices.push(m));
    expect(plan.stack).toBe("sandbox");
    expect(plan.changes.map((c) => [c.source, c.action, c.id])).toEqual([
      ["database", "update", "a"],
      ["database", "create", "b"],
    ]);
    expect(plan.summary).toEqual({ create: 1, update: 1, delete: 0, replace: 0 });
    expect(Object.keys(plan.sourceHashes)).toEqual(["database"]);
    expect(plan.liveHash).toBe(combineHashes(plan.sourceHashes));
    expect(plan.skipped).toEqual([{ source: "hosts", reason: expect.stringContaining("ansible-playbook") }]);
    expect(notices).toEqual([
      "hosts: not planned: ansible-playbook is not installed (apt-get install ansible)",
    ]);
  });

  it("lists what a planned source leaves out on purpose (a Windows PC) in plan.skipped", async () => {
    const hosts: PlanSource = {
      ...memorySource("hosts", new Map(), new Map([["app1", "x"]])),
      skipped: () => [{ source: "hosts/cashier-pc1", reason: "runs Windows: inventoried, not configured" }],
    };
    const plan = await makePlan(env, [hosts]);
    expect(plan.changes.map((c) => c.id)).toEqual(["app1"]);
    expect(plan.skipped).toEqual([
      { source: "hosts/cashier-pc1", reason: "runs Windows: inventoried, not configured" },
    ]);
  });

  it("the plan hash does not depend on key order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(
      '{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}',
    );
  });
});

describe("applyPlan", () => {
  it("applies each source's part, prints progress and audits success", async () => {
    const live = new Map([["a", "1"]]);
    const db = memorySource("database", live, new Map([["a", "2"]]));
    const plan = await makePlan(env, [db]);
    const audit: AuditRecord[] = [];
    const { opts, progress } = options(audit);
    await applyPlan(env, plan, [db], opts);
    expect(live.get("a")).toBe("2");
    expect(progress[0]).toBe("database: applying 1 change ...");
    expect(progress[1]).toMatch(/^database: applied 1 change in \d+\.\d s$/);
    expect(audit).toEqual([
      expect.objectContaining({
        stack: "sandbox",
        commit: "c0ffee",
        actor: "tester",
        result: "ok",
        planHash: planHash(plan),
      }),
    ]);
  });

  it("refuses destructive changes without allowDestroy, changing nothing, and audits the refusal", async () => {
    const live = new Map([
      ["a", "1"],
      ["old", "x"],
    ]);
    const db = memorySource("database", live, new Map([["a", "2"]]));
    const plan = await makePlan(env, [db]);
    const audit: AuditRecord[] = [];
    await expect(applyPlan(env, plan, [db], options(audit).opts)).rejects.toThrow(
      /1 destructive change \(things old\).*--allow-destroy/,
    );
    expect(db.applied).toEqual([]);
    expect(audit[0]).toMatchObject({ result: "failed", error: expect.stringContaining("destructive") });
    await applyPlan(env, plan, [db], options(audit, { allowDestroy: true }).opts);
    expect([...live]).toEqual([["a", "2"]]);
  });

  it("passes the plan's live hash so a moved live state is refused, and audits the failure", async () => {
    const live = new Map([["a", "1"]]);
    const db = memorySource("database", live, new Map([["a", "2"]]));
    const plan = await makePlan(env, [db]);
    live.set("a", "changed by hand");
    const audit: AuditRecord[] = [];
    await expect(applyPlan(env, plan, [db], options(audit).opts)).rejects.toThrow("live state moved");
    expect(live.get("a")).toBe("changed by hand");
    expect(audit[0]!.result).toBe("failed");
  });

  it("refuses a plan of another stack", async () => {
    const db = memorySource("database", new Map(), new Map([["a", "1"]]));
    const plan = { ...(await makePlan(env, [db])), stack: "lingshui-prod" };
    await expect(applyPlan(env, plan, [db], options([]).opts)).rejects.toThrow(
      /plan is for stack 'lingshui-prod', not 'sandbox'/,
    );
    expect(db.applied).toEqual([]);
  });

  it("refuses a production change outside its windows unless an emergency reason is given, which is audited", async () => {
    const prod = {
      ...env,
      kind: "production",
      maintenance: { ...env.maintenance, changeWindows: [{ days: ["sat"], start: "22:00", end: "06:00" }] },
    } as Environment;
    const db = memorySource("database", new Map(), new Map([["a", "1"]]));
    const plan = await makePlan(prod, [db]);
    const audit: AuditRecord[] = [];
    await expect(applyPlan(prod, plan, [db], options(audit).opts)).rejects.toThrow(
      /outside the change windows.*--emergency/,
    );
    expect(db.applied).toEqual([]);
    await applyPlan(prod, plan, [db], options(audit, { emergency: "fiscal platform down since 08:00" }).opts);
    expect(audit.at(-1)).toMatchObject({ result: "ok", emergency: "fiscal platform down since 08:00" });
  });

  it("redacts the audit record and survives an audit store that fails after the apply", async () => {
    const db = memorySource("database", new Map(), new Map([["a", "s3cret-value"]]));
    const plan = await makePlan(env, [db]);
    const audit: AuditRecord[] = [];
    const { opts, progress } = options(audit, {
      redact: <T>(v: T) => JSON.parse(JSON.stringify(v).split("s3cret-value").join("[redacted X]")) as T,
    });
    const store = opts.writeAudit;
    opts.writeAudit = async (e: Environment, r: AuditRecord, id?: number) => {
      if (r.result === "ok") throw new Error("audit table missing");
      return store(e, r, id);
    };
    await applyPlan(env, plan, [db], opts);
    const warning = progress.find((p) => p.startsWith("warning"))!;
    expect(warning).toContain("audit table missing");
    expect(warning).not.toContain("s3cret-value");
    // The intent was recorded before anything changed, redacted too.
    expect(audit).toEqual([expect.objectContaining({ result: "started" })]);
    expect(JSON.stringify(audit)).not.toContain("s3cret-value");
  });

  it("every record of one apply names the same redacted list of changes (the store keeps it once)", async () => {
    const db = memorySource("database", new Map(), new Map([["a", "s3cret-value"]]));
    const hosts = memorySource("hosts", new Map(), new Map([["h", "1"]]));
    const plan = await makePlan(env, [db, hosts]);
    const written: AuditRecord[] = [];
    const { opts } = options([], {
      redact: <T>(v: T) => JSON.parse(JSON.stringify(v).split("s3cret-value").join("[redacted X]")) as T,
    });
    const store = opts.writeAudit;
    opts.writeAudit = async (e: Environment, r: AuditRecord, id?: number) => {
      written.push(r);
      return store(e, r, id);
    };
    await applyPlan(env, plan, [db, hosts], opts);
    expect(written.map((r) => r.result)).toEqual(["started", "ok"]);
    expect(written[1]!.changes).toBe(written[0]!.changes);
    expect(JSON.stringify(written[0]!.changes)).toContain("[redacted X]");
  });

  it("changes nothing when not even the intent can be recorded", async () => {
    const live = new Map<string, string>();
    const db = memorySource("database", live, new Map([["a", "1"]]));
    const plan = await makePlan(env, [db]);
    const { opts } = options([], {
      writeAudit: async () => {
        throw new Error("audit table missing");
      },
    });
    await expect(applyPlan(env, plan, [db], opts)).rejects.toThrow(/audit table missing/);
    expect(db.applied).toEqual([]);
    expect(live.size).toBe(0);
  });
});

describe("several sources", () => {
  it("applies in source order and, when a later source fails, records which ones went through", async () => {
    const db = memorySource("database", new Map(), new Map([["a", "1"]]));
    const hosts = memorySource("hosts", new Map(), new Map([["app1/app-config", "x"]]));
    hosts.apply = async () => {
      throw new Error("ansible-playbook failed on app1");
    };
    const plan = await makePlan(env, [db, hosts]);
    expect(Object.keys(plan.sourceHashes).sort()).toEqual(["database", "hosts"]);
    const audit: AuditRecord[] = [];
    const { opts, progress } = options(audit);
    await expect(applyPlan(env, plan, [db, hosts], opts)).rejects.toThrow("ansible-playbook failed on app1");
    expect(progress.filter((p) => p.startsWith("database: applied"))).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      result: "failed",
      error: "ansible-playbook failed on app1 (already applied: database)",
    });
  });

  it("refuses a saved plan with changes for a source that cannot run here, before touching any", async () => {
    const db = memorySource("database", new Map(), new Map([["a", "1"]]));
    const hosts = memorySource("hosts", new Map(), new Map([["app1/app-config", "x"]]));
    const plan = await makePlan(env, [db, hosts]);
    await expect(applyPlan(env, plan, [db, unavailable], options([]).opts)).rejects.toThrow(
      /changes for hosts, which cannot run here: ansible-playbook is not installed/,
    );
    expect(db.applied).toEqual([]);
  });
});
