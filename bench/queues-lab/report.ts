/**
 * The benchmark's result as Markdown: what ran where, the headline figures, the share table and the CPU each lab
 * process used, so a result file can be read without the code.
 */
import type { RunFigures } from './figures.ts';
import type { CpuUse } from './process-cpu.ts';
import { GANG_WINDOW_MS, SAMPLED_TOTAL, type SamplerFigures } from './site-sampler.ts';
import { LAB_DEVICES, type BenchQueue } from './workload-mix.ts';

/** ReportInput is everything the report shows. */
export interface ReportInput {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly jobs: number;
  readonly seed: number;
  readonly podSeconds: number;
  readonly mix: string;
  readonly queues: readonly BenchQueue[];
  readonly run: RunFigures;
  readonly sites: SamplerFigures;
  readonly cpu: readonly CpuUse[];
  /** Jobs seen rewritten between two 10-s lists while they stayed Pending, and those that moved to another phase. */
  readonly hubWrites: { readonly waiting: number; readonly progress: number };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const list = (r: Readonly<Record<string, number>>): string => Object.entries(r).map(([k, v]) => `${v} ${k}`).join(', ') || '—';

/** renderReport renders the Markdown report. */
export function renderReport(r: ReportInput): string {
  const capacity = Object.values(LAB_DEVICES).reduce((s, x) => s + x, 0);
  const lines = [
    `# Queues lab benchmark — ${r.date}`,
    '',
    `Machine: ${r.machine}. Commit: ${r.commit}. Default lab (examples/lab/default.yaml, ${capacity} devices), kwok keeps each pod Running ${r.podSeconds} s.`,
    `${r.jobs} TrainingJobs (seed ${r.seed}) applied at once: ${r.mix}.`,
    '',
    '| Queue | Weight | Quota (+ borrowing) |',
    '|---|---|---|',
    ...r.queues.map((q) => `| ${q.name} | ${q.weight} | ${list(q.quota)}${Object.keys(q.borrowingLimit).length > 0 ? ` (+ ${list(q.borrowingLimit)})` : ''} |`),
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Jobs Succeeded / Failed | ${r.run.succeeded} / ${r.run.failed} of ${r.run.jobs} |`,
    `| Wall time, first apply → last Succeeded | ${r.run.allFinished ? '' : 'not reached: stopped after '}${r.run.wallSeconds.toFixed(0)} s |`,
    `| Admissions per second (${r.run.admitted} first attempts over first apply → last admission) | ${r.run.admissionsPerSecond.toFixed(2)} /s |`,
    `| Peak admissions per second (best 30 s) | ${r.run.peakAdmissionsPerSecond.toFixed(2)} /s |`,
    `| Time to admission, mean / max | ${r.run.meanSecondsToAdmission.toFixed(0)} s / ${r.run.maxSecondsToAdmission.toFixed(0)} s |`,
    `| Attempt length (placed → recorded end), median / p90, for pods that run ${r.podSeconds} s | ${r.run.medianAttemptSeconds.toFixed(0)} s / ${r.run.p90AttemptSeconds.toFixed(0)} s |`,
    `| Jobs rewritten while waiting / moved on (seen between 10-s lists) | ${r.hubWrites.waiting} / ${r.hubWrites.progress} |`,
    `| Devices in use at the sites, mean / peak (of ${capacity}) | ${(r.sites.meanDevices[SAMPLED_TOTAL] ?? 0).toFixed(1)} / ${r.sites.peakDevices[SAMPLED_TOTAL] ?? 0} |`,
    `| Site samples (failed), mean time per sample | ${r.sites.samples} (${r.sites.failedSamples}), ${r.sites.meanSampleMs.toFixed(0)} ms |`,
    `| Quota violations (queue × resource × sample over quota + borrowing) | ${r.sites.quotaViolations.length} |`,
    `| Gang violations (jobs with part of their workers bound > ${GANG_WINDOW_MS / 1000} s) | ${r.sites.gangViolations.length} |`,
    `| Longest partial gang seen | ${(r.sites.longestPartialMs / 1000).toFixed(1)} s |`,
    '',
    `Device-seconds while all four queues had work waiting (${r.run.windowFromSeconds.toFixed(0)} s → ${r.run.windowUntilSeconds.toFixed(0)} s after the first apply):`,
    '',
    '| Queue | Weight | Weight share | Jobs | Device-s in window | Share | Share / weight share | Device-s whole run | Peak devices (sites) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.run.shares.map(
      (s) =>
        `| ${s.queue} | ${s.weight} | ${pct(s.weightShare)} | ${s.jobs} | ${s.deviceSeconds.toFixed(0)} | ${pct(s.share)} | ${(s.share / s.weightShare).toFixed(2)} | ${s.totalDeviceSeconds.toFixed(0)} | ${r.sites.peakDevices[s.queue] ?? 0} |`,
    ),
    '',
    'CPU seconds of the lab processes over the run (2-core machine: the run had 2 × wall time to give):',
    '',
    '| Process | CPU s | Of one core |',
    '|---|---|---|',
    ...r.cpu.slice(0, 12).map((c) => `| ${c.label} | ${c.cpuSeconds.toFixed(0)} | ${pct(c.cpuSeconds / Math.max(1, r.run.wallSeconds))} |`),
  ];
  if (r.sites.quotaViolations.length > 0) {
    lines.push('', 'First quota violations:', '', ...r.sites.quotaViolations.slice(0, 10).map((v) => `- ${v.queue}: ${v.used} ${v.resource} > ${v.limit}`));
  }
  if (r.sites.gangViolations.length > 0) {
    lines.push('', 'First gang violations:', '', ...r.sites.gangViolations.slice(0, 10).flatMap((g) => [`- ${g.job}: ${g.bound} of ${g.workers} workers bound`, ...(g.pods ?? []).map((p) => `  - ${p}`)]));
  }
  return `${lines.join('\n')}\n`;
}
