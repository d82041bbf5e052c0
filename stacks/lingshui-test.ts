// 陵水黎族自治县人民医院: test environment (one server for app, database and archive, one cashier
// PC), connected to the fiscal platform's test service. Holds only what differs from production.
import { defineEnvironment, secret, withYears } from "../src/model/compose.ts";
import * as lingshui from "./lingshui/common.ts";
import year2026 from "./lingshui-test/year-2026.ts";
import year2027 from "./lingshui-test/year-2027.ts";

export default defineEnvironment(
  withYears(
    {
      name: "lingshui-test",
      kind: "test",
      hospital: lingshui.hospital,
      hosts: [
        {
          name: "ls-test-ebill1",
          address: "10.46.120.11",
          os: "kylin-v10",
          roles: ["app", "db", "file"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINAGRf+YUZOoEnnhcEkZ+b+LPOhzgvxXrgqg8ssA8ykk",
          },
          description: "测试环境：应用、数据库、归档",
        },
        {
          name: "ls-test-sign1",
          address: "10.46.120.41",
          os: "centos-7",
          roles: ["signature"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0qwyCFMXYM4ao2dns/DfrKubNJ9JyulTZLuDR0eK7M",
          },
          description: "测试签名服务器",
        },
        {
          name: "ls-test-sf01",
          address: "10.46.131.101",
          os: "uos-20",
          roles: ["print-client"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPBdv0IwSk464T6NtngtCuIv9JGAYljuxZRYwVsiWPp5",
          },
          description: "信息科测试收费机",
        },
      ],
      database: {
        engine: "kingbase",
        host: "10.46.120.11",
        port: 54321,
        name: "ebill_test",
        schema: "ebill",
        user: "ebill_ops",
        password: secret("LINGSHUI_TEST_DB_PASSWORD"),
      },
      app: { ...lingshui.app, version: "1.0.4", jvm: { heapMin: "1g", heapMax: "2g" } },
      interfaces: {
        his: { name: "院内HIS测试库", url: "http://10.46.110.15:8080/his", timeoutMs: 30000 },
        fiscal: {
          url: "http://10.46.1.201:7002/medical-web/api/medical",
          appId: "LSRMYYTEST001", // EXAMPLE: test appid from the fiscal platform
          appKey: secret("LINGSHUI_TEST_FISCAL_APP_KEY"),
          specVersion: "V3.2.0",
          timeoutMs: 30000,
        },
        signature: { host: "ls-test-sign1", port: 8443 },
        fileServer: { host: "ls-test-ebill1", archiveRoot: "/data/ebill/archive" },
      },
      invoicingPoints: lingshui.invoicingPoints,
      paymentChannels: lingshui.paymentChannels,
      codeMappings: lingshui.codeMappings,
      roles: lingshui.roles,
      operators: lingshui.operators,
      printComponents: [
        {
          host: "ls-test-sf01",
          version: "3.2.2",
          printer: "EPSON_LQ-630KII",
          paper: "241x140",
          template: "46060126",
        },
      ],
    },
    [year2026, year2027],
  ),
);
