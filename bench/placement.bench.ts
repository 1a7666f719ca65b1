/**
 * Placement engine benchmark (issue 18 B2): the pure `place()` (training gangs) and `distribute()` (inference
 * replicas) over federations of 100 and 1,000 sites of four pools each (bench/placement/federation.ts), printing
 * decisions per second, latency percentiles, CPU time per decision and heap growth, then p50/p99 per decision against
 * the targets: P99 ≤ 5 ms at 100 sites, ≤ 50 ms at 1,000.
 *
 * Every federation is measured twice, identical but for one thing: as agents that report pool totals only (the
 * aggregate path), and with every pool's free shape (the gang filter fits node by node, the fragmentation score
 * runs). Per path, the decisions are timed on a prebuilt snapshot, then rebuilding the snapshot for every decision as
 * the controllers do (src/controllers/training/placing.ts, inference/placing.ts): the latter is "per decision" in
 * the summary, since it is what a workload waits for.
 *
 * Peer anchor: Karmada's cluster_schedule P50/P90/P99 = 12/15/32 ms at 100 member clusters
 * (../shared/research/performance-anchors.md §1.2) — published, not measured here.
 *
 *   node --expose-gc bench/placement.bench.ts [--sites=100,1000] [--decisions=N]
 *
 * --decisions is per line; by default 2,000 up to 100 sites and 1,000 beyond. The summary goes to stdout and to
 * bench/results/placement-<date>.md (-<sites> before .md when --sites is not the default). Pure CPU: run nothing
 * heavy beside it, or the percentiles measure the other load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { buildSnapshot, distribute, place } from '../src/placement/index.ts';
import { syntheticFederation } from './placement/federation.ts';
import { time, timingLine, type Timing } from './placement/latency.ts';
import { KARMADA, renderPlacementReport, TARGET_P99_MS, type SizeResult } from './placement/report.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const DEFAULT_SITES = '100,1000';
const { values } = parseArgs({ options: { sites: { type: 'string', default: DEFAULT_SITES }, decisions: { type: 'string' } } });
const sizes = values.sites.split(',').map((s) => Number(s.trim()));
for (const n of sizes) if (!Number.isInteger(n) || n <= 0) throw new Error(`--sites must be whole numbers above 0, comma-separated, not ${values.sites}`);
const decisionsFlag = values.decisions === undefined ? undefined : Number(values.decisions);
if (decisionsFlag !== undefined && (!Number.isInteger(decisionsFlag) || decisionsFlag <= 0)) throw new Error(`--decisions must be a whole number above 0, not ${values.decisions}`);
if (globalThis.gc === undefined) console.log('(run with node --expose-gc for a steadier heap figure)');

const results: SizeResult[] = [];
for (const siteCount of sizes) {
  const decisions = decisionsFlag ?? (siteCount <= 100 ? 2000 : 1000);
  const fed = syntheticFederation(siteCount);
  const timings: Array<{ path: string; timing: Timing; perDecision: boolean }> = [];
  for (const shapes of [false, true]) {
    const sites = fed.sites(shapes);
    const snapshot = buildSnapshot(sites, fed.promised);
    const path = shapes ? 'free shapes' : 'aggregate';
    const jobs = fed.trainingJobs;
    const services = fed.services;
    const placed = jobs.filter((job) => place(job, snapshot).kind === 'Placed').length;
    console.log(`-- ${siteCount} sites, ${path}: ${placed} of ${jobs.length} training jobs place`);
    const lines: Array<[string, (i: number) => unknown, boolean]> = [
      [`place [${path}] (training gang, 2 variants)`, (i) => place(jobs[i % jobs.length]!, snapshot), false],
      [`distribute [${path}] (inference, GPU + CPU fallback)`, (i) => distribute(services[i % services.length]!, snapshot), false],
      [`buildSnapshot + place [${path}]`, (i) => place(jobs[i % jobs.length]!, buildSnapshot(sites, fed.promised)), true],
      [`buildSnapshot + distribute [${path}]`, (i) => distribute(services[i % services.length]!, buildSnapshot(sites, fed.promised)), true],
    ];
    for (const [name, fn, perDecision] of lines) {
      const timing = time(name, fn, decisions);
      console.log(timingLine(timing, siteCount));
      timings.push({ path, timing, perDecision });
    }
  }
  results.push({ sites: siteCount, timings });
}

const date = new Date().toISOString().slice(0, 10);
const report = renderPlacementReport({
  date,
  machine: machine(),
  commit: gitCommit(),
  command: `node ${globalThis.gc === undefined ? '' : '--expose-gc '}bench/placement.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
  results,
});
console.log(`\n${report}`);
const resultsDir = join(REPO_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `placement-${date}${values.sites === DEFAULT_SITES ? '' : `-${sizes.join('-')}-sites`}.md`);
writeFileSync(file, report);
const detail = file.replace(`${REPO_ROOT}/`, '');
console.log(`written to ${detail}`);

// The table's figures: per decision (snapshot rebuilt, as the controllers decide) for each decision and path, against
// the size's P99 target; the prebuilt-snapshot lines as one bound; Karmada's published figure beside the 100 sites.
const reproduce = `node ${globalThis.gc === undefined ? '' : '--expose-gc '}bench/placement.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
const fmt = (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
for (const size of results) {
  const target = TARGET_P99_MS[size.sites];
  for (const { path, timing, perDecision } of size.timings) {
    if (!perDecision) continue;
    const decision = timing.name.startsWith('buildSnapshot + place') ? 'training gang (place)' : 'inference spread (distribute)';
    recordFigure({
      bench: 'placement',
      figure: `placement per decision, ${size.sites} sites × 4 pools, ${decision}, ${path === 'aggregate' ? 'pool totals' : 'free shapes (node by node, fragmentation score)'}; snapshot rebuilt per decision`,
      value: `p50 ${fmt(timing.p50)}, p99 ${fmt(timing.p99)} (${timing.count} decisions)`,
      ...(target !== undefined && {
        limit:
          `target P99 ≤ ${target} ms: ${timing.p99 <= target ? 'met' : 'missed'} (p99 = ${(timing.p99 / target).toFixed(2)} × target)` +
          (size.sites === KARMADA.clusters ? `; Karmada's published p99 ${KARMADA.p99} ms at ${KARMADA.clusters} clusters` : ''),
      }),
      reproduce,
      detail,
    });
  }
  const prebuilt = size.timings.filter((t) => !t.perDecision);
  const worst = Math.max(...prebuilt.map((t) => t.timing.p99));
  recordFigure({
    bench: 'placement',
    figure: `placement per decision, ${size.sites} sites × 4 pools, on a prebuilt snapshot (${prebuilt.length} lines: place and distribute, both paths)`,
    value: `every p99 ≤ ${fmt(worst)}`,
    ...(target !== undefined && { limit: `target P99 ≤ ${target} ms: ${worst <= target ? 'met' : 'missed'}` }),
    reproduce,
    detail,
  });
  if (size.sites === KARMADA.clusters) {
    recordFigure({
      bench: 'placement',
      system: 'Karmada v1.3 (published, not measured here: shared/research/performance-anchors.md §1.2)',
      figure: `cluster_schedule per decision, ${KARMADA.clusters} member clusters`,
      value: `p50 ${KARMADA.p50} ms, p90 ${KARMADA.p90} ms, p99 ${KARMADA.p99} ms`,
      reproduce,
      detail,
    });
  }
}
