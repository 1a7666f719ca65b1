/**
 * What a replay measures, as it goes: GPU allocation integrated over virtual time (per site and in total), waiting
 * tasks, waiting times, fragmented GPUs, and the allocation when an arrival first found no room.
 *
 * Definitions (README, "Simulator"):
 *  - GPU allocation ratio, time-averaged: ∫ allocated GPUs dt / (federation GPUs × (end − first arrival)), where end
 *    is the last departure (timed replay) or the last arrival (fill replay, where nothing departs).
 *  - At the first unplaceable arrival: allocated / federation GPUs just after the first instant at which a task that
 *    could run on an idle federation (under the policy's rules) arrived and was not placed.
 *  - Waiting time: placement − arrival, for placed tasks; p50 and p99 by nearest rank.
 *  - Fragmented GPUs: free GPUs on nodes that cannot run the trace's typical GPU task (the component-wise median of
 *    its GPU tasks' per-worker GPUs, cpu and memory) with what they have free, time-averaged like allocation.
 */
import type { Fleet } from './fleet.ts';
import { MAX_SERIES_POINTS, type PolicyName, type PolicyResult, type SeriesPoint, type WaitBucket } from './result.ts';

/** WAIT_BUCKET_EDGES_S are the upper edges of the waiting-time histogram's bars (placed at once, 1 min, ... 30 d). */
export const WAIT_BUCKET_EDGES_S: readonly number[] = [0, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400];

/** Recorder accumulates one policy's measurements. */
export class Recorder {
  readonly #fleet: Fleet;
  readonly #start: number;
  #last: number;
  #allocArea = 0;
  #fragArea = 0;
  readonly #waits: number[] = [];
  #atFirstUnplaceable: number | null = null;
  /** One entry per instant: the state after it. */
  readonly #log: SeriesPoint[] = [];

  /** `start` is the first arrival's time: series and averages count from it. */
  constructor(fleet: Fleet, start: number) {
    this.#fleet = fleet;
    this.#start = start;
    this.#last = start;
  }

  /** advance integrates the current state up to `t` (call before changing anything at `t`). */
  advance(t: number): void {
    const dt = t - this.#last;
    if (dt <= 0) return;
    this.#allocArea += this.#fleet.allocatedGpus * dt;
    this.#fragArea += this.#fleet.fragmentedGpus * dt;
    this.#last = t;
  }

  /** placed records a task placed at `t` that arrived at `arrival`. */
  placed(arrival: number, t: number): void {
    this.#waits.push(t - arrival);
  }

  /** unplaceable records that an arrival found no room at `t`; only the first counts. */
  unplaceable(): void {
    if (this.#atFirstUnplaceable === null) this.#atFirstUnplaceable = ratio(this.#fleet.allocatedGpus, this.#fleet.totalGpus);
  }

  /** note logs the state after an instant. */
  note(t: number, waiting: number): void {
    const point: SeriesPoint = { t: t - this.#start, allocatedGpus: this.#fleet.allocatedBySite(), totalAllocatedGpus: this.#fleet.allocatedGpus, waiting };
    const prev = this.#log.at(-1);
    if (prev !== undefined && prev.t === point.t) this.#log[this.#log.length - 1] = point;
    else this.#log.push(point);
  }

  /** finish closes the run at `end` and returns the policy's result. */
  finish(policy: PolicyName, end: number, neverPlaced: number, wallMs: number): PolicyResult {
    this.advance(end);
    const span = end - this.#start;
    const total = this.#fleet.totalGpus;
    const waits = [...this.#waits].sort((a, b) => a - b);
    return {
      policy,
      summary: {
        gpuAllocationAvg: span > 0 ? ratio(this.#allocArea / span, total) : ratio(this.#fleet.allocatedGpus, total),
        gpuAllocationAtFirstUnplaceable: this.#atFirstUnplaceable,
        waitP50S: percentile(waits, 0.5),
        waitP99S: percentile(waits, 0.99),
        placed: waits.length,
        neverPlaced,
        fragmentedGpus: span > 0 ? round(this.#fragArea / span, 2) : this.#fleet.fragmentedGpus,
        wallMs: Math.round(wallMs),
      },
      series: downsample(this.#log, span),
      waitHistogram: histogram(waits),
    };
  }
}

function ratio(n: number, total: number): number {
  return total > 0 ? round(n / total, 6) : 0;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** percentile is the nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

/** histogram counts waits per bar; a last bar up to the longest wait holds those beyond 30 days. */
function histogram(sorted: readonly number[]): WaitBucket[] {
  const bars = WAIT_BUCKET_EDGES_S.map((leS) => ({ leS, count: 0 }));
  const longest = sorted.at(-1) ?? 0;
  const last = WAIT_BUCKET_EDGES_S.at(-1) as number;
  if (longest > last) bars.push({ leS: longest, count: 0 });
  let i = 0;
  for (const w of sorted) {
    while (w > (bars[i] as WaitBucket).leS) i++;
    (bars[i] as { count: number }).count += 1;
  }
  return bars;
}

/**
 * downsample keeps at most MAX_SERIES_POINTS points: the state at evenly spaced instants from the first arrival to
 * the end (each the last logged state at or before it), always including the first and the last.
 */
function downsample(log: readonly SeriesPoint[], span: number): SeriesPoint[] {
  if (log.length <= MAX_SERIES_POINTS) return [...log];
  const out: SeriesPoint[] = [];
  let j = 0;
  for (let k = 0; k < MAX_SERIES_POINTS; k++) {
    const t = k === MAX_SERIES_POINTS - 1 ? span : (span * k) / (MAX_SERIES_POINTS - 1);
    while (j + 1 < log.length && (log[j + 1] as SeriesPoint).t <= t) j++;
    const p = log[j] as SeriesPoint;
    out.push({ ...p, t: round(t, 3) });
  }
  return out;
}
