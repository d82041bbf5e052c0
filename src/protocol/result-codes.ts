/**
 * The business result codes of the hospital-side service, with the step of the issuing chain each
 * one blames. The product's own code list is not public: these codes are this tool's model of it
 * (the simulator answers them, diagnosis reads them back from the interface log). A real
 * deployment's codes are mapped here and nowhere else.
 */
import { SUCCESS } from "./envelope.ts";

/** The chain a bill goes through, in order: diagnosis walks it and blames the first step that fails. */
export const CHAIN = ["payload", "mapping", "stock", "signature", "fiscal", "file", "push", "print"] as const;
export type ChainStep = (typeof CHAIN)[number];

export interface ResultCode {
  code: string;
  step: ChainStep | null;
  zh: string;
}

export const RESULT = {
  ok: { code: SUCCESS, step: null, zh: "成功" },
  badSign: { code: "E0001", step: "payload", zh: "签名验证失败" },
  badAppId: { code: "E0002", step: "payload", zh: "appid 不存在" },
  badData: { code: "E0003", step: "payload", zh: "业务参数格式错误" },
  unknownMethod: { code: "E0004", step: "payload", zh: "接口方法不存在" },
  alreadyRedFlushed: { code: "E0006", step: null, zh: "票据已冲红" },
  unmappedPlace: { code: "E1001", step: "mapping", zh: "开票点未做接口对照" },
  unmappedChannel: { code: "E1002", step: "mapping", zh: "缴费渠道未做接口对照" },
  noBillType: { code: "E1003", step: "mapping", zh: "开票点未配置本年度票据种类" },
  noStock: { code: "E2001", step: "stock", zh: "开票点票据库存不足" },
  signatureDown: { code: "E3001", step: "signature", zh: "签名服务器不可用" },
  fiscalDown: { code: "E4001", step: "fiscal", zh: "财政平台不可达，归档失败" },
  fileFailed: { code: "E4002", step: "file", zh: "文件服务器写入失败" },
  pushFailed: { code: "E5001", step: "push", zh: "票据推送失败" },
  templateMismatch: { code: "E6001", step: "print", zh: "打印模板与票据年度不符" },
  notFound: { code: "E0404", step: null, zh: "票据不存在" },
  totalsDiffer: { code: "E7001", step: null, zh: "对账总数或金额不一致" },
  internal: { code: "E9999", step: null, zh: "服务内部错误" },
} as const satisfies Record<string, ResultCode>;

const BY_CODE = new Map<string, ResultCode>(Object.values(RESULT).map((r) => [r.code, r]));

/** The chain step a result code blames (null: success, a query's "not found", or unknown). */
export function stepOf(code: string): ChainStep | null {
  return BY_CODE.get(code)?.step ?? null;
}

export function describeCode(code: string): string {
  return BY_CODE.get(code)?.zh ?? code;
}
