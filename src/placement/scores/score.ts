/**
 * The shape of a score plugin. A plugin rates every feasible option of one decision at once, 0 (worst) to 100
 * (best), so that a plugin whose measure is relative (price) can normalise across the options it is comparing.
 */
import type { Option } from '../evaluate.ts';
import type { Workload } from '../workload.ts';

/** SCORE_PLUGIN_NAMES are the score plugins, as named in PlacementConfig.weights and in the placement record. */
export const SCORE_PLUGIN_NAMES = ['price', 'packing', 'fragmentation', 'health', 'variantOrder', 'locality'] as const;
/** ScorePluginName is one of SCORE_PLUGIN_NAMES. */
export type ScorePluginName = (typeof SCORE_PLUGIN_NAMES)[number];

/** ScorePlugin rates options. */
export interface ScorePlugin {
  readonly name: ScorePluginName;
  /**
   * applies says whether the plugin has anything to say about the workload and these options (fragmentation needs a
   * pool that reports its free shape); a plugin that does not is left out of the total and the record.
   */
  applies(workload: Workload, options: readonly Option[]): boolean;
  /** score returns one score in [0, 100] per option, in the options' order. */
  score(workload: Workload, options: readonly Option[]): number[];
}

/** NEUTRAL is the score of an option a plugin cannot rate (an unpriced device): neither favoured nor penalised. */
export const NEUTRAL = 50;

/** clampScore keeps a score within [0, 100]. */
export function clampScore(x: number): number {
  return Math.min(100, Math.max(0, x));
}
