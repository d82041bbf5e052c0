/**
 * A small environment of the tests' own (never stacks/sandbox.ts): one point, one bill type of
 * the fixture year, interfaces on 127.0.0.1. Tests derive years from `hospital.fiscalYear`.
 */
import { Environment, type EnvironmentInput } from "../../src/model/environment.ts";

export const FIXTURE_YEAR = 2030;

export function fixtureEnv(
  kind: "production" | "test" | "sandbox",
  patch: Partial<EnvironmentInput> = {},
): Environment {
  const y = FIXTURE_YEAR;
  const code = `460601${String(y).slice(2)}`;
  return Environment.parse({
    name: `fixture-${kind}`,
    kind,
    hospital: { name: "测试医院", agencyCode: "TEST0001", regionCode: "469028", fiscalYear: y },
    hosts: [
      { name: "app1", address: "127.0.0.1", os: "debian-12", roles: ["app", "db", "signature", "file"] },
    ],
    database: {
      engine: "postgresql",
      host: "127.0.0.1",
      port: 5432,
      name: "ebill",
      user: "ebill",
      password: { secret: "EBILL_DB_PASSWORD" },
    },
    app: { version: "1.0.0" },
    interfaces: {
      his: { name: "HIS", url: "http://127.0.0.1:9/his" },
      fiscal: {
        url: "http://127.0.0.1:9/fiscal",
        appId: "TESTYY0000001",
        appKey: { secret: "FISCAL_APP_KEY" },
        specVersion: "V3.2.0",
      },
      signature: { host: "app1", port: 9443 },
      fileServer: { host: "app1" },
    },
    billTypes: [{ code, name: "门诊票据", kind: "outpatient", year: y, example: true }],
    printTemplates: [{ billCode: code, name: "门诊模板", version: `${y}.1`, paper: "A5" }],
    invoicingPoints: [{ code: "001", name: "门诊收费处", billCodes: [code] }],
    ...patch,
  });
}
