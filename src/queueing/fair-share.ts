/**
 * Weighted dominant resource fairness (DRF) between queues. A queue's dominant share is its largest fraction of any
 * resource the federation has (usage / capacity, resource by resource); divided by the queue's weight, the lowest
 * share goes next. Two queues with weights 1 and 3 contending for the same GPUs therefore settle at 1 : 3.
 */
import type { Amounts } from './amounts.ts';

/** dominantShare is max over resources of usage / capacity (resources the federation has none of are left out). */
export function dominantShare(usage: Amounts, capacity: Amounts): number {
  let share = 0;
  for (const [resource, used] of Object.entries(usage)) {
    const total = capacity[resource] ?? 0;
    if (total > 0) share = Math.max(share, used / total);
  }
  return share;
}

/** weightedShare is the dominant share divided by the weight: the number DRF orders queues by. */
export function weightedShare(usage: Amounts, capacity: Amounts, weight: number): number {
  return dominantShare(usage, capacity) / Math.max(1, weight);
}
