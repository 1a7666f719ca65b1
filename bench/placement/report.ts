/**
 * The placement benchmark's result as Markdown: every measured line, then p50/p99 per decision (snapshot rebuilt for
 * each, as the controllers decide) against the targets of issue 18 and Karmada's published figure.
 */
import type { Timing } from './latency.ts';

/** TARGET_P99_MS is the P99 per decision aimed at, by federation size (issue 18 B2). */
export const TARGET_P99_MS: Readonly<Record<number, number>> = { 100: 5, 1000: 50 };

/** KARMADA is Karmada's published cluster_schedule latency at 100 member clusters (performance-anchors.md §1.2). */
export const KARMADA = { clusters: 100, p50: 12, p90: 15, p99: 32 };

/** SizeResult is every line measured on one federation size. */
export interface SizeResult {
  readonly sites: number;
  /** perDecision marks the lines that rebuild the snapshot for every decision (what the summary compares). */
  readonly timings: ReadonlyArray<{ readonly path: string; readonly timing: Timing; readonly perDecision: boolean }>;
}

/** PlacementReport is what the report shows besides the lines. */
export interface PlacementReport {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly results: readonly SizeResult[];
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** verdict compares a P99 with its size's target; sizes without one have no verdict. */
function verdict(sites: number, p99: number): string {
  const target = TARGET_P99_MS[sites];
  return target === undefined ? '—' : `≤ ${target} ms: ${p99 <= target ? 'met' : 'missed'}`;
}

/** renderPlacementReport renders the Markdown report. */
export function renderPlacementReport(r: PlacementReport): string {
  const lines = [
    `# Placement benchmark — ${r.date}`,
    '',
    `Machine: ${r.machine}. Commit: ${r.commit}. Command: \`${r.command}\`.`,
    'Synthetic federations of four pools per site (NVIDIA H100, Ascend 910B, Hygon DCU, CPU; bench/placement/federation.ts); 16 training gangs ' +
      'and 16 inference services decided in turn. "Per decision" rebuilds the snapshot from the Site objects for every decision, as the controllers do.',
    '',
    '## Per decision, against the targets',
    '',
    '| Sites × pools | Decision | Path | p50 ms | p99 ms | Target P99 |',
    '|---|---|---|---|---|---|',
  ];
  for (const size of r.results) {
    for (const { path, timing, perDecision } of size.timings) {
      if (!perDecision) continue;
      const decision = timing.name.startsWith('buildSnapshot + place') ? 'place (training gang)' : 'distribute (inference)';
      lines.push(`| ${size.sites} × 4 | ${decision} | ${path} | ${ms(timing.p50)} | ${ms(timing.p99)} | ${verdict(size.sites, timing.p99)} |`);
    }
  }
  lines.push(
    `| ${KARMADA.clusters} clusters | Karmada cluster_schedule | — | ${KARMADA.p50} | ${KARMADA.p99} | published, not measured here |`,
    '',
    '## Every line',
    '',
    '| Sites | Line | Decisions | Per second | p50 ms | p90 ms | p99 ms | max ms | CPU ms each | Heap change MiB |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const size of r.results) {
    for (const { timing: t } of size.timings) {
      lines.push(
        `| ${size.sites} | ${t.name} | ${t.count} | ${t.perSecond.toFixed(0)} | ${ms(t.p50)} | ${ms(t.p90)} | ${ms(t.p99)} | ${ms(t.max)} | ${t.cpuMsEach.toFixed(2)} | ${t.heapChangeMiB.toFixed(1)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
