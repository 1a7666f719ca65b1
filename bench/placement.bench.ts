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
import { renderPlacementReport, type SizeResult } from './placement/report.ts';
import { gitCommit, machine } from './support/run-info.ts';

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
console.log(`written to ${file.replace(`${REPO_ROOT}/`, '')}`);
