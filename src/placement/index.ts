/**
 * The placement engine's public surface, for controllers: build a snapshot, reduce a workload, decide, hold what the
 * decision promises. Everything here is pure; see place.ts and distribute.ts for the two decisions.
 */
export { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
export {
  currentReplicas,
  distribute,
  type Assignment,
  type InferenceDecision,
  type PlacedAssignment,
} from './distribute.ts';
export type { Explanation } from './explain.ts';
export { place, type Decision, type Placed, type Unschedulable } from './place.ts';
export { mergePromised, promisedFor, promisedForDistribution } from './promised.ts';
export { SCORE_PLUGIN_NAMES, type ScorePluginName } from './scores/score.ts';
export {
  buildSnapshot,
  type PoolInfo,
  type PromisedCapacity,
  type ResourceAmounts,
  type SiteInfo,
  type Snapshot,
} from './snapshot.ts';
export { inferenceWorkload, trainingWorkload, type Workload, type WorkloadResult } from './workload.ts';
