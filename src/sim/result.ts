/**
 * What one simulator run produces: the trace and the federation it replayed, and per policy a summary, time series
 * and the waiting-time distribution. The JSON file (`--out DIR/result.json`) is this object; the HTML report is drawn
 * from it alone, so a report can be rebuilt from the JSON and the two never disagree.
 */

/** PolicyName names a placement policy the simulator compares (README, "Simulator"). */
export type PolicyName = 'suanwang' | 'first-fit' | 'pooled' | 'static';

/** SimSite is one site of the simulated federation as the report shows it. */
export interface SimSite {
  readonly name: string;
  readonly nodes: number;
  readonly gpus: number;
}

/** TraceInfo describes the replayed trace. */
export interface TraceInfo {
  /** File name (not the path: results must not depend on where the file was). */
  readonly name: string;
  readonly tasks: number;
  /** Tasks asking for part of one GPU (openb gpu_milli < 1000), and how they were treated (README). */
  readonly gpuShareTasks: number;
  readonly gpuTasks: number;
  readonly cpuTasks: number;
  /** Seconds from the first arrival to the last. */
  readonly spanS: number;
}

/** PolicySummary is one row of the results table. */
export interface PolicySummary {
  /** Time-averaged share of the federation's GPUs allocated, 0–1, from the first arrival to the last departure. */
  readonly gpuAllocationAvg: number;
  /** Share of GPUs allocated when the first arrival found no room at all (null: that never happened). */
  readonly gpuAllocationAtFirstUnplaceable: number | null;
  readonly waitP50S: number;
  readonly waitP99S: number;
  readonly placed: number;
  /** Tasks never placed by the end of the run (also: tasks no node of their site(s) could ever hold). */
  readonly neverPlaced: number;
  /**
   * Fragmented GPUs, time-averaged: free GPUs on nodes whose free GPUs cannot hold the typical GPU request of the
   * trace (README says the exact rule).
   */
  readonly fragmentedGpus: number;
  /** Real time the policy's replay took on this machine, ms (not part of the byte-identical comparison). */
  readonly wallMs: number;
}

/** SeriesPoint is the federation at one instant of virtual time (at most MAX_SERIES_POINTS per policy). */
export interface SeriesPoint {
  /** Seconds since the first arrival. */
  readonly t: number;
  /** Allocated GPUs per site name. */
  readonly allocatedGpus: Readonly<Record<string, number>>;
  readonly totalAllocatedGpus: number;
  readonly waiting: number;
}

/** WaitBucket is one bar of the waiting-time distribution: tasks that waited at most `leS` seconds (and more than the bar before). */
export interface WaitBucket {
  readonly leS: number;
  readonly count: number;
}

/** PolicyResult is everything one policy's replay produced. */
export interface PolicyResult {
  readonly policy: PolicyName;
  readonly summary: PolicySummary;
  readonly series: readonly SeriesPoint[];
  readonly waitHistogram: readonly WaitBucket[];
}

/** SimResult is the whole run. */
export interface SimResult {
  readonly trace: TraceInfo;
  readonly sites: readonly SimSite[];
  readonly totalGpus: number;
  readonly policies: readonly PolicyResult[];
}

/** MAX_SERIES_POINTS bounds each policy's time series (the report draws at most this many points per line). */
export const MAX_SERIES_POINTS = 500;
