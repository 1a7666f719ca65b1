/**
 * The benchmark's figures, computed from the hub's record of the run (the TrainingJobs' status) as the lab test of
 * queues does (test/lab/queues.test.ts): wall time to the last completion, admissions per second, and each queue's
 * share of device-seconds while every queue had work waiting, next to its share of the weights.
 *
 * Device-seconds of an attempt are its charge's devices (every accelerator resource, summed) × the part of the
 * attempt — from placement to the end the operator recorded — inside the window. Status times are whole seconds.
 */
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { ACCELERATOR_RESOURCES } from '../../src/api/vendors.ts';
import { parseAmounts } from '../../src/queueing/amounts.ts';
import type { BenchQueue } from './workload-mix.ts';

/** QueueShare is one queue's device time over the contended window. */
export interface QueueShare {
  readonly queue: string;
  readonly weight: number;
  readonly weightShare: number;
  readonly jobs: number;
  readonly deviceSeconds: number;
  readonly share: number;
  /** Device-seconds over the whole run, for comparison. */
  readonly totalDeviceSeconds: number;
}

/** RunFigures are the hub-side figures of one run. */
export interface RunFigures {
  readonly jobs: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Whether every job Succeeded or Failed before the run ended. */
  readonly allFinished: boolean;
  /** From the first apply to the last completionTime (or to the end of the run, when not every job finished). */
  readonly wallSeconds: number;
  readonly admitted: number;
  /** Admitted jobs / (last first admission − first apply). */
  readonly admissionsPerSecond: number;
  /** The most admissions in any 30 s, per second. */
  readonly peakAdmissionsPerSecond: number;
  readonly meanSecondsToAdmission: number;
  readonly maxSecondsToAdmission: number;
  /** How long ended attempts held their charge, from placement to the end the operator recorded. */
  readonly medianAttemptSeconds: number;
  readonly p90AttemptSeconds: number;
  /** The window in which every queue had work waiting, in seconds after the first apply. */
  readonly windowFromSeconds: number;
  readonly windowUntilSeconds: number;
  readonly shares: readonly QueueShare[];
}

interface Attempt {
  readonly queue: string;
  readonly start: number;
  readonly end: number;
  readonly devices: number;
}

const PEAK_WINDOW_MS = 30_000;

function devicesOf(charge: Parameters<typeof parseAmounts>[0]): number {
  const amounts = parseAmounts(charge).amounts;
  return ACCELERATOR_RESOURCES.reduce((s, r) => s + (amounts[r] ?? 0), 0);
}

/** computeFigures reduces the TrainingJobs of the run; t0Ms is the first apply, nowMs the end of the run. */
export function computeFigures(tjs: readonly TrainingJob[], queues: readonly BenchQueue[], t0Ms: number, nowMs: number): RunFigures {
  const attempts: Attempt[] = [];
  const firstAdmission: number[] = [];
  let succeeded = 0;
  let failed = 0;
  let lastCompletion = 0;
  for (const tj of tjs) {
    const s = tj.status;
    if (s?.phase === 'Succeeded') succeeded += 1;
    if (s?.phase === 'Failed') failed += 1;
    lastCompletion = Math.max(lastCompletion, Date.parse(s?.completionTime ?? '') || 0);
    const first = s?.attempts?.[0]?.startTime ?? s?.admission?.admittedTime;
    if (first !== undefined) firstAdmission.push(Date.parse(first));
    for (const a of s?.attempts ?? []) {
      attempts.push({
        queue: a.queue ?? tj.spec.queue ?? '',
        start: Date.parse(a.startTime),
        end: a.endTime === undefined ? nowMs : Date.parse(a.endTime),
        devices: devicesOf(a.charge),
      });
    }
  }
  const allDone = succeeded + failed === tjs.length;
  const wallSeconds = ((allDone ? lastCompletion : nowMs) - t0Ms) / 1000;

  firstAdmission.sort((a, b) => a - b);
  const lastAdmission = firstAdmission.at(-1) ?? t0Ms;
  let peak = 0;
  for (let i = 0, j = 0; i < firstAdmission.length; i++) {
    while ((firstAdmission[i] as number) - (firstAdmission[j] as number) >= PEAK_WINDOW_MS) j++;
    peak = Math.max(peak, i - j + 1);
  }
  const waits = firstAdmission.map((t) => Math.max(0, t - t0Ms) / 1000);

  // Every queue has work waiting from when all its jobs exist (the applies end within seconds; each queue's first
  // start is a safe bound) until it starts its last job: the window is the overlap of those spans.
  const byQueue = (q: string): Attempt[] => attempts.filter((a) => a.queue === q);
  const from = Math.max(...queues.map((q) => Math.min(...byQueue(q.name).map((a) => a.start))));
  const until = Math.min(...queues.map((q) => Math.max(...byQueue(q.name).map((a) => a.start))));
  const overlap = (a: Attempt, lo: number, hi: number): number => Math.max(0, Math.min(a.end, hi) - Math.max(a.start, lo)) / 1000;
  const weights = queues.reduce((s, q) => s + q.weight, 0);
  const inWindow = queues.map((q) => byQueue(q.name).reduce((s, a) => s + a.devices * overlap(a, from, until), 0));
  const windowTotal = inWindow.reduce((s, x) => s + x, 0);
  const shares = queues.map((q, i) => ({
    queue: q.name,
    weight: q.weight,
    weightShare: q.weight / weights,
    jobs: tjs.filter((tj) => tj.spec.queue === q.name).length,
    deviceSeconds: inWindow[i] as number,
    share: windowTotal > 0 ? (inWindow[i] as number) / windowTotal : 0,
    totalDeviceSeconds: byQueue(q.name).reduce((s, a) => s + a.devices * overlap(a, -Infinity, Infinity), 0),
  }));

  const lengths = attempts.filter((a) => a.end < nowMs).map((a) => (a.end - a.start) / 1000).sort((a, b) => a - b);
  const quantile = (q: number): number => lengths[Math.min(lengths.length - 1, Math.floor(q * lengths.length))] ?? 0;
  return {
    jobs: tjs.length,
    succeeded,
    failed,
    allFinished: allDone,
    wallSeconds,
    admitted: firstAdmission.length,
    admissionsPerSecond: firstAdmission.length / Math.max(1, (lastAdmission - t0Ms) / 1000),
    peakAdmissionsPerSecond: peak / (PEAK_WINDOW_MS / 1000),
    meanSecondsToAdmission: waits.length === 0 ? 0 : waits.reduce((s, x) => s + x, 0) / waits.length,
    maxSecondsToAdmission: waits.length === 0 ? 0 : Math.max(...waits),
    medianAttemptSeconds: quantile(0.5),
    p90AttemptSeconds: quantile(0.9),
    windowFromSeconds: (from - t0Ms) / 1000,
    windowUntilSeconds: (until - t0Ms) / 1000,
    shares,
  };
}
