import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dump } from "js-yaml";
import { loadStack, resolveStackFile } from "../../src/config/load.ts";
import { sandboxInput } from "./fixtures.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { outputSync } from "../../src/base/exec.ts";

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
    const fromTs = await loadStack(FIXTURE_STACK, { today });
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

/** Tests break stacks on purpose, into shapes no type allows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** Writes the sandbox declaration (changed by `mutate`) as JSON and loads it. */
async function loadChanged(name: string, mutate: (e: Loose) => void) {
  const input = sandboxInput() as unknown as Loose;
  mutate(input);
  return loadStack(await stackFile(name, JSON.stringify(input)), { today });
}

describe("time zones", () => {
  it.each(["Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "PRC", "UTC"])(
    "%s (a canonical name or an alias the runtime knows) is accepted",
    async (zone) => {
      const result = await loadChanged(`zone-${zone.replace("/", "-")}.json`, (e) => {
        e.maintenance = { timezone: zone };
      });
      expect(result.issues).toEqual([]);
      expect(result.ok).toBe(true);
    },
  );
});

describe("special files are refused by the loader, with what they are", () => {
  it("a directory", async () => {
    const folder = path.join(dir, "folder.json");
    await mkdir(folder, { recursive: true });
    const result = await loadStack(folder, { today });
    expect(result.issues).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/this path is a directory, not a stack file/),
      }),
    ]);
  });

  it("a FIFO, without blocking on it", async () => {
    const fifo = path.join(dir, "fifo.yaml");
    outputSync("mkfifo", [fifo]);
    const result = await loadStack(fifo, { today });
    expect(result.issues[0]!.message).toMatch(/this path is a named pipe \(FIFO\), not a stack file/);
  });

  it("/dev/zero", async () => {
    const result = await loadStack("/dev/zero", { today });
    expect(result.issues[0]!.message).toMatch(/this path is a device, not a stack file/);
  });

  it("a stack file linked to a secret outside the project, or into a hidden folder, is never read", async () => {
    const project = path.join(dir, "linked-project");
    await mkdir(path.join(project, ".sandbox"), { recursive: true });
    await writeFile(path.join(project, "package.json"), "{}");
    await writeFile(path.join(project, ".sandbox", "secrets.env"), "EBILL_DB_PASSWORD=linked-secret-3b9e\n");
    await symlink(path.join(project, ".sandbox", "secrets.env"), path.join(project, "hidden.yaml"));
    await symlink("/etc/passwd", path.join(project, "outside.yaml"));
    const hidden = await loadStack(path.join(project, "hidden.yaml"), { today });
    const outside = await loadStack(path.join(project, "outside.yaml"), { today });
    expect(hidden.issues[0]!.message).toMatch(/inside the hidden '\.sandbox'/);
    expect(outside.issues[0]!.message).toMatch(/resolves to \/etc\/passwd, outside the stack's project/);
    expect(JSON.stringify([hidden, outside])).not.toContain("linked-secret-3b9e");
  });
});

describe("deep nesting is refused with a message, not a stack overflow", () => {
  it("JSON nested 10,000 deep", async () => {
    const text = `{"name": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const result = await loadStack(await stackFile("deep.json", text), { today });
    expect(result.issues).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/^name(\[0\])+$/),
        message: expect.stringMatching(/nested more than 64 levels deep/),
      }),
    ]);
  });

  it("YAML nested 10,000 deep", async () => {
    const text = `name: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`;
    const result = await loadStack(await stackFile("deep.yaml", text), { today });
    expect(result.issues[0]!.message).toMatch(/nested more than 64 levels deep/);
  });
});

describe("values the database or a reviewer would trip on are refused, naming the path", () => {
  it.each([
    [
      "NUL in a name",
      (e: Loose) => (e.invoicingPoints[0].name = "门诊\u0000收费处"),
      "invoicingPoints[0].name",
      /U\+0000 NUL .*PostgreSQL cannot store/,
    ],
    [
      "a lone surrogate",
      (e: Loose) => (e.paymentChannels[1].name = "微信\ud800"),
      "paymentChannels[1].name",
      /lone surrogate \(U\+D800\).*U\+FFFD/,
    ],
    [
      "a right-to-left override",
      (e: Loose) => (e.hosts[0].description = "app \u202e10.0.0.1"),
      "hosts[0].description",
      /U\+202E RIGHT-TO-LEFT OVERRIDE/,
    ],
    [
      "a terminal escape",
      (e: Loose) => (e.hospital.name = "医院\u001b[2J"),
      "hospital.name",
      /control character U\+001B ESCAPE/,
    ],
    [
      "a line break in a freeze reason",
      (e: Loose) =>
        (e.maintenance = { freezes: [{ from: "12-31T18:00", to: "01-01T08:00", reason: "年结\n封网" }] }),
      "maintenance.freezes[0].reason",
      /LINE FEED/,
    ],
    [
      "a zero-width space in a code's name",
      (e: Loose) => (e.billTypes[0].name = "门诊\u200b票据"),
      "billTypes[0].name",
      /ZERO WIDTH SPACE/,
    ],
    [
      "a pg_ tablespace",
      (e: Loose) => (e.tablespaces[0].name = "pg_ebill_2026"),
      "tablespaces[0].name",
      /must not start with 'pg_'/,
    ],
    [
      "a pg_ database user",
      (e: Loose) => (e.database.user = "pg_ebill"),
      "database.user",
      /must not start with 'pg_'/,
    ],
    [
      "credentials inside a URL",
      (e: Loose) => (e.interfaces.fiscal.url = "https://ebill:s3cret@10.231.0.11:9091/fiscal"),
      "interfaces.fiscal.url",
      /must not carry a user name or password/,
    ],
    [
      "an impossible freeze 99-99T99:99",
      (e: Loose) =>
        (e.maintenance = { freezes: [{ from: "99-99T99:99", to: "01-01T08:00", reason: "年结" }] }),
      "maintenance.freezes[0].from",
      /a date and time that exists/,
    ],
    [
      "30 February",
      (e: Loose) => (e.maintenance = { freezes: [{ from: "02-30T18:00", to: "03-01T08:00", reason: "x" }] }),
      "maintenance.freezes[0].from",
      /a day of that month/,
    ],
    [
      "an unknown time zone",
      (e: Loose) => (e.maintenance = { timezone: "Asia/Beijing" }),
      "maintenance.timezone",
      /known IANA time zone such as Asia\/Shanghai; found the text "Asia\/Beijing"/,
    ],
  ])("%s", async (_what, mutate, where, message) => {
    const result = await loadChanged("trip.json", mutate);
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(
      expect.objectContaining({ path: where, message: expect.stringMatching(message) }),
    );
  });

  it("a character problem in a key is named too", async () => {
    const text = JSON.stringify(sandboxInput()).replace('"hospital":', '"hospital\\u202e":');
    const result = await loadStack(await stackFile("key.json", text), { today });
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        path: "hospital\u202e",
        message: expect.stringMatching(/^the key contains the invisible or bidirectional mark U\+202E/),
      }),
    );
  });

  it("a JSON key written twice: a reviewer sees channel 05 enabled, the tool would disable it", async () => {
    const text = JSON.stringify(sandboxInput(), null, 2).replace(
      /("code": "05",\n\s*"name": "微信",)/,
      '$1\n      "enabled": true,\n      "enabled": false,',
    );
    expect(text).toContain('"enabled": false');
    const result = await loadStack(await stackFile("dup.json", text), { today });
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        path: "paymentChannels[1].enabled",
        message: expect.stringMatching(/the key 'enabled' is written twice \(lines \d+ and \d+\)/),
      }),
    );
  });

  it("a YAML key written twice, with its path", async () => {
    const text = dump(sandboxInput()).replace(
      /(- code: '05'\n(\s+)name: 微信\n)/,
      "$1$2enabled: true\n$2enabled: false\n",
    );
    expect(text).toContain("enabled: false");
    const result = await loadStack(await stackFile("dup.yaml", text), { today });
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        path: "paymentChannels[1].enabled",
        message: expect.stringMatching(/written twice/),
      }),
    );
  });
});

describe("a value of the wrong type says what was expected and what was found", () => {
  it.each([
    [
      "a port in quotes",
      (e: Loose) => (e.database.port = "5432"),
      "database.port",
      'expected a number, found the text "5432"; write the number without quotes',
    ],
    [
      "a fractional port",
      (e: Loose) => (e.app.port = 8081.5),
      "app.port",
      "expected a whole number, found 8081.5",
    ],
    [
      "a port out of range",
      (e: Loose) => (e.app.port = 99999),
      "app.port",
      "must be at most 65535, found 99999",
    ],
    [
      "an enum typo",
      (e: Loose) => (e.kind = "prod"),
      "kind",
      'expected one of production, test, sandbox, found the text "prod"',
    ],
    [
      "a host that is neither an address nor localhost",
      (e: Loose) => (e.database.host = 5),
      "database.host",
      'expected text, or "localhost", found 5',
    ],
  ])("%s", async (_what, mutate, where, message) => {
    const result = await loadChanged("types.json", mutate);
    expect(result.issues).toContainEqual(expect.objectContaining({ path: where, message }));
    expect(result.issues.map((i) => i.message)).not.toContain("required field is missing");
  });

  it("a number too large to represent (1e309)", async () => {
    const text = JSON.stringify(sandboxInput()).replace('"port":54329', '"port":1e309');
    const result = await loadStack(await stackFile("huge-number.json", text), { today });
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        path: "database.port",
        message: "expected a number, found a number too large to represent (Infinity)",
      }),
    );
  });

  it("a plaintext password where a secret reference belongs, without echoing it", async () => {
    const result = await loadChanged("password.json", (e) => (e.database.password = "hunter2-plain"));
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        path: "database.password",
        message: expect.stringMatching(
          /^expected a secret reference such as \{ secret: "EBILL_DB_PASSWORD" \}.*found a plain text value \(not shown\)/,
        ),
      }),
    );
    expect(JSON.stringify(result.issues)).not.toContain("hunter2-plain");
  });

  it("a top-level null", async () => {
    const result = await loadStack(await stackFile("null.json", "null"), { today });
    expect(result.issues).toEqual([
      expect.objectContaining({
        path: "",
        message: "expected the stack as one object (`export default defineEnvironment({...})`), found null",
      }),
    ]);
  });

  it("a field that is really missing is still called missing", async () => {
    const result = await loadChanged("missing.json", (e) => delete e.database.user);
    expect(result.issues).toContainEqual(
      expect.objectContaining({ path: "database.user", message: "required field is missing" }),
    );
  });
});

describe("validation reports every problem at once", () => {
  it("a wrong kind does not hide two dangling references", async () => {
    const result = await loadChanged("all-at-once.json", (e) => {
      e.kind = "prodution";
      e.billStock[0].place = "404";
      e.operators[0].roles = ["nobody"];
    });
    expect(result.issues.map((i) => `${i.rule} ${i.path}`).sort()).toEqual([
      "referencesResolve billStock[0].place",
      "referencesResolve operators[0].roles[0]",
      "schema kind",
    ]);
  });

  it("a refused list element is neither reported again as missing nor shifts the paths of the others", async () => {
    const result = await loadChanged("element.json", (e) => {
      e.billTypes.push({ ...e.billTypes[0], code: "4606012", year: 2026 }); // 7 digits: refused by the schema
      e.billStock.unshift({ ...e.billStock[0], first: "x" }); // refused: billStock[0]
      e.billStock[2].place = "404"; // was billStock[1]; reported at its index in the file
    });
    const issues = result.issues.map((i) => `${i.rule} ${i.path}`);
    expect(issues).toContain("referencesResolve billStock[2].place");
    expect(issues).toContain("schema billStock[0].first");
    expect(issues.filter((i) => i.startsWith("referencesResolve"))).toEqual([
      "referencesResolve billStock[2].place",
    ]);
  });
});

describe("real catalog sizes load (the caps stop bombs, not hospitals)", () => {
  it("100,000 charge-item mappings and 20,000 stock ranges validate", async () => {
    const input = sandboxInput();
    for (let i = 0; i < 100_000; i++)
      input.codeMappings!.push({
        system: "his",
        kind: "charge-item",
        local: `C${100000 + i}`,
        remote: `SF${i}`,
        remoteName: `收费项目${i}`,
      });
    const billCode = input.billStock![0]!.billCode;
    for (let i = 0; i < 20_000; i++) {
      const first = 5_000_000_000 + i * 1000;
      input.billStock!.push({
        billCode,
        batch: "B2026",
        first: String(first),
        last: String(first + 999),
        place: "001",
      });
    }
    const result = await loadStack(await stackFile("catalog.json", JSON.stringify(input, null, 2)), {
      today,
    });
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
