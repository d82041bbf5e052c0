// 陵水黎族自治县人民医院: production e-bill environment (信息科机房, intranet 10.46.20.0/24,
// cashier PCs 10.46.31.0/24). Host keys are pinned from `ssh-keyscan` on site.
import { defineEnvironment, secret, withYears } from "../src/model/compose.ts";
import * as lingshui from "./lingshui/common.ts";
import year2026 from "./lingshui-prod/year-2026.ts";
import year2027 from "./lingshui-prod/year-2027.ts";

export default defineEnvironment(
  withYears(
    {
      name: "lingshui-prod",
      kind: "production",
      hospital: lingshui.hospital,
      hosts: [
        {
          name: "ls-ebill-app1",
          address: "10.46.20.11",
          os: "kylin-v10",
          roles: ["app"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkzi0DHcSebTowl2t45Q3LZAoR+hzg6nAsdiHZxF3kI",
          },
          description: "电子票据应用服务器 1",
        },
        {
          name: "ls-ebill-app2",
          address: "10.46.20.12",
          os: "kylin-v10",
          roles: ["app"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINob7/LiyvAaAkOby4JWYmY6IIXt4JKZidop3Fv379dq",
          },
          description: "电子票据应用服务器 2",
        },
        {
          name: "ls-ebill-db1",
          address: "10.46.20.21",
          os: "kylin-v10",
          roles: ["db"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMcqamPN2PG1fwsVdcZnj1T81gsutydJlh0OBOYwrIQn",
          },
          description: "电子票据数据库服务器 (KingbaseES)",
        },
        {
          name: "ls-ebill-file1",
          address: "10.46.20.31",
          os: "kylin-v10",
          roles: ["file"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE/w23CmfkgQIqi4IBNCF1urfQ7snPnBZ40XEt3A7Vrg",
          },
          description: "票据归档文件服务器",
        },
        {
          name: "ls-sign1",
          address: "10.46.20.41",
          os: "centos-7",
          roles: ["signature"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL/rcj4n7Xt+9hvhkeqSVv2W4oXJJp1mo0zE8T62OODO",
          },
          description: "签名服务器 (appliance; probed only)",
        },
        {
          name: "ls-ebill-proxy1",
          address: "10.46.20.5",
          os: "kylin-v10",
          roles: ["proxy"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM+NLJmpnndVLqUT/9bJ+cd6KMbhVzqr+B+5Lx8BcY9/",
          },
          description: "前置代理 (HIS and kiosks reach the service through it)",
        },
        {
          name: "ls-mz-sf01",
          address: "10.46.31.101",
          os: "uos-20",
          roles: ["print-client"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwnx/oIZHfx4LujtNyJXbAQgNydEnFf3YuZ/ZjQgJEU",
          },
          description: "门诊收费窗口 1",
        },
        {
          name: "ls-zy-sf01",
          address: "10.46.31.121",
          os: "uos-20",
          roles: ["print-client"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMg6wcdOZADV2rJFBooa1KanLqkkLQWYaQgs3HOdXTuU",
          },
          description: "住院收费处",
        },
        {
          name: "ls-jz-sf01",
          address: "10.46.31.131",
          os: "uos-20",
          roles: ["print-client"],
          ssh: {
            user: "ebillops",
            port: 22,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLPjBsPBS23oIq/rx+czYrza7EhDUciD5UxgSR5TIgr",
          },
          description: "急诊收费处",
        },
      ],
      database: {
        engine: "kingbase",
        host: "10.46.20.21",
        port: 54321,
        name: "ebill",
        schema: "ebill",
        user: "ebill_ops",
        password: secret("LINGSHUI_PROD_DB_PASSWORD"),
        sslMode: "prefer",
      },
      app: lingshui.app,
      interfaces: {
        his: { name: "院内HIS", url: "http://10.46.10.15:8080/his", timeoutMs: 30000 },
        fiscal: {
          url: "http://10.46.1.200:7002/medical-web/api/medical",
          appId: "LSRMYY0000001", // EXAMPLE: appid issued by the fiscal platform
          appKey: secret("LINGSHUI_PROD_FISCAL_APP_KEY"),
          specVersion: "V3.2.0",
          timeoutMs: 30000,
        },
        push: { url: "http://10.46.20.11:8081/medical-web/push", channels: ["sms", "wechat", "alipay"] },
        signature: { host: "ls-sign1", port: 8443, certificateWarnDays: 45 },
        fileServer: { host: "ls-ebill-file1", archiveRoot: "/data/ebill/archive", minFreePercent: 20 },
      },
      invoicingPoints: lingshui.invoicingPoints,
      paymentChannels: lingshui.paymentChannels,
      codeMappings: lingshui.codeMappings,
      roles: lingshui.roles,
      operators: lingshui.operators,
      printComponents: [
        {
          host: "ls-mz-sf01",
          version: "3.2.1",
          printer: "EPSON_LQ-630KII",
          paper: "241x140",
          template: "46060126",
        },
        {
          host: "ls-zy-sf01",
          version: "3.2.1",
          printer: "EPSON_LQ-630KII",
          paper: "A5",
          template: "46060226",
        },
        {
          host: "ls-jz-sf01",
          version: "3.2.1",
          printer: "EPSON_LQ-630KII",
          paper: "241x140",
          template: "46060126",
        },
      ],
      maintenance: {
        timezone: "Asia/Shanghai",
        // Clinics run 07:30-18:00 and emergency all day: change at night, or at the weekend noon.
        changeWindows: [
          { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start: "22:00", end: "06:00" },
          { days: ["sat", "sun"], start: "12:00", end: "14:00" },
        ],
        freezes: [{ from: "12-31T18:00", to: "01-01T10:00", reason: "年结：跨年开票切换，禁止变更" }],
        patch: {
          batchSize: 1,
          healthChecks: ["disk", "service", "port"],
          minFreeDiskPercent: 15,
          rebootAllowed: true,
        },
        inspection: { months: [3, 6, 9, 12] },
        stockSafetyMargin: 1.3,
      },
    },
    [year2026, year2027],
  ),
);
