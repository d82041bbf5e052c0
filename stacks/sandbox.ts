// The local sandbox hospital: `ebill-ops sandbox up` serves its database on 127.0.0.1 and the
// test-host harness makes its hosts in network namespaces (10.231.0.0/24, only inside them).
//
// It follows the calendar: its fiscal year is the current year in the hospital's time zone
// (EBILL_OPS_TODAY rehearses another day), so `npm run demo` works on any date. Next year is not
// declared in advance: `ebill-ops rollover prepare --stack sandbox --year <next>` adds it as
// stacks/sandbox/year-<next>.ts, listed below in calendarYears(...): the year-end rehearsal.
import { defineEnvironment, secret, calendarYears, withYears } from "../src/model/compose.ts";
import { currentYear } from "../src/base/time.ts";
import sandboxYear, { outpatientCode } from "./sandbox/year.ts";

// In the hospital's time zone (Asia/Shanghai, the default of maintenance.timezone).
const year = currentYear();

export default defineEnvironment(
  withYears(
    {
      name: "sandbox",
      kind: "sandbox",
      hospital: { name: "沙箱演示医院", agencyCode: "SANDBOX0001", regionCode: "469028", fiscalYear: year },
      hosts: [
        { name: "sbx-app", address: "10.231.0.11", os: "debian-12", roles: ["app", "proxy"] },
        { name: "sbx-db", address: "10.231.0.12", os: "debian-12", roles: ["db", "file"] },
        { name: "sbx-print", address: "10.231.0.13", os: "debian-12", roles: ["print-client", "signature"] },
      ],
      database: {
        engine: "postgresql",
        host: "127.0.0.1",
        port: 54329,
        name: "ebill",
        user: "ebill",
        password: secret("EBILL_DB_PASSWORD"),
      },
      app: { version: "1.0.3", port: 8081, contextPath: "/medical-web" },
      interfaces: {
        his: { name: "沙箱HIS", url: "http://10.231.0.11:9090/his" },
        fiscal: {
          url: "http://10.231.0.11:9091/fiscal",
          appId: "SBXYY0000001",
          appKey: secret("FISCAL_APP_KEY"),
          specVersion: "V3.2.0",
        },
        push: { url: "http://10.231.0.11:9092/push", channels: ["sms", "email"] },
        signature: { host: "sbx-print", port: 9443 },
        fileServer: { host: "sbx-db", archiveRoot: "/data/ebill/archive" },
      },
      invoicingPoints: [
        { code: "001", name: "门诊收费处", billCodes: [] },
        { code: "002", name: "住院收费处", billCodes: [] },
        { code: "00000", name: "自助机", billCodes: [] },
      ],
      paymentChannels: [
        { code: "02", name: "现金", kind: "cash" },
        { code: "05", name: "微信", kind: "wechat" },
        { code: "11", name: "医保", kind: "medical-insurance" },
      ],
      codeMappings: [
        { system: "his", kind: "place", local: "001", remote: "MZ01" },
        { system: "his", kind: "place", local: "002", remote: "ZY01" },
        { system: "his", kind: "place", local: "00000", remote: "ZZJ01" },
        { system: "fiscal", kind: "place", local: "001", remote: "001" },
        { system: "fiscal", kind: "place", local: "002", remote: "002" },
        { system: "fiscal", kind: "place", local: "00000", remote: "00000" },
        { system: "his", kind: "channel", local: "02", remote: "XJ" },
        { system: "his", kind: "channel", local: "05", remote: "WX" },
        { system: "his", kind: "channel", local: "11", remote: "YBK" },
        { system: "fiscal", kind: "channel", local: "02", remote: "02" },
        { system: "fiscal", kind: "channel", local: "05", remote: "05" },
        { system: "fiscal", kind: "channel", local: "11", remote: "11" },
      ],
      roles: [
        { code: "cashier", name: "收费员", permissions: ["bill.issue", "bill.print", "bill.query"] },
        {
          code: "admin",
          name: "系统管理员",
          permissions: ["bill.query", "basic.manage", "stock.manage", "user.manage"],
        },
      ],
      operators: [
        { account: "sf001", name: "收费员一", roles: ["cashier"], places: ["001"] },
        { account: "admin", name: "管理员", roles: ["admin"] },
      ],
      printComponents: [
        {
          host: "sbx-print",
          version: "3.2.1",
          printer: "EPSON_LQ-630K",
          paper: "241x140",
          template: outpatientCode(year),
        },
      ],
    },
    calendarYears(year, sandboxYear, []),
  ),
);
