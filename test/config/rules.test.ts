import { describe, expect, it } from "vitest";
import { RULES, runRules } from "../../src/config/rules/index.ts";
import type { EnvironmentInput } from "../../src/model/environment.ts";
import { parsed, sandboxInput } from "./fixtures.ts";

const NOV = new Date("2026-11-26T10:00:00+08:00");

function findings(rule: keyof typeof RULES, mutate: (env: EnvironmentInput) => void, today = NOV) {
  const input = sandboxInput();
  mutate(input);
  return RULES[rule]!(parsed(input), { today, file: "stacks/x.ts" });
}

describe("the tests' sandbox-shaped fixture", () => {
  it("breaks no rule (so every failure below comes from the one thing each test breaks)", () => {
    expect(runRules(parsed(sandboxInput()), { today: NOV, file: "stacks/sandbox.ts" })).toEqual([]);
  });
});

describe("uniqueCodes", () => {
  it.each([
    [
      "invoicingPoints",
      (e: EnvironmentInput) => e.invoicingPoints!.push({ ...e.invoicingPoints![0]!, name: "重复" }),
      "invoicingPoints[3].code",
    ],
    [
      "paymentChannels",
      (e: EnvironmentInput) => e.paymentChannels!.push({ ...e.paymentChannels![1]! }),
      "paymentChannels[3].code",
    ],
    [
      "hosts",
      (e: EnvironmentInput) => e.hosts.push({ ...e.hosts[0]!, address: "10.231.0.99" }),
      "hosts[3].name",
    ],
    ["billTypes", (e: EnvironmentInput) => e.billTypes!.push({ ...e.billTypes![0]! }), "billTypes[2].code"],
    ["roles", (e: EnvironmentInput) => e.roles!.push({ ...e.roles![0]! }), "roles[2].code"],
    [
      "operators",
      (e: EnvironmentInput) => e.operators!.push({ ...e.operators![0]! }),
      "operators[2].account",
    ],
  ])(
    "reports a duplicate in %s with the path of the second and the index of the first",
    (_kind, mutate, path) => {
      const found = findings("uniqueCodes", mutate);
      expect(found.map((f) => f.path)).toContain(path);
      expect(found.find((f) => f.path === path)!.message).toMatch(/duplicate of \w+\[\d\]/);
    },
  );
});

describe("referencesResolve", () => {
  it.each([
    [
      "an invoicing point's bill type",
      (e: EnvironmentInput) => e.invoicingPoints![0]!.billCodes.push("46069926"),
      "invoicingPoints[0].billCodes[1]",
    ],
    [
      "stock's invoicing point",
      (e: EnvironmentInput) => (e.billStock![0]!.place = "999"),
      "billStock[0].place",
    ],
    [
      "stock's bill type",
      (e: EnvironmentInput) => (e.billStock![0]!.billCode = "46060199"),
      "billStock[0].billCode",
    ],
    [
      "a template's bill type",
      (e: EnvironmentInput) => (e.printTemplates![0]!.billCode = "46060199"),
      "printTemplates[0].billCode",
    ],
    [
      "an operator's role",
      (e: EnvironmentInput) => (e.operators![0]!.roles = ["nobody"]),
      "operators[0].roles[0]",
    ],
    [
      "an operator's invoicing point",
      (e: EnvironmentInput) => (e.operators![0]!.places = ["999"]),
      "operators[0].places[0]",
    ],
    [
      "a place mapping",
      (e: EnvironmentInput) => (e.codeMappings![0]!.local = "999"),
      "codeMappings[0].local",
    ],
    [
      "a partition's tablespace",
      (e: EnvironmentInput) => (e.partitions![0]!.tablespace = "ebill_1999"),
      "partitions[0].tablespace",
    ],
    [
      "the signature host",
      (e: EnvironmentInput) => (e.interfaces.signature.host = "nowhere"),
      "interfaces.signature.host",
    ],
  ])("reports a dangling reference from %s", (_what, mutate, path) => {
    expect(findings("referencesResolve", mutate).map((f) => f.path)).toEqual([path]);
  });

  it("requires the database address to be a db host's outside the sandbox", () => {
    const found = findings("referencesResolve", (e) => {
      e.kind = "test";
      e.database.host = "10.231.0.11";
    });
    expect(found).toEqual([
      {
        path: "database.host",
        message: expect.stringMatching(/not the address of a host with the 'db' role/),
      },
    ]);
  });

  it("requires the file server host to have the file role", () => {
    const found = findings("referencesResolve", (e) => (e.interfaces.fileServer.host = "sbx-app"));
    expect(found[0]!.message).toMatch(/must have the 'file' role/);
  });
});

describe("billCodeStructure", () => {
  it("requires the region prefix of the hospital", () => {
    const found = findings("billCodeStructure", (e) => {
      e.billTypes![0]!.code = "44060126";
    });
    expect(found).toEqual([{ path: "billTypes[0].code", message: expect.stringMatching(/needs 46/) }]);
  });
  it("requires the year suffix of the bill type's year", () => {
    const found = findings("billCodeStructure", (e) => {
      e.billTypes![0]!.code = "46060125";
    });
    expect(found).toEqual([
      { path: "billTypes[0].code", message: expect.stringMatching(/year 2026 needs 26/) },
    ]);
  });
});

describe("billStockRanges", () => {
  it("refuses a range whose first number is after its last", () => {
    const found = findings("billStockRanges", (e) => (e.billStock![0]!.first = "0000090000"));
    expect(found.map((f) => f.path)).toContain("billStock[0].first");
  });
  it("refuses overlapping ranges of one bill code, naming both", () => {
    const found = findings("billStockRanges", (e) =>
      e.billStock!.push({
        billCode: "46060126",
        batch: "2026-02",
        first: "0000049990",
        last: "0000049999",
        place: "001",
      }),
    );
    expect(found).toEqual([
      { path: "billStock[3]", message: expect.stringMatching(/overlaps billStock\[0\]/) },
    ]);
  });
  it("allows the same numbers under different bill codes", () => {
    expect(findings("billStockRanges", () => {})).toEqual([]);
  });
});

describe("mappingsComplete", () => {
  it("names the enabled channel without a fiscal mapping", () => {
    const found = findings("mappingsComplete", (e) => {
      e.codeMappings = e.codeMappings!.filter((m) => !(m.system === "fiscal" && m.local === "05"));
    });
    expect(found).toEqual([
      { path: "paymentChannels[1]", message: expect.stringMatching(/'05' has no fiscal mapping/) },
    ]);
  });
  it("does not require mappings of a disabled invoicing point", () => {
    const found = findings("mappingsComplete", (e) => {
      e.invoicingPoints![2]!.enabled = false;
      e.codeMappings = e.codeMappings!.filter((m) => m.local !== "00000");
    });
    expect(found).toEqual([]);
  });
});

describe("yearReadiness", () => {
  const dropYear = (e: EnvironmentInput) => {
    e.tablespaces = [];
    e.partitions = [];
  };
  it("requires the tablespace and partitions of the year in operation", () => {
    const found = findings("yearReadiness", dropYear);
    expect(found.map((f) => f.message)).toEqual([
      expect.stringMatching(/no tablespace for 2026/),
      expect.stringMatching(/no 2026 partition of table 'bill'/),
      expect.stringMatching(/no 2026 partition of table 'bill_detail'/),
    ]);
  });
  it("never depends on the date: a pull request valid on 30 November is valid on 22 December", () => {
    // Next year is not declared; what the calendar asks is the year-end banner's (test/rollover/banner.test.ts).
    for (const day of [
      "2026-11-30T12:00:00+08:00",
      "2026-12-01T09:00:00+08:00",
      "2026-12-22T10:00:00+08:00",
      "2027-01-02T10:00:00+08:00",
    ])
      expect(findings("yearReadiness", () => {}, new Date(day))).toEqual([]);
  });
  it("still finds the year in operation incomplete on any date", () => {
    for (const day of ["2026-06-15T12:00:00+08:00", "2026-12-25T12:00:00+08:00"])
      expect(findings("yearReadiness", dropYear, new Date(day)).map((f) => f.path)).toEqual([
        "tablespaces",
        "partitions",
        "partitions",
      ]);
  });
});

describe("templatesForEnabledBillTypes", () => {
  it("requires a template for every enabled bill type", () => {
    const found = findings("templatesForEnabledBillTypes", (e) => e.printTemplates!.pop());
    expect(found).toEqual([
      { path: "billTypes[1]", message: expect.stringMatching(/46060226.*no print template/) },
    ]);
  });
  it("does not require one for a disabled bill type", () => {
    const found = findings("templatesForEnabledBillTypes", (e) => {
      e.printTemplates!.pop();
      e.billTypes![1]!.enabled = false;
    });
    expect(found).toEqual([]);
  });
});

describe("requiredHostRoles", () => {
  it("requires an app host and a db host", () => {
    const found = findings("requiredHostRoles", (e) => {
      e.hosts = e.hosts.map((h) => ({ ...h, roles: h.roles.filter((r) => r !== "db") }));
      e.hosts[1]!.roles = ["file"];
    });
    expect(found).toEqual([{ path: "hosts", message: expect.stringMatching(/'db' role/) }]);
  });
});

describe("hostKeysPinned", () => {
  it("requires pinned host keys outside the sandbox", () => {
    const found = findings("hostKeysPinned", (e) => (e.kind = "test"));
    expect(found.map((f) => f.path)).toEqual([
      "hosts[0].ssh.hostKey",
      "hosts[1].ssh.hostKey",
      "hosts[2].ssh.hostKey",
    ]);
  });
});

describe("backupHostManaged", () => {
  const withBackup = (host: string) => (e: EnvironmentInput) => {
    e.maintenance = { ...e.maintenance, backup: { host } };
  };
  it("needs the backup host among the stack's managed hosts, and warns when it is the file host", () => {
    expect(findings("backupHostManaged", withBackup("sbx-print"))).toEqual([]);
    expect(findings("backupHostManaged", withBackup("sbx-backup"))).toEqual([
      {
        path: "maintenance.backup.host",
        message: "no host 'sbx-backup' in hosts[]; name the host that keeps the backups",
      },
    ]);
    const onFileHost = findings("backupHostManaged", withBackup("sbx-db"));
    expect(onFileHost).toMatchObject([{ path: "maintenance.backup.host", severity: "warning" }]);
    expect(findings("backupHostManaged", () => {})).toEqual([]);
  });
});

describe("exampleCodesFlagged", () => {
  it("warns (without failing) about example bill codes in production", () => {
    const found = findings("exampleCodesFlagged", (e) => (e.kind = "production"));
    expect(found.length).toBe(2);
    expect(found.every((f) => f.severity === "warning")).toBe(true);
  });
});
