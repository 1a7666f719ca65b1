/**
 * A Queue's status as a pure function of what the last admission cycle found (usage, borrowed, admitted, pending)
 * and what the queue's workloads recorded (metering: resource-hours and cost per site and currency, from the
 * attempts of TrainingJobs and the replica intervals of InferenceServices on the hub, plus what the queue's own
 * status keeps of deleted ones). Restart-safe: live usage is recomputed from workload status every time, and
 * retired usage is folded into the Queue's status exactly once (queueing/retired-usage.ts), never held in memory.
 */
import type { Queue, QueueMetering, QueueStatus } from '../../api/generated/types.ts';
import { ACCELERATOR_RESOURCES } from '../../api/vendors.ts';
import type { QueueUsage } from '../../queueing/admission-cycle.ts';
import { toQuantities, type Amounts } from '../../queueing/amounts.ts';
import type { MeteredWorkload } from '../../queueing/metered-workload.ts';
import { formatCost, formatMeteringTime, meteringTime, meterUsage, siteMetering, usageRows, type UsageCell } from '../../queueing/metering.ts';
import { ledgerOf, retiredCells, settleLedger } from '../../queueing/retired-usage.ts';
import { withoutRetired } from '../../queueing/usage-report.ts';
import { formatAmount } from '../../placement/format.ts';
import { queueInfo } from '../../queueing/queue-info.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import { formatTime, setCondition } from '../../runtime/conditions.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';

/**
 * nextQueueStatus computes the status of `queue` at `now`. `workloads` are every TrainingJob and InferenceService
 * in the (synced) hub cache: their usage is metered, deleted ones are folded into the queue's retired usage, and a
 * retired uid no longer among them is dropped from the ledger.
 */
export function nextQueueStatus(queue: Queue, usage: QueueUsage | undefined, workloads: readonly MeteredWorkload[], now: Date): QueueStatus {
  const name = queue.metadata.name ?? '';
  const metering = queueMetering(name, queue.status?.metering, workloads, now);
  const held = usage?.usage ?? {};
  const s: QueueStatus = { ...queue.status };
  if (queue.metadata.generation !== undefined) s.observedGeneration = queue.metadata.generation;
  // GitOps health (docs/gitops-health.md): a queue is in force as soon as its spec is observed; kstatus reads
  // Ready=True with observedGeneration = generation as Current. Nothing makes a queue wait or fail: the CRD's rules
  // refuse a spec the operator could not use.
  s.conditions = setCondition(
    s.conditions ?? [],
    { type: ConditionType.Ready, status: ConditionStatus.True, reason: Reason.SpecObserved, message: 'workloads are admitted under the current spec' },
    formatTime(now),
    queue.metadata.generation,
  );
  s.usage = toQuantities(held);
  s.borrowed = toQuantities(usage?.borrowed ?? {});
  s.admitted = usage?.admitted ?? 0;
  s.pending = usage?.pending ?? 0;
  const devices = deviceColumn(queueInfo(queue).quota, held);
  if (devices !== undefined) s.devices = devices;
  else delete s.devices;
  const cost = formatCost(usageRows(metering.cells));
  if (cost !== '') s.cost = cost;
  else delete s.cost;
  s.metering = metering.status;
  return s;
}

/**
 * queueMetering is a queue's metering at `now` (taken to the whole second, measuredTime): its retired ledger settled
 * (settleLedger), and its cells, live and retired, from which sites and the COST column are built. A workload the
 * ledger lists is left out of live usage: its usage of this queue is in retired already.
 */
export function queueMetering(
  name: string,
  current: QueueMetering | undefined,
  workloads: readonly MeteredWorkload[],
  now: Date,
): { status: QueueMetering; cells: UsageCell[] } {
  const measured = meteringTime(now);
  const ledger = settleLedger(name, ledgerOf(current), workloads);
  const mine = workloads.filter((w) => w.intervals.some((i) => i.queue === name));
  const live = withoutRetired(mine, new Map([[name, ledger]]));
  const cells = [...meterUsage(live, { now: measured }).filter((c) => c.queue === name), ...retiredCells(name, ledger.retired)];
  return {
    cells,
    status: {
      sites: siteMetering(cells),
      measuredTime: formatMeteringTime(measured),
      ...(ledger.retired.length > 0 && { retired: [...ledger.retired] }),
      ...(ledger.retiredWorkloads.length > 0 && { retiredWorkloads: [...ledger.retiredWorkloads] }),
    },
  };
}

/**
 * deviceColumn is the DEVICES column: the accelerator the queue is mostly about (the largest quota; else the most
 * used), as used/quota, or used alone when the quota does not limit it.
 */
export function deviceColumn(quota: Amounts, usage: Amounts): string | undefined {
  const accelerators = ACCELERATOR_RESOURCES.filter((r) => quota[r] !== undefined || (usage[r] ?? 0) > 0);
  if (accelerators.length === 0) return undefined;
  const main = [...accelerators].sort((a, b) => (quota[b] ?? -1) - (quota[a] ?? -1) || (usage[b] ?? 0) - (usage[a] ?? 0) || (a < b ? -1 : 1))[0] as string;
  const used = formatAmount(main, usage[main] ?? 0);
  return quota[main] === undefined ? `${used} ${main}` : `${used}/${formatAmount(main, quota[main])} ${main}`;
}

/**
 * worthWriting says whether `next` should be written over `current`: anything but the metered totals changed (the
 * retired ledger included: a fold is written at once, before the workload's finalizer may go), or the totals were
 * last measured `intervalMs` ago or more (running attempts accrue continuously; writing that every pass would be a
 * write per cycle for nothing a person reads at that rate).
 */
export function worthWriting(current: QueueStatus | undefined, next: QueueStatus, now: number, intervalMs: number): boolean {
  const strip = (s: QueueStatus | undefined): unknown => {
    const { metering, cost: _c, ...rest } = s ?? {};
    return { ...rest, retired: metering?.retired, retiredWorkloads: metering?.retiredWorkloads };
  };
  if (!deepEqual(strip(current), strip(next))) return true;
  if (current?.cost !== next.cost && current?.metering === undefined) return true;
  const measured = Date.parse(current?.metering?.measuredTime ?? '');
  if (Number.isNaN(measured)) return true;
  const totals = (s: QueueStatus | undefined): unknown => s?.metering?.sites;
  if (deepEqual(totals(current), totals(next))) return false;
  return now - measured >= intervalMs;
}
