/**
 * The score stage: every applicable plugin rates every feasible option; the total is the weighted mean. Plugin scores
 * are rounded to integers before the total is taken and the total is rounded too, so the record a user reads adds up,
 * and the comparison that picks the winner is the one the record shows (equal rounded totals are a tie, broken by
 * variant order, then site name, then pool name).
 */
import type { PlacementConfig } from './config.ts';
import type { Option } from './evaluate.ts';
import { compareStrings } from './order.ts';
import { fragmentation } from './scores/fragmentation.ts';
import { health } from './scores/health.ts';
import { locality } from './scores/locality.ts';
import { packing } from './scores/packing.ts';
import { price } from './scores/price.ts';
import type { ScorePlugin } from './scores/score.ts';
import { variantOrder } from './scores/variant-order.ts';
import type { Workload } from './workload.ts';

/** SCORE_PLUGINS are every score plugin, in the order their scores appear in the record. */
export const SCORE_PLUGINS: readonly ScorePlugin[] = [price, packing, fragmentation, health, variantOrder, locality];

/** ScoredOption is an option with its per-plugin scores and weighted total, all integers in [0, 100]. */
export interface ScoredOption extends Option {
  readonly scores: Readonly<Record<string, number>>;
  readonly score: number;
}

/** scoreOptions rates options against each other (price is relative, so the set matters). */
export function scoreOptions(workload: Workload, options: readonly Option[], config: PlacementConfig): ScoredOption[] {
  const plugins = SCORE_PLUGINS.filter((p) => p.applies(workload, options) && config.weights[p.name] > 0);
  const perPlugin = plugins.map((p) => p.score(workload, options));
  const weightSum = plugins.reduce((sum, p) => sum + config.weights[p.name], 0);
  return options.map((option, i) => {
    const scores: Record<string, number> = {};
    let weighted = 0;
    for (const [j, plugin] of plugins.entries()) {
      const s = Math.round(perPlugin[j]?.[i] ?? 0);
      scores[plugin.name] = s;
      weighted += s * config.weights[plugin.name];
    }
    return { ...option, scores, score: weightSum > 0 ? Math.round(weighted / weightSum) : 0 };
  });
}

/** compareScored orders best first: higher total, then earlier variant, then site name, then pool name. */
export function compareScored(a: ScoredOption, b: ScoredOption): number {
  return (
    b.score - a.score ||
    a.variant.index - b.variant.index ||
    compareStrings(a.site.name, b.site.name) ||
    compareStrings(a.pool.name, b.pool.name)
  );
}
