/**
 * Score: near the users. An InferenceService's preferredRegions list regions most preferred first; a site in the
 * first of k regions scores 100, in the i-th 100 × (k − i) / k, elsewhere 0 (still allowed, just not preferred).
 * Workloads without preferred regions leave the plugin out rather than giving every site the same number.
 */
import type { ScorePlugin } from './score.ts';

/** locality scores sites in earlier preferred regions higher. */
export const locality: ScorePlugin = {
  name: 'locality',
  applies: (workload) => workload.preferredRegions.length > 0,
  score: (workload, options) => {
    const k = workload.preferredRegions.length;
    return options.map((o) => {
      const i = workload.preferredRegions.indexOf(o.site.region);
      return i < 0 ? 0 : (100 * (k - i)) / k;
    });
  },
};
