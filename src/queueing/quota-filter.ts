/**
 * The queue's quota as a placement filter: an option (variant × pool) passes when the queue can hold what it would
 * charge. Running it inside placement makes admission and placement one decision — the best option that fits both a
 * site and the queue — and charges the variant placement actually picks (an H100 job charges nvidia.com/gpu, the same
 * job as its Ascend variant charges huawei.com/Ascend910).
 */
import { scaled } from '../placement/demand.ts';
import { verdict, type FilterResult, type PoolCandidate, type PoolFilter } from '../placement/filters/filter.ts';
import { formatAmount } from '../placement/format.ts';
import { exceeds, subtractAmounts, type Amounts } from './amounts.ts';
import type { QueueInfo } from './queue-info.ts';

/** headroom is how much more of `resource` the queue may hold: quota (+ borrowing limit) − usage; undefined: no limit. */
export function headroom(queue: QueueInfo, usage: Amounts, resource: string): number | undefined {
  const quota = queue.quota[resource];
  if (quota === undefined) return undefined;
  return quota + (queue.borrowingLimit[resource] ?? 0) - (usage[resource] ?? 0);
}

/**
 * quotaShortfalls names each resource of `charge` the queue cannot hold, in the words of the Admitted condition:
 * "needs 16 huawei.com/Ascend910, queue ai-research has 8 of 32 left".
 */
export function quotaShortfalls(queue: QueueInfo, usage: Amounts, charge: Amounts): string[] {
  const out: string[] = [];
  for (const resource of Object.keys(charge).sort()) {
    const need = charge[resource] ?? 0;
    const room = headroom(queue, usage, resource);
    if (room === undefined || !exceeds(need, room)) continue;
    const quota = queue.quota[resource] ?? 0;
    const borrow = queue.borrowingLimit[resource];
    const left = Math.max(0, quota - (usage[resource] ?? 0));
    const of = borrow === undefined ? `${fmt(resource, left)} of ${fmt(resource, quota)} left` : `${fmt(resource, Math.max(0, room))} left (quota ${fmt(resource, quota)} + borrowing ${fmt(resource, borrow)})`;
    out.push(`needs ${fmt(resource, need)} ${resource}, queue ${queue.name} has ${of}`);
  }
  return out;
}

/** quotaFilter rejects options whose whole charge (every unit's demand) the queue cannot hold now. */
export function quotaFilter(queue: QueueInfo, usage: Amounts): PoolFilter {
  return ({ demand, units }: PoolCandidate): FilterResult => verdict(quotaShortfalls(queue, usage, scaled(demand, units)));
}

function fmt(resource: string, n: number): string {
  return formatAmount(resource, n);
}

/**
 * swapFilter keeps an admitted job, placed again (a failover, a device failure), within its queue: the new option's
 * charge replaces what the job holds now, so an option passes when the queue can hold usage − held + charge. The job
 * may change variant (an H100 job lost with its site may come back as its Ascend variant) as long as the queue can
 * hold the new devices.
 */
export function swapFilter(queue: QueueInfo, usage: Amounts, held: Amounts): PoolFilter {
  return quotaFilter(queue, subtractAmounts(usage, held));
}

/**
 * chargeWithin keeps an admitted job, placed again after a failover, within what its queue already holds for it: the
 * move never needs quota the queue did not grant (a variant with another device is not taken without a new admission).
 */
export function chargeWithin(held: Amounts): PoolFilter {
  return ({ demand, units }: PoolCandidate): FilterResult => {
    const reasons: string[] = [];
    const charge = scaled(demand, units);
    for (const resource of Object.keys(charge).sort()) {
      const need = charge[resource] ?? 0;
      if (exceeds(need, held[resource] ?? 0)) {
        reasons.push(`needs ${fmt(resource, need)} ${resource}, its admission holds ${fmt(resource, held[resource] ?? 0)}`);
      }
    }
    return verdict(reasons);
  };
}
