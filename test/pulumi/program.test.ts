/**
 * The Pulumi program under the engine's mocks (no CLI): for the sandbox stack it declares exactly
 * one resource per declared database object, with the runner's type, name and inputs, and no
 * secret value anywhere in what goes to Pulumi (inputs, including the serialised provider).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadValidStack } from "../../src/config/load.ts";
import type { Environment } from "../../src/model/environment.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { ansibleTreeHash, hostParts } from "../../src/pulumi/host-parts.ts";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];
// Secret values the program must never see in inputs: set before the program is loaded.
const secrets = {
  EBILL_DB_PASSWORD: `db-${randomBytes(8).toString("hex")}`,
  FISCAL_APP_KEY: `key-${randomBytes(8).toString("hex")}`,
};
let env: Environment;

beforeAll(async () => {
  Object.assign(process.env, secrets, { EBILL_OPS_STACK: FIXTURE_STACK });
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "ebill-ops",
    "test",
    false,
  );
  // The program, only now that the mocks are in place.
  const program = await import("../../src/pulumi/index.ts");
  await new Promise((resolve) =>
    pulumi.all([...program.database.objects, ...program.hosts.parts].map((o) => o.urn)).apply(resolve),
  );
  env = (await loadValidStack(FIXTURE_STACK)).env;
});

/** The objects the sandbox stack declares, written out independently of the providers. */
function expectedNames(e: Environment): string[] {
  return [
    ...(e.tablespaces ?? []).map((t) => `tablespaces/${t.name}`),
    ...(e.partitions ?? []).map((p) => `partitions/${p.table}_${p.year}`),
    ...(e.billTypes ?? []).map((t) => `billTypes/${t.code}`),
    ...(e.printTemplates ?? []).map((t) => `printTemplates/${t.billCode}`),
    ...(e.invoicingPoints ?? []).map((p) => `invoicingPoints/${p.code}`),
    ...(e.paymentChannels ?? []).map((c) => `paymentChannels/${c.code}`),
    ...(e.codeMappings ?? []).map((m) => `codeMappings/${m.system}/${m.kind}/${m.local}`),
    ...(e.billStock ?? []).map((s) => `billStock/${s.billCode}/${s.batch}/${s.first}`),
    ...(e.roles ?? []).map((r) => `roles/${r.code}`),
    ...(e.operators ?? []).map((o) => `operators/${o.account}`),
  ];
}

const objects = () => registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));

describe("the Pulumi program on the sandbox stack", () => {
  it("declares exactly one resource per declared database object, in one component", () => {
    const names = expectedNames(env);
    expect(names.length).toBeGreaterThan(20);
    // Registration completes out of order (it is asynchronous): compare as sets, and count.
    expect(
      objects()
        .map((r) => r.name)
        .sort(),
    ).toEqual([...names].sort());
    expect(registered.filter((r) => r.type === "ebill-ops:index:Database").map((r) => r.name)).toEqual([
      "sandbox",
    ]);
    const hostParts = registered.filter(
      (r) => r.type.startsWith("command:") || r.type === "ebill-ops:index:Hosts",
    );
    expect(registered).toHaveLength(names.length + 1 + hostParts.length);
  });

  it("types each resource by its kind", () => {
    for (const r of objects()) expect(r.type).toBe(`pulumi-nodejs:dynamic/ebill-ops:${r.name.split("/")[0]}`);
  });

  it("gives each resource the stack reference, its id and the declared fields", () => {
    const point = objects().find((r) => r.name === "invoicingPoints/001")!;
    const declared = env.invoicingPoints!.find((p) => p.code === "001")!;
    expect(point.inputs).toMatchObject({
      stack: FIXTURE_STACK,
      kind: "invoicingPoints",
      objectId: "001",
      fields: {
        code: "001",
        name: declared.name,
        enabled: declared.enabled,
        billCodes: [...declared.billCodes].sort(),
      },
    });
    const stock = objects().find((r) => r.name.startsWith("billStock/"))!;
    expect(stock.inputs.fields).toMatchObject({ enabled: true });
    expect(typeof stock.inputs.__provider).toBe("string");
  });

  it("puts no secret value anywhere in the inputs, the serialised provider included", () => {
    const text = JSON.stringify(registered.map((r) => r.inputs));
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    // Not even the connection: the provider loads it from the stack at run time.
    expect(text).not.toContain(String(env.database.port));
    expect(text).not.toContain('"secret"');
  });
});

describe("the host side of the Pulumi program", () => {
  const commands = () => registered.filter((r) => r.type === "command:local:Command");

  it("declares one @pulumi/command resource per managed host, running the same Ansible limited to it", () => {
    const managed = env.hosts.filter((h) => h.os !== "windows").map((h) => h.name);
    expect(
      commands()
        .map((r) => r.name)
        .sort(),
    ).toEqual(managed.map((h) => `host/${h}`).sort());
    const app = commands().find((r) => r.name === "host/sbx-app")!;
    expect(app.inputs.create).toBe(
      `node bin/ebill-ops.mjs ansible --stack '${FIXTURE_STACK}' -- site.yml --limit 'sbx-app'`,
    );
    expect(app.inputs.dir).toBe(REPO_ROOT);
    expect(app.inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(registered.filter((r) => r.type === "ebill-ops:index:Hosts").map((r) => r.name)).toEqual([
      "sandbox",
    ]);
  });

  it("triggers a host's part again only when what it would apply changes", () => {
    const trigger = (e: Environment, tree = "tree-1") =>
      Object.fromEntries(hostParts(e, "sandbox", tree).map((p) => [p.host, p.trigger]));
    const same = trigger(structuredClone(env));
    expect(trigger(structuredClone(env))).toEqual(same);
    // Another printer on the print client, another role file, another host address: new triggers.
    const printer = structuredClone(env);
    printer.printComponents = printer.printComponents!.map((c) => ({ ...c, printer: "OKI_5200F" }));
    expect(trigger(printer)["sbx-print"]).not.toBe(same["sbx-print"]);
    expect(trigger(structuredClone(env), "tree-2")["sbx-app"]).not.toBe(same["sbx-app"]);
    const moved = structuredClone(env);
    moved.hosts = moved.hosts.map((h) => (h.name === "sbx-db" ? { ...h, address: "10.231.0.99" } : h));
    expect(trigger(moved)["sbx-db"]).not.toBe(same["sbx-db"]);
    // A secret's value is never part of it.
    process.env.EBILL_DB_PASSWORD = "another-password";
    expect(trigger(structuredClone(env))).toEqual(same);
    process.env.EBILL_DB_PASSWORD = secrets.EBILL_DB_PASSWORD;
  });

  it("hashes the playbooks and roles it runs", () => {
    expect(ansibleTreeHash()).toMatch(/^[0-9a-f]{64}$/);
    expect(ansibleTreeHash()).toBe(ansibleTreeHash());
  });
});

// Pulumi's own TypeScript support (ts-node) cannot load this ESM code with .ts imports and
// top-level await; the project file must hand it to tsx, and what the provider process loads at
// run time (tsx, @pulumi/pulumi) must be installed by `npm ci --omit=dev` too.
describe("Pulumi.yaml runs this program", () => {
  it("points at src/pulumi/index.ts and loads it with tsx, not ts-node", () => {
    const project = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      main: string;
      runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
    };
    expect(project.runtime.name).toBe("nodejs");
    expect(existsSync(path.join(REPO_ROOT, project.main, "index.ts"))).toBe(true);
    expect(project.runtime.options.typescript).toBe(false);
    expect(project.runtime.options.nodeargs.split(/\s+/)).toEqual(["--import", "tsx"]);
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(["tsx", "@pulumi/pulumi"]));
  });
});
