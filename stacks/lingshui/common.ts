// 陵水黎族自治县人民医院 (Lingshui Li Autonomous County People's Hospital, Hainan, region 469028):
// what production and test share. Each stack file adds only what differs (hosts, database,
// endpoints, stock) and its per-year files.
//
// Codes marked EXAMPLE are placeholders until the hospital copies the ones issued by 海南省财政厅
// (the fiscal platform issues bill codes, the appid and the agency code).
import type { EnvironmentInput } from "../../src/model/environment.ts";

export const hospital: EnvironmentInput["hospital"] = {
  name: "陵水黎族自治县人民医院",
  agencyCode: "469028110001", // EXAMPLE: 单位编码 from the fiscal platform
  regionCode: "469028",
  fiscalYear: 2026,
};

export const app: EnvironmentInput["app"] = {
  version: "1.0.3",
  port: 8081,
  contextPath: "/medical-web",
  installDir: "/opt/ebill",
  jvm: { heapMin: "2g", heapMax: "4g" },
};

/** 开票点: placeCode as the HIS sends it. 00000 is the outpatient self-service kiosks. */
export const invoicingPoints: NonNullable<EnvironmentInput["invoicingPoints"]> = [
  { code: "001", name: "门诊收费处", billCodes: [] },
  { code: "002", name: "住院收费处", billCodes: [] },
  { code: "003", name: "急诊收费处", billCodes: [] },
  { code: "00000", name: "门诊自助机", billCodes: [] },
];

/** 缴费渠道, with the codes the hospital's HIS sends (payChannelCode). */
export const paymentChannels: NonNullable<EnvironmentInput["paymentChannels"]> = [
  { code: "02", name: "现金", kind: "cash" },
  { code: "04", name: "支付宝", kind: "alipay" },
  { code: "05", name: "微信", kind: "wechat" },
  { code: "07", name: "银行卡", kind: "bank-card" },
  { code: "11", name: "医保统筹", kind: "medical-insurance" },
  { code: "YBK", name: "医保个人账户", kind: "medical-insurance" },
  { code: "HBWC", name: "货币误差", kind: "other" },
];

const hisPlaces: Record<string, string> = { "001": "MZSF", "002": "ZYSF", "003": "JZSF", "00000": "ZZJ" };
const hisChannels: Record<string, string> = {
  "02": "1",
  "04": "4",
  "05": "5",
  "07": "3",
  "11": "6",
  YBK: "7",
  HBWC: "9",
};

/** 接口对照: every enabled point and channel, for the HIS and for the fiscal platform. */
export const codeMappings: NonNullable<EnvironmentInput["codeMappings"]> = [
  ...invoicingPoints.map((p) => ({
    system: "his" as const,
    kind: "place" as const,
    local: p.code,
    remote: hisPlaces[p.code]!,
  })),
  ...invoicingPoints.map((p) => ({
    system: "fiscal" as const,
    kind: "place" as const,
    local: p.code,
    remote: p.code,
  })),
  ...paymentChannels.map((c) => ({
    system: "his" as const,
    kind: "channel" as const,
    local: c.code,
    remote: hisChannels[c.code]!,
  })),
  ...paymentChannels.map((c) => ({
    system: "fiscal" as const,
    kind: "channel" as const,
    local: c.code,
    remote: c.code,
  })),
  { system: "his", kind: "department", local: "NK", remote: "0101", remoteName: "内科" },
  { system: "his", kind: "department", local: "WK", remote: "0201", remoteName: "外科" },
  { system: "his", kind: "department", local: "FCK", remote: "0301", remoteName: "妇产科" },
  { system: "his", kind: "department", local: "EK", remote: "0401", remoteName: "儿科" },
  { system: "his", kind: "department", local: "JZK", remote: "0901", remoteName: "急诊科" },
  { system: "fiscal", kind: "charge-item", local: "ZC", remote: "01", remoteName: "诊察费" },
  { system: "fiscal", kind: "charge-item", local: "JC", remote: "02", remoteName: "检查费" },
  { system: "fiscal", kind: "charge-item", local: "HY", remote: "03", remoteName: "化验费" },
  { system: "fiscal", kind: "charge-item", local: "ZL", remote: "04", remoteName: "治疗费" },
  { system: "fiscal", kind: "charge-item", local: "SS", remote: "05", remoteName: "手术费" },
  { system: "fiscal", kind: "charge-item", local: "WSCL", remote: "06", remoteName: "卫生材料费" },
  { system: "fiscal", kind: "charge-item", local: "XY", remote: "07", remoteName: "西药费" },
  { system: "fiscal", kind: "charge-item", local: "ZYYP", remote: "08", remoteName: "中药饮片" },
  { system: "fiscal", kind: "charge-item", local: "ZCY", remote: "09", remoteName: "中成药费" },
  { system: "fiscal", kind: "charge-item", local: "CW", remote: "10", remoteName: "床位费" },
  { system: "fiscal", kind: "charge-item", local: "HL", remote: "11", remoteName: "护理费" },
];

export const roles: NonNullable<EnvironmentInput["roles"]> = [
  {
    code: "cashier",
    name: "收费员",
    permissions: ["bill.issue", "bill.print", "bill.query", "bill.writeoff"],
  },
  {
    code: "bill-admin",
    name: "票据管理员",
    permissions: ["bill.query", "stock.apply", "stock.distribute", "stock.writeoff"],
  },
  { code: "finance", name: "财务审核", permissions: ["bill.query", "report.view", "stock.audit"] },
  {
    code: "sysadmin",
    name: "系统管理员",
    permissions: ["basic.manage", "user.manage", "user.unlock", "interface.manage"],
  },
];

/** Operator accounts only; passwords are set and reset in the product, never declared. */
export const operators: NonNullable<EnvironmentInput["operators"]> = [
  { account: "mzsf01", name: "门诊收费员01", roles: ["cashier"], places: ["001"] },
  { account: "mzsf02", name: "门诊收费员02", roles: ["cashier"], places: ["001"] },
  { account: "zysf01", name: "住院收费员01", roles: ["cashier"], places: ["002"] },
  { account: "jzsf01", name: "急诊收费员01", roles: ["cashier"], places: ["003"] },
  { account: "zzj", name: "自助机接口账户", roles: ["cashier"], places: ["00000"] },
  { account: "pjgl01", name: "票据管理员", roles: ["bill-admin"], places: ["001", "002", "003", "00000"] },
  { account: "cwsh01", name: "财务科审核", roles: ["finance"] },
  { account: "xxk01", name: "信息科管理员", roles: ["sysadmin"] },
];
