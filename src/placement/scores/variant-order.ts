/**
 * Score: the user's order of variants. spec.variants is "in order of preference", so the first scores 100 and each
 * later one less: 100 × (n − index) / n. The last of two still scores 50, not 0: order is a preference to weigh
 * against price and health, and only a tie-break when they are equal.
 */
import type { ScorePlugin } from './score.ts';

/** variantOrder scores earlier variants higher. */
export const variantOrder: ScorePlugin = {
  name: 'variantOrder',
  applies: () => true,
  score: (workload, options) => {
    const n = Math.max(1, workload.variants.length);
    return options.map((o) => (100 * (n - o.variant.index)) / n);
  },
};
