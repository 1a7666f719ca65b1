/**
 * Every queue's usage as the hub holds it, for `suanwang usage`: the live intervals of the workloads on the hub,
 * less those their queue has already retired (a deleted workload not yet gone), plus what each Queue keeps of
 * deleted workloads (retired-usage.ts). The Queue controller builds a Queue's status from the same two parts
 * (controllers/queues/queue-status.ts), so the COST column and the command agree.
 */
import type { Queue, QueueRetiredUsage } from '../api/generated/types.ts';
import type { MeteredWorkload } from './metered-workload.ts';
import { meterUsage, type MeteringWindow, type UsageCell } from './metering.ts';
import { cutBySince, isRetired, ledgerOf, retiredCells, type RetiredLedger } from './retired-usage.ts';

/** CutPeriod is a retired entry of a queue that the window's start cuts: it counts whole. */
export interface CutPeriod {
  readonly queue: string;
  readonly entry: QueueRetiredUsage;
}

/** HubUsage is the cells of every queue, and the retired periods the window cut. */
export interface HubUsage {
  readonly cells: UsageCell[];
  readonly cut: CutPeriod[];
}

/** hubUsage meters `workloads` and `queues` within the window (module comment). */
export function hubUsage(workloads: readonly MeteredWorkload[], queues: readonly Queue[], window: MeteringWindow): HubUsage {
  const ledgers = new Map(queues.map((q) => [q.metadata.name ?? '', ledgerOf(q.status?.metering)]));
  const cells = meterUsage(withoutRetired(workloads, ledgers), window);
  const cut: CutPeriod[] = [];
  for (const [queue, ledger] of ledgers) {
    cells.push(...retiredCells(queue, ledger.retired, window.since));
    if (window.since !== undefined) cut.push(...cutBySince(ledger.retired, window.since).map((entry) => ({ queue, entry })));
  }
  return { cells, cut };
}

/** withoutRetired leaves out each interval whose queue's ledger lists its workload: that queue counts it as retired. */
export function withoutRetired(workloads: readonly MeteredWorkload[], ledgers: ReadonlyMap<string, RetiredLedger>): MeteredWorkload[] {
  return workloads.map((w) => {
    const retiredIn = (queue: string): boolean => {
      const ledger = ledgers.get(queue);
      return ledger !== undefined && isRetired(ledger, w.uid);
    };
    return w.intervals.some((i) => retiredIn(i.queue)) ? { ...w, intervals: w.intervals.filter((i) => !retiredIn(i.queue)) } : w;
  });
}
