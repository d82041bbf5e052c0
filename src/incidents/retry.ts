/**
 * `retry archive|push`: re-drives failed archiving or push through the service's API, in batches,
 * until nothing is left or a batch makes no progress (the dependency is still failing). Bills
 * already archived or pushed are never sent again, so a second retry does nothing.
 */
import { callService, type ServiceAddress } from "../protocol/client.ts";
import { SUCCESS } from "../protocol/envelope.ts";

export type RetryLeg = "archive" | "push";

export const RETRY_METHOD: Record<RetryLeg, string> = { archive: "reArchiveEBill", push: "rePushEBill" };

export interface RetryResult {
  leg: RetryLeg;
  since: string;
  attempted: number;
  done: number;
  failed: number;
  /** Bills still not archived / pushed when it stopped. */
  remaining: number;
  batches: number;
}

interface BatchAnswer {
  attempted: number;
  done: number;
  failed: number;
  remaining: number;
}

export async function retryDeliveries(
  service: ServiceAddress,
  leg: RetryLeg,
  since: string,
  progress: (r: RetryResult) => void = () => undefined,
  batchSize = 200,
): Promise<RetryResult> {
  const total: RetryResult = { leg, since, attempted: 0, done: 0, failed: 0, remaining: 0, batches: 0 };
  for (;;) {
    const answer = await callService(
      service,
      RETRY_METHOD[leg],
      { since, limit: batchSize },
      "ebill-ops retry",
    );
    if (answer.result !== SUCCESS)
      throw new Error(
        `the service refused ${RETRY_METHOD[leg]}: ${answer.result} ${JSON.stringify(answer.message)}`,
      );
    const batch = answer.message as BatchAnswer;
    total.batches++;
    total.attempted += batch.attempted;
    total.done += batch.done;
    total.failed += batch.failed;
    total.remaining = batch.remaining;
    progress(total);
    // Stop when nothing is left, or when a batch fixed nothing (the cause is still there).
    if (batch.remaining <= 0 || batch.done === 0) return total;
  }
}
