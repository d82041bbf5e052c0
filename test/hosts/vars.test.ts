// The stack's declaration as the roles' variables: what a hospital declares reaches the role
// (the inventory is regenerated from the stack, so the stack is the one place to declare it).
import { describe, expect, it } from "vitest";
import { hostVars } from "../../src/hosts/vars.ts";
import { parsed, sandboxInput } from "../config/fixtures.ts";

const connection = { serviceManager: "systemd", testHosts: true } as const;

describe("time servers", () => {
  it("the stack's maintenance.ntpServers become the baseline role's servers", () => {
    const input = sandboxInput();
    input.maintenance = { ...input.maintenance, ntpServers: ["10.231.0.1", "ntp.example.cn"] };
    expect(hostVars(parsed(input), connection)).toMatchObject({
      baseline_ntp_servers: ["10.231.0.1", "ntp.example.cn"],
    });
  });

  it("without them the role keeps its defaults (no variable is passed)", () => {
    const input = sandboxInput();
    delete input.maintenance?.ntpServers;
    expect(hostVars(parsed(input), connection)).not.toHaveProperty("baseline_ntp_servers");
  });
});

describe("the product version", () => {
  it("is not host configuration: a changed app.version changes no role variable of real servers", () => {
    const input = sandboxInput();
    const production = { serviceManager: "systemd", testHosts: false } as const;
    const before = hostVars(parsed(input), production);
    input.app = { ...input.app, version: "9.9.9" };
    expect(hostVars(parsed(input), production)).toEqual(before);
  });
});
