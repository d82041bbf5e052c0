import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dump } from "js-yaml";
import { loadStack, resolveStackFile } from "../../src/config/load.ts";
import { sandboxInput } from "./fixtures.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ebill-load-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stackFile(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

const today = new Date("2026-11-26T10:00:00+08:00");

describe("the same declaration as .ts, .json and .yaml", () => {
  it("loads to the same environment from each format", async () => {
    const fromTs = await loadStack(path.resolve("stacks/sandbox.ts"), { today });
    const fromJson = await loadStack(await stackFile("s.json", JSON.stringify(sandboxInput())), { today });
    const fromYaml = await loadStack(await stackFile("s.yaml", dump(sandboxInput())), { today });
    expect(fromTs.ok && fromJson.ok && fromYaml.ok).toBe(true);
    if (fromTs.ok && fromJson.ok && fromYaml.ok) {
      expect(fromJson.env).toEqual(fromTs.env);
      expect(fromYaml.env).toEqual(fromTs.env);
    }
  });

  it("keeps secret references as plain data through JSON and YAML", async () => {
    const result = await loadStack(await stackFile("r.yaml", dump(sandboxInput())), { today });
    expect(result.ok && result.env.database.password).toEqual({ secret: "EBILL_DB_PASSWORD" });
  });
});

describe("bad files get one clear error, no crash or hang", () => {
  it("malformed YAML names the file and the line", async () => {
    const result = await loadStack(await stackFile("bad.yaml", "name: x\nhosts: [\n  - a\n"), { today });
    expect(result.ok).toBe(false);
    expect(result.issues[0]!.file).toMatch(/bad\.yaml$/);
    expect(result.issues[0]!.message).toMatch(/cannot read YAML/);
  });

  it("malformed JSON", async () => {
    const result = await loadStack(await stackFile("bad.json", '{"name": "x",'), { today });
    expect(result.issues).toEqual([
      expect.objectContaining({ rule: "parse", message: expect.stringMatching(/cannot read JSON/) }),
    ]);
  });

  it("an alias bomb is refused quickly", async () => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    const started = Date.now();
    const result = await loadStack(await stackFile("bomb.yaml", lines.join("\n") + "\n"), { today });
    expect(result.ok).toBe(false);
    expect(result.issues[0]!.message).toMatch(/alias|nodes/i);
    expect(Date.now() - started).toBeLessThan(10_000); // generous: a bomb would run for hours
  });

  it.each(["__proto__", "constructor", "prototype"])("a '%s' key is refused with its path", async (key) => {
    const text = JSON.stringify(sandboxInput()).replace(
      '"name":"sbx-app"',
      `"name":"sbx-app","${key}":{"polluted":true}`,
    );
    const result = await loadStack(await stackFile(`proto-${key}.json`, text), { today });
    expect(result.issues).toEqual([
      expect.objectContaining({ path: `hosts[0].${key}`, message: expect.stringMatching(/not allowed/) }),
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("wrong types are reported with their paths, all at once", async () => {
    const input = sandboxInput() as unknown as Record<string, unknown>;
    (input.hospital as Record<string, unknown>).fiscalYear = "2026";
    (input.app as Record<string, unknown>).port = 99999;
    (input as { hosts: Record<string, unknown>[] }).hosts[1]!.address = "10.231.0.300";
    const result = await loadStack(await stackFile("types.json", JSON.stringify(input)), { today });
    expect(result.issues.map((i) => i.path).sort()).toEqual([
      "app.port",
      "hospital.fiscalYear",
      "hosts[1].address",
    ]);
  });

  it("an unknown field (a typo) is named", async () => {
    const input = sandboxInput() as unknown as Record<string, unknown>;
    input.paymentChanels = [];
    const result = await loadStack(await stackFile("typo.json", JSON.stringify(input)), { today });
    expect(result.issues[0]!.message).toMatch(/unknown field 'paymentChanels'/);
  });

  it("a 50 MB file is refused before it is read", async () => {
    const file = path.join(dir, "huge.json");
    await writeFile(file, Buffer.alloc(50 * 1024 * 1024, 0x20));
    const result = await loadStack(file, { today });
    expect(result.issues[0]!.message).toMatch(/50\.0 MB; a stack with its imports is at most 32\.0 MB/);
  });

  it("a missing file", async () => {
    const result = await loadStack(path.join(dir, "nope.yaml"), { today });
    expect(result.issues[0]!.message).toMatch(/file not found/);
  });

  it("a .ts file without a default export", async () => {
    const result = await loadStack(await stackFile("nodefault.ts", "export const x = 1;\n"), { today });
    expect(result.issues[0]!.message).toMatch(/export default defineEnvironment/);
  });
});

describe("values that would reach SQL or a shell", () => {
  it.each([
    [
      "a tablespace name with a quote",
      (e: ReturnType<typeof sandboxInput>) => (e.tablespaces![0]!.name = `ebill_2026"; DROP TABLE bill; --`),
      "tablespaces[0].name",
    ],
    [
      "a tablespace location with a space and $()",
      (e: ReturnType<typeof sandboxInput>) => (e.tablespaces![0]!.location = "/data/$(rm -rf /) x"),
      "tablespaces[0].location",
    ],
    [
      "a location escaping with ..",
      (e: ReturnType<typeof sandboxInput>) => (e.tablespaces![0]!.location = "/data/../etc"),
      "tablespaces[0].location",
    ],
    [
      "a database name with a semicolon",
      (e: ReturnType<typeof sandboxInput>) => (e.database.name = "ebill;drop"),
      "database.name",
    ],
    [
      "a database user in upper case with quotes",
      (e: ReturnType<typeof sandboxInput>) => (e.database.user = 'Ebill"x'),
      "database.user",
    ],
    [
      "an invoicing point code with a quote",
      (e: ReturnType<typeof sandboxInput>) => (e.invoicingPoints![0]!.code = "001'--"),
      "invoicingPoints[0].code",
    ],
    [
      "a literal password instead of a secret reference",
      (e: ReturnType<typeof sandboxInput>) => ((e.database as { password: unknown }).password = "hunter2"),
      "database.password",
    ],
    [
      "a malformed URL",
      (e: ReturnType<typeof sandboxInput>) => (e.interfaces.his.url = "javascript:alert(1)"),
      "interfaces.his.url",
    ],
  ])("refuses %s", async (_what, mutate, pathInStack) => {
    const input = sandboxInput();
    mutate(input);
    const result = await loadStack(await stackFile("hostile.json", JSON.stringify(input)), { today });
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.path)).toContain(pathInStack);
  });
});

describe("resolveStackFile", () => {
  it("finds a stack by name under stacks/", async () => {
    expect(await resolveStackFile("lingshui-prod")).toBe(path.resolve("stacks/lingshui-prod.ts"));
  });
  it("lists the known stacks when the name is wrong", async () => {
    await expect(resolveStackFile("lingshui-prd")).rejects.toThrow(
      /known: lingshui-prod, lingshui-test, sandbox/,
    );
  });
});
