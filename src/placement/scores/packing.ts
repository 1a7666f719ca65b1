/**
 * Score: pack. Higher when the pool is fuller after the placement (Kubernetes' MostAllocated), over the pool's
 * scarce resource: its devices for an accelerator pool, the mean of cpu and memory for a CPU pool.
 *
 * Why packing rather than headroom: in a federation the scarce thing is a large free block of accelerators at one
 * site. Spreading small jobs over every site leaves no site that can take the next 16-device gang; packing them where
 * devices are already in use keeps whole pools free. Spread for availability is a rule of its own (an
 * InferenceService's minSites and maxReplicasPerSite), not a side effect of this score.
 */
import { scaled } from '../demand.ts';
import type { Option } from '../evaluate.ts';
import { clampScore, type ScorePlugin } from './score.ts';

/** usedFractionAfter is the mean share of the pool's scarce resources in use once the option is placed. */
export function usedFractionAfter(o: Option): number {
  const resources = o.pool.accelerator === undefined ? ['cpu', 'memory'] : [o.pool.accelerator.resourceName];
  const adding = scaled(o.demand, o.units);
  let sum = 0;
  for (const r of resources) {
    const allocatable = o.pool.allocatable[r] ?? 0;
    if (allocatable <= 0) continue;
    const used = allocatable - (o.pool.free[r] ?? 0) + (adding[r] ?? 0);
    sum += Math.min(1, used / allocatable);
  }
  return sum / resources.length;
}

/** packing scores fuller pools higher. */
export const packing: ScorePlugin = {
  name: 'packing',
  applies: () => true,
  score: (_workload, options) => options.map((o) => clampScore(100 * usedFractionAfter(o))),
};
