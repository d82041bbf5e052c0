// The committed JSON Schema (schemas/environment.schema.json, what an editor and CI check a stack
// with) and the zod model (what the loader checks with) give every fixture the same verdict.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Environment, isKnownTimeZone, TIME_ZONE_FORMAT } from "../../src/model/environment.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import sandboxFixture from "../fixtures/stacks/sandbox.ts";
import calendarFixture from "../fixtures/stacks/calendar.ts";
import { productionInput, sandboxInput } from "./fixtures.ts";

const committed = JSON.parse(readFileSync(path.join(REPO_ROOT, "schemas/environment.schema.json"), "utf8"));
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat(TIME_ZONE_FORMAT, isKnownTimeZone);
const schemaAccepts = ajv.compile(committed);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stack broken on purpose
type Loose = any;

/** A fixture as the loader sees a .ts stack: the plain JSON its evaluation hands back. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const valid: [string, unknown][] = [
  ["test/fixtures/stacks/sandbox.ts", asJson(sandboxFixture)],
  ["test/fixtures/stacks/calendar.ts", asJson(calendarFixture)],
  ["the production-shaped fixture", productionInput()],
  ["the sandbox fixture with no optional section", withoutOptional()],
];

function withoutOptional(): unknown {
  const input: Loose = sandboxInput();
  delete input.maintenance;
  delete input.database.schema;
  return input;
}

function broken(mutate: (e: Loose) => void): unknown {
  const input = sandboxInput();
  mutate(input);
  return input;
}

/** One breakage for every kind of check the model makes on a field. */
const invalid: [string, unknown][] = [
  ["a top-level null", null],
  ["a list where the stack belongs", []],
  ["a missing field", broken((e) => delete e.hospital)],
  ["an unknown field (a typo)", broken((e) => (e.hospitl = e.hospital))],
  ["a number where text belongs", broken((e) => (e.hospital.name = 42))],
  ["an unknown kind", broken((e) => (e.kind = "staging"))],
  ["a name with upper case", broken((e) => (e.name = "Sandbox"))],
  ["a year before 2019", broken((e) => (e.hospital.fiscalYear = 2018))],
  ["a fractional port", broken((e) => (e.hosts[0].ssh = { ...e.hosts[0].ssh, port: 22.5 }))],
  ["an IPv4 address out of range", broken((e) => (e.hosts[0].address = "10.231.0.256"))],
  ["a plaintext password", broken((e) => (e.database.password = "s3cret"))],
  ["a secret name in lower case", broken((e) => (e.database.password = { secret: "db_password" }))],
  ["a pg_ tablespace", broken((e) => (e.tablespaces[0].name = "pg_ebill_2026"))],
  ["a pg_ database user", broken((e) => (e.database.user = "pg_ebill"))],
  ["an ftp:// HIS", broken((e) => (e.interfaces.his.url = "ftp://10.231.0.11/his"))],
  ["a URL with no scheme", broken((e) => (e.interfaces.his.url = "10.231.0.11/his"))],
  [
    "credentials inside a URL",
    broken((e) => (e.interfaces.fiscal.url = "https://ebill:s3cret@10.231.0.11:9091/fiscal")),
  ],
  ["a user name inside a URL", broken((e) => (e.interfaces.his.url = "http://ebill@10.231.0.11/his"))],
  ["a path that climbs out", broken((e) => (e.tablespaces[0].location = "/data/../etc"))],
  [
    "an impossible freeze 99-99T99:99",
    broken(
      (e) => (e.maintenance = { freezes: [{ from: "99-99T99:99", to: "01-01T08:00", reason: "年结" }] }),
    ),
  ],
  [
    "30 February",
    broken((e) => (e.maintenance = { freezes: [{ from: "02-30T18:00", to: "03-01T08:00", reason: "x" }] })),
  ],
  [
    "31 April",
    broken((e) => (e.maintenance = { freezes: [{ from: "04-31T18:00", to: "05-01T08:00", reason: "x" }] })),
  ],
  [
    "24:00 in a freeze",
    broken((e) => (e.maintenance = { freezes: [{ from: "12-31T24:00", to: "01-01T08:00", reason: "x" }] })),
  ],
  ["an unknown time zone", broken((e) => (e.maintenance = { timezone: "Asia/Beijing" }))],
  [
    "an empty list of days",
    broken((e) => (e.maintenance = { changeWindows: [{ days: [], start: "22:00", end: "06:00" }] })),
  ],
];

/** Values at the edge of a check, which both must accept. */
const acceptedEdges: [string, unknown][] = [
  [
    "29 February (a yearly freeze that is real every fourth year)",
    broken((e) => (e.maintenance = { freezes: [{ from: "02-29T18:00", to: "03-01T08:00", reason: "x" }] })),
  ],
  [
    "an @ in a URL's path, not before its host",
    broken((e) => (e.interfaces.his.url = "http://10.231.0.11/his@v2")),
  ],
  [
    "an upper-case scheme, as the URL parser reads it",
    broken((e) => (e.interfaces.his.url = "HTTPS://10.231.0.11/his")),
  ],
  ["a name that only contains pg_", broken((e) => (e.tablespaces[0].name = "ebill_pg_2026"))],
];

describe("the committed JSON Schema gives every fixture the loader's verdict", () => {
  it.each([...valid, ...acceptedEdges])("both accept %s", (_what, stack) => {
    expect(Environment.safeParse(stack).success).toBe(true);
    expect(schemaAccepts(stack), JSON.stringify(schemaAccepts.errors)).toBe(true);
  });

  it.each(invalid)("both refuse %s", (_what, stack) => {
    expect(Environment.safeParse(stack).success).toBe(false);
    expect(schemaAccepts(stack)).toBe(false);
  });

  it("refuses ftp:// at interfaces.his.url, as the loader does", () => {
    const stack = broken((e) => (e.interfaces.his.url = "ftp://10.231.0.11/his"));
    expect(schemaAccepts(stack)).toBe(false);
    expect(schemaAccepts.errors?.map((e) => e.instancePath)).toContain("/interfaces/his/url");
  });

  // What a pattern cannot say: the URL parser's own refusals after a well-formed start. The test
  // names them so that a new refinement the schema loses shows up here, not in an editor.
  it("differs only where the URL parser refuses what starts as a good URL", () => {
    const portTooLarge = broken((e) => (e.interfaces.his.url = "http://10.231.0.11:99999/his"));
    expect(Environment.safeParse(portTooLarge).success).toBe(false);
    expect(schemaAccepts(portTooLarge)).toBe(true);
  });
});
