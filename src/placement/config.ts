/**
 * Placement settings: how much each score plugin counts. The operator reads them from its configuration; the engine
 * takes them as an argument so a decision depends only on what it is handed.
 */
import type { ScorePluginName } from './scores/score.ts';

/** PlacementConfig weighs the score plugins. A weight of 0 turns a plugin off; weights need not sum to anything. */
export interface PlacementConfig {
  readonly weights: Readonly<Record<ScorePluginName, number>>;
}

/**
 * DEFAULT_PLACEMENT_CONFIG. Price counts most: moving work to cheaper (often greener, western) centres is the point of
 * the federation. Locality nearly as much, since for inference latency is what users notice. Health and packing next.
 * Variant order least: it tells two otherwise-equal options apart but should not buy a much dearer site; with these
 * weights and everything else equal, the second of two variants wins once it is more than about an eighth cheaper
 * than the first (40 × 100·c₂/c₁ + 10 × 100 < 40 × 100 + 10 × 50, up to rounding; see place.test.ts).
 *
 * Fragmentation as much as packing: both keep large blocks free for the next big gang — packing by a pool's totals,
 * fragmentation by its nodes (it counts only where sites report their free shape) — and a gang that cannot start
 * for want of a whole node idles devices that are paid for. Yet less than price: with everything else equal, an
 * option that breaks no whole free node (100) wins over one that breaks one (50) while it costs less than a third
 * more (40 × 100·c₁/c₂ + 20 × 100 > 40 × 100 + 20 × 50 ⇔ c₂ < 4/3 c₁); beyond that the cheaper site wins.
 */
export const DEFAULT_PLACEMENT_CONFIG: PlacementConfig = {
  weights: { price: 40, locality: 30, health: 20, packing: 20, fragmentation: 20, variantOrder: 10 },
};
