/**
 * The fix of each cause diagnosis finds: the declaration to change (naming the stack file and the
 * entry to add) or the command to run. Declared data decides between "declare it" and "apply
 * what is declared", so the advice fits the hospital's repository as it is.
 */
import type { Environment } from "../model/environment.ts";
import { RESULT } from "../protocol/result-codes.ts";
import type { Cause, StockLevel } from "./diagnose.ts";

export interface FixContext {
  env: Environment;
  stackFile: string;
  stack: string;
  since: string;
  stock?: StockLevel[];
}

type CauseFacts = Pick<Cause, "step" | "code" | "value" | "seen" | "count"> & {
  detail?: Record<string, unknown>;
};

function mappingFix(kind: "place" | "channel", value: string, ctx: FixContext): string {
  const field = kind === "place" ? "placeCode" : "payChannelCode";
  const declared = (ctx.env.codeMappings ?? []).find(
    (m) => m.system === "his" && m.kind === kind && m.remote === value,
  );
  if (declared)
    return `${ctx.stackFile} declares the 接口对照 of HIS ${field} '${value}' (local ${declared.local}), but the database does not have it: ebill-ops plan --stack ${ctx.stack}, then apply`;
  const locals =
    kind === "place"
      ? (ctx.env.invoicingPoints ?? []).map((p) => p.code)
      : (ctx.env.paymentChannels ?? []).map((c) => c.code);
  return (
    `HIS sends ${field} '${value}', which has no 接口对照: add { system: "his", kind: "${kind}", local: "<one of ${locals.join(", ")}>", remote: "${value}" } ` +
    `to codeMappings in ${ctx.stackFile}, then ebill-ops plan --stack ${ctx.stack} and apply; the failed businesses must then be issued again by the HIS (ebill-ops reconcile lists them)`
  );
}

export function causeFix(c: CauseFacts, ctx: FixContext): string {
  const i = ctx.env.interfaces;
  switch (c.code) {
    case RESULT.badData.code:
    case RESULT.badAppId.code:
    case RESULT.badSign.code:
    case RESULT.unknownMethod.code:
      return `the caller's request is refused before any bill is made (${c.seen ?? c.code}): check the caller's appid, app key and interface version against ${ctx.stackFile} (interfaces.fiscal, specVersion ${i.fiscal.specVersion ?? "?"}) with the HIS vendor`;
    case RESULT.unmappedPlace.code:
      return mappingFix("place", c.value ?? "?", ctx);
    case RESULT.unmappedChannel.code:
      return mappingFix("channel", c.value ?? "?", ctx);
    case RESULT.noBillType.code:
      return `the point has no bill type of the current year: add this year's bill code to the point in ${ctx.stackFile} (placeBillCodes of the year file; 'ebill-ops rollover prepare' makes the year), then plan and apply`;
    case RESULT.noStock.code: {
      const levels = (ctx.stock ?? []).filter((s) => s.place === c.value);
      const left = levels.map((s) => `${s.billCode}: ${s.remaining.toLocaleString("en")} left`).join(", ");
      return (
        `invoicing point ${c.value ?? "?"} has no numbers left${left ? ` (${left})` : ""}: distribute (下发) a new range to it, a billStock entry { billCode, batch, first, last, place: "${c.value ?? "?"}" } in ${ctx.stackFile}, ` +
        `then ebill-ops plan --stack ${ctx.stack} and apply; if the unit has no stock left, apply to the finance department for more (申领) first`
      );
    }
    case RESULT.signatureDown.code:
      return (
        `the signature server (declared ${i.signature.host}:${i.signature.port}) does not answer the service: check the appliance and its service on ${i.signature.host}, ` +
        `then ebill-ops probe --stack ${ctx.stack}; no bill was issued for these businesses, so the HIS must send them again (ebill-ops reconcile --date <day> lists them)`
      );
    case RESULT.fiscalDown.code:
      return (
        `the fiscal platform (${i.fiscal.url}) did not answer: check the line to it (ebill-ops probe --stack ${ctx.stack}), ` +
        `then re-drive: ebill-ops retry archive --stack ${ctx.stack} --since "${ctx.since}"`
      );
    case RESULT.fileFailed.code:
      return (
        `the file server ${i.fileServer.host} could not store archives under ${i.fileServer.archiveRoot}${/ENOSPC/.test(c.seen ?? "") ? " (ENOSPC: the disk is full)" : ""}: ` +
        `free space there (ebill-ops inspect --stack ${ctx.stack} shows its disks), then ebill-ops retry archive --stack ${ctx.stack} --since "${ctx.since}"`
      );
    case RESULT.pushFailed.code:
      return (
        `the push endpoint (${i.push?.url ?? "not declared"}) refused the bills${c.seen ? ` (${c.seen.replace(/^.*: /, "")})` : ""}: ask its operator (a 5xx is theirs), ` +
        `then ebill-ops retry push --stack ${ctx.stack} --since "${ctx.since}"`
      );
    case RESULT.templateMismatch.code:
      return printFix(c, ctx);
    default:
      return `result ${c.code}: see the interface log`;
  }
}

function printFix(c: CauseFacts, ctx: FixContext): string {
  const client = String(c.detail?.client ?? "?");
  const expected = String(c.detail?.expected ?? "?");
  const used = c.value ?? "(none)";
  const index = (ctx.env.printComponents ?? []).findIndex((p) => p.host === client);
  const declared = index >= 0 ? ctx.env.printComponents![index]!.template : null;
  const year = (code: string) => (/^\d{8}$/.test(code) ? ` (${2000 + Number(code.slice(6))})` : "");
  const what = `the print component on ${client} prints with template ${used}${year(used)}, but the bills are ${expected}${year(expected)}`;
  if (declared === expected)
    return `${what}; ${ctx.stackFile} already declares template ${expected} for ${client}, so the PC was not updated: converge it with ebill-ops ansible --stack ${ctx.stack} (print-client role)`;
  if (index >= 0)
    return `${what}: set printComponents[${index}].template (host ${client}) to "${expected}" in ${ctx.stackFile}, then converge the PC with ebill-ops ansible --stack ${ctx.stack}`;
  return `${what}; ${client} is not declared in printComponents of ${ctx.stackFile}: declare it with template "${expected}" and converge it`;
}
