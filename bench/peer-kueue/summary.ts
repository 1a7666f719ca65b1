/**
 * Reads the files Kueue's scheduler benchmark runner leaves in its output directory and reduces them to the figures
 * upstream's checker (test/performance/scheduler/checker) judges, computed the same way:
 * - wall time is minimalkueue's wall clock from `minimalkueue.stats.yaml`;
 * - usage is cpuUsed × 100 / (nominalQuota × (lastEventTime − firstEventTime)) over the ClusterQueues;
 * - time to admission is the per-class average from `summary.yaml`.
 */
import { parse } from 'yaml';

/** WORKLOAD_CLASSES are the workload classes of upstream's baseline scenario. */
export const WORKLOAD_CLASSES = ['large', 'medium', 'small'] as const;
/** WorkloadClass names one of them. */
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

/** KueueBaselineFigures are the measured figures of one run. */
export interface KueueBaselineFigures {
  /** wallSeconds is how long minimalkueue ran: start-up, every admission and the drain. */
  readonly wallSeconds: number;
  /** cpuSeconds is minimalkueue's user + system CPU time. */
  readonly cpuSeconds: number;
  readonly maxRssMiB: number;
  /** usagePercent is the share of the ClusterQueues' nominal CPU quota in use while workloads ran. */
  readonly usagePercent: number;
  readonly averageTimeToAdmissionSeconds: Readonly<Record<WorkloadClass, number>>;
  /** workloads is how many workloads the recorder saw, over all classes. */
  readonly workloads: number;
  readonly evictions: number;
  /** droppedWorkloadEvents counts events the recorder lost; non-zero makes the averages suspect. */
  readonly droppedWorkloadEvents: number;
}

/** KueueBaselineLimits are upstream's pass thresholds (configs/baseline/rangespec.yaml). */
export interface KueueBaselineLimits {
  readonly maxWallSeconds: number;
  readonly minUsagePercent: number;
  readonly maxAverageTimeToAdmissionSeconds: Readonly<Record<WorkloadClass, number>>;
}

function record(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected a mapping`);
  return v as Record<string, unknown>;
}

function num(parent: Record<string, unknown>, field: string, where: string): number {
  const v = parent[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}.${field}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Go writes RFC 3339 with nanoseconds; Date.parse is only specified for milliseconds, so cut the fraction there. */
function timeMs(parent: Record<string, unknown>, field: string, where: string): number {
  const v = parent[field];
  const m = typeof v === 'string' ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(v) : null;
  const ms = m ? Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3]}`) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`${where}.${field}: expected an RFC 3339 time, got ${JSON.stringify(v)}`);
  return ms;
}

function perClass(map: Record<string, unknown>, where: string, read: (entry: Record<string, unknown>, at: string) => number): Record<WorkloadClass, number> {
  const out = {} as Record<WorkloadClass, number>;
  for (const c of WORKLOAD_CLASSES) out[c] = read(record(map[c], `${where}.${c}`), `${where}.${c}`);
  return out;
}

/** parseBaselineFigures reduces summary.yaml and minimalkueue.stats.yaml (their texts) to KueueBaselineFigures. */
export function parseBaselineFigures(summaryText: string, statsText: string, summaryFile: string, statsFile: string): KueueBaselineFigures {
  const summary = record(parse(summaryText), summaryFile);
  const stats = record(parse(statsText), statsFile);

  const queues = record(summary['clusterQueueClasses'], `${summaryFile}: clusterQueueClasses`);
  let cpuUsed = 0;
  let quotaMs = 0;
  for (const [name, value] of Object.entries(queues)) {
    const where = `${summaryFile}: clusterQueueClasses.${name}`;
    const q = record(value, where);
    const elapsedMs = timeMs(q, 'lastEventTime', where) - timeMs(q, 'firstEventTime', where);
    cpuUsed += num(q, 'cpuUsed', where);
    quotaMs += num(q, 'nominalQuota', where) * elapsedMs;
  }
  if (quotaMs <= 0) throw new Error(`${summaryFile}: clusterQueueClasses has no quota over time; did any workload run?`);

  const classes = record(summary['workloadClasses'], `${summaryFile}: workloadClasses`);
  let workloads = 0;
  let evictions = 0;
  for (const [name, value] of Object.entries(classes)) {
    const c = record(value, `${summaryFile}: workloadClasses.${name}`);
    workloads += num(c, 'count', `${summaryFile}: workloadClasses.${name}`);
    evictions += num(c, 'totalEvictions', `${summaryFile}: workloadClasses.${name}`);
  }

  return {
    wallSeconds: num(stats, 'wallMs', statsFile) / 1000,
    cpuSeconds: (num(stats, 'userMs', statsFile) + num(stats, 'sysMs', statsFile)) / 1000,
    maxRssMiB: num(stats, 'maxrss', statsFile) / 1024, // Linux reports ru_maxrss in KiB
    usagePercent: (cpuUsed * 100) / quotaMs,
    averageTimeToAdmissionSeconds: perClass(classes, `${summaryFile}: workloadClasses`, (c, at) => num(c, 'averageTimeToAdmissionMs', at) / 1000),
    workloads,
    evictions,
    droppedWorkloadEvents: num(summary, 'droppedWorkloadEvents', summaryFile),
  };
}

/**
 * parseBaselineLimits reads upstream's rangespec.yaml; usage is the limit of its single ClusterQueue class "cq". The
 * file writes numbers as 425_000, which YAML 1.1 (what Kueue's Go YAML reads) takes as a number and YAML 1.2 does not.
 */
export function parseBaselineLimits(text: string, file: string): KueueBaselineLimits {
  const spec = record(parse(text, { version: '1.1' }), file);
  const admission = record(spec['wlClassesMaxAvgTimeToAdmissionMs'], `${file}: wlClassesMaxAvgTimeToAdmissionMs`);
  const maxAdmission = {} as Record<WorkloadClass, number>;
  for (const c of WORKLOAD_CLASSES) maxAdmission[c] = num(admission, c, `${file}: wlClassesMaxAvgTimeToAdmissionMs`) / 1000;
  return {
    maxWallSeconds: num(record(spec['cmd'], `${file}: cmd`), 'maxWallMs', `${file}: cmd`) / 1000,
    minUsagePercent: num(record(spec['clusterQueueClassesMinUsage'], `${file}: clusterQueueClassesMinUsage`), 'cq', `${file}: clusterQueueClassesMinUsage`),
    maxAverageTimeToAdmissionSeconds: maxAdmission,
  };
}
