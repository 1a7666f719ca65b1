/**
 * How many sites with real control planes this machine holds (issue 18, "many sites"): starts labs of K sites made
 * by `suanwang lab generate` from examples/lab/default.yaml (its three kinds of centre taken in turn), with the
 * federation and the product's default timing, and for each K prints the time until every Site is Ready, the
 * lab's resident memory (every process summed, per cluster), the memory one more site costs, and the CPU the idle lab
 * burns. From the largest K it extrapolates how many sites the memory available before the run would hold.
 *
 *   node bench/lab-scale.bench.ts [--sites=3,6,12] [--idle-seconds=30] [--timeout-minutes=10]
 *
 * Heavy: one lab after another, the largest with K site control planes; run nothing else heavy beside it. The table
 * goes to stdout and bench/results/lab-scale-<date>.md. A K whose lab does not become Ready is reported with the
 * reason, and larger ones are not tried.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { generateTopology } from '../src/lab/generate-topology.ts';
import { startLab, stopLab } from '../src/lab/lab.ts';
import type { LabState } from '../src/lab/state.ts';
import { cpuSeconds } from './queues-lab/process-cpu.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const TEMPLATE = 'examples/lab/default.yaml';
const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '3,6,12' },
    'idle-seconds': { type: 'string', default: '30' },
    'timeout-minutes': { type: 'string', default: '10' },
  },
});
const sizes = values.sites.split(',').map((s) => Number(s.trim()));
for (const k of sizes) if (!Number.isInteger(k) || k <= 0) throw new Error(`--sites must be whole numbers above 0, comma-separated, not ${values.sites}`);
const idleSeconds = Number(values['idle-seconds']);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;
if (!(idleSeconds > 0) || !(timeoutMs > 0)) throw new Error('--idle-seconds and --timeout-minutes must be above 0');

/** memAvailableMiB is the kernel's estimate of memory available for new work (MemAvailable), in MiB. */
function memAvailableMiB(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m?.[1] !== undefined ? Number(m[1]) / 1024 : freemem() / 2 ** 20;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Result is one lab size's figures, or why it did not come up. */
interface Result {
  readonly sites: number;
  readonly readySeconds?: number;
  readonly totalMiB?: number;
  readonly hubMiB?: number;
  readonly siteMiB?: number;
  readonly idleCores?: number;
  readonly processes?: number;
  readonly nodes?: number;
  readonly failed?: string;
}

/** measure reads the lab's memory by cluster and its CPU over the idle window. */
async function measure(state: LabState, sites: number, readySeconds: number): Promise<Result> {
  const pids = [state.supervisorPid, ...state.components.map((c) => c.pid)];
  const byCluster = new Map<string, number>();
  for (const c of state.components) byCluster.set(c.cluster, (byCluster.get(c.cluster) ?? 0) + rssMiB(c.pid));
  const hub = state.clusters.find((c) => c.role === 'hub')?.name ?? 'hub';
  const hubMiB = (byCluster.get(hub) ?? 0) + rssMiB(state.supervisorPid);
  const siteTotals = [...byCluster].filter(([name]) => name !== hub).map(([, mib]) => mib);
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const cpu1 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const nodes = state.clusters.reduce((n, c) => n + (c.pools ?? []).reduce((m, p) => m + p.nodes, 0), 0);
  return {
    sites,
    readySeconds,
    totalMiB: hubMiB + siteTotals.reduce((a, b) => a + b, 0),
    hubMiB,
    siteMiB: siteTotals.reduce((a, b) => a + b, 0) / Math.max(1, siteTotals.length),
    idleCores: (cpu1 - cpu0) / idleSeconds,
    processes: pids.length,
    nodes,
  };
}

const availableBefore = memAvailableMiB();
const started = performance.now();
const results: Result[] = [];
const template = readFileSync(join(REPO_ROOT, TEMPLATE), 'utf8');
for (const k of sizes) {
  const dir = mkdtempSync(join(tmpdir(), `suanwang-bench-lab-scale-${k}-`));
  const topologyFile = join(dir, 'topology.yaml');
  writeFileSync(topologyFile, generateTopology(template, k, [`lab-scale benchmark: ${k} sites from ${TEMPLATE}`]));
  console.log(`== ${k} sites: starting (memory available ${(memAvailableMiB() / 1024).toFixed(1)} GiB)`);
  const t0 = performance.now();
  let result: Result;
  try {
    const state = await startLab({ topologyFile, dir: join(dir, 'lab'), ownerPid: process.pid, timeoutMs, onProgress: (l) => console.log(`  [lab] ${l}`) });
    const readySeconds = (performance.now() - t0) / 1000;
    console.log(`  ready in ${readySeconds.toFixed(1)} s; measuring ${idleSeconds} s idle`);
    result = await measure(state, k, readySeconds);
  } catch (err) {
    result = { sites: k, failed: (err as Error).message.split('\n')[0] ?? String(err) };
  } finally {
    await stopLab(join(dir, 'lab')).catch(() => undefined);
  }
  results.push(result);
  console.log(result.failed !== undefined
    ? `  ${k} sites: FAILED — ${result.failed}`
    : `  ${k} sites: ready ${result.readySeconds?.toFixed(1)} s, ${((result.totalMiB ?? 0) / 1024).toFixed(1)} GiB (hub ${result.hubMiB?.toFixed(0)} MiB, a site ${result.siteMiB?.toFixed(0)} MiB), idle ${result.idleCores?.toFixed(2)} cores`);
  if (result.failed !== undefined) break;
}

const ok = results.filter((r) => r.failed === undefined);
const largest = ok.at(-1);
// One more site costs the slope between the smallest and largest lab (the hub's and the supervisor's share cancel).
const first = ok[0];
const perSite = largest !== undefined && first !== undefined && largest.sites > first.sites
  ? ((largest.totalMiB ?? 0) - (first.totalMiB ?? 0)) / (largest.sites - first.sites)
  : largest?.siteMiB;
const hold = largest !== undefined && perSite !== undefined && perSite > 0
  ? largest.sites + Math.floor((availableBefore - (largest.totalMiB ?? 0) - 2048) / perSite)
  : undefined;

const date = new Date().toISOString().slice(0, 10);
const lines = [
  `# Lab scale: sites with real control planes — ${date}`,
  '',
  `Machine: ${machine()}. Commit: ${gitCommit()}. Command: \`node bench/lab-scale.bench.ts ${process.argv.slice(2).join(' ')}\`.`.replace(' `.', '`.'),
  `Labs made by \`suanwang lab generate --sites K\` from ${TEMPLATE} (its sites in turn), with the federation (operator, an agent`,
  `and a node reporter per site) and the product's default timing; memory available before the run ${(availableBefore / 1024).toFixed(1)} GiB. Whole run ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  '',
  '| Sites | Nodes | Processes | Every Site Ready | Resident memory | Hub (+ operator, supervisor) | One site (mean) | Idle CPU |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map((r) => r.failed !== undefined
    ? `| ${r.sites} | | | failed: ${r.failed} | | | | |`
    : `| ${r.sites} | ${r.nodes} | ${r.processes} | ${r.readySeconds?.toFixed(1)} s | ${((r.totalMiB ?? 0) / 1024).toFixed(2)} GiB | ${r.hubMiB?.toFixed(0)} MiB | ${r.siteMiB?.toFixed(0)} MiB | ${r.idleCores?.toFixed(2)} cores |`),
  '',
  perSite === undefined ? 'No lab came up: nothing to extrapolate.' : `One more site costs ${perSite.toFixed(0)} MiB resident (slope from ${first?.sites} to ${largest?.sites} sites). With 2 GiB kept free, the memory available before the run would hold about ${hold} sites; the two cores, not memory, are the tighter bound when many start at once (see "Every Site Ready").`,
  '',
];
const report = lines.join('\n');
console.log(`\n${report}`);
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
const file = `bench/results/lab-scale-${date}.md`;
writeFileSync(join(REPO_ROOT, file), report);
console.log(`written to ${file}`);

const reproduce = `node bench/lab-scale.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
for (const r of results) {
  recordFigure({
    bench: 'lab-scale',
    figure: `lab of ${r.sites} sites with real control planes (every Site Ready; resident memory; idle CPU)`,
    value: r.failed !== undefined ? `failed: ${r.failed}` : `Ready in ${r.readySeconds?.toFixed(1)} s; ${((r.totalMiB ?? 0) / 1024).toFixed(2)} GiB; idle ${r.idleCores?.toFixed(2)} cores`,
    ...(r.failed === undefined && { limit: `${r.siteMiB?.toFixed(0)} MiB per site, hub ${r.hubMiB?.toFixed(0)} MiB` }),
    reproduce,
    detail: file,
  });
}
if (perSite !== undefined) {
  recordFigure({ bench: 'lab-scale', figure: 'memory per additional site; sites this machine would hold', value: `${perSite.toFixed(0)} MiB per site; about ${hold} sites`, limit: `${(availableBefore / 1024).toFixed(1)} GiB available before the run, 2 GiB kept free`, reproduce, detail: file });
}
process.exit(ok.length === results.length ? 0 : 1);
