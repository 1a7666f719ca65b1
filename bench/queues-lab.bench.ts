/**
 * Queues lab benchmark (issue 12, "Benchmarks"): starts its own default lab, creates four Queues weighted 1 : 1 : 2 : 4,
 * applies a thousand TrainingJobs at once — gangs of one and two workers, H100-only, A100-or-Ascend, portable and
 * CPU-only — and lets kwok complete their pods. While they run it samples the sites every 2 s for quota and gang
 * violations; at the end it reports the wall time until all Succeeded, admissions per second, each queue's share of
 * device-seconds while all four had work waiting against its weight, and the CPU each lab process used. The result
 * goes to stdout and to bench/results/queues-lab-<date>.md (-<n>-jobs before .md when --jobs is not the default).
 *
 *   node bench/queues-lab.bench.ts [--jobs=1000] [--pod-seconds=5] [--seed=1] [--timeout-minutes=20]
 *
 * Heavy: it runs a whole lab on the machine; run nothing else heavy beside it. Exits 1 when a job failed, the run
 * timed out, or a violation was seen.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { Queue, TrainingJob } from '../src/api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../src/api/names.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import type { LabState } from '../src/lab/state.ts';
import { computeFigures, type RunFigures } from './queues-lab/figures.ts';
import { CpuMeter, cpuSeconds } from './queues-lab/process-cpu.ts';
import { renderReport } from './queues-lab/report.ts';
import { GANG_WINDOW_MS, SAMPLED_TOTAL, SiteSampler, type SamplerFigures } from './queues-lab/site-sampler.ts';
import { generateJobs, jobYaml, LAB_DEVICES, QUEUES, queueYaml, type BenchJob } from './queues-lab/workload-mix.ts';
import { withBenchLab } from './support/lab.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const NAMESPACE = 'bench';
const DEFAULT_JOBS = 1000;
const APPLY_CHUNKS = 4;
const SAMPLE_EVERY_MS = 2_000;
const PROGRESS_EVERY_MS = 10_000;
/** A job Placed this long without all its workers running is counted as stuck at its site in the progress line. */
const STUCK_AFTER_MS = 60_000;

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: String(DEFAULT_JOBS) },
    'pod-seconds': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    'timeout-minutes': { type: 'string', default: '20' },
  },
});
const jobCount = Number(values.jobs);
const podSeconds = Number(values['pod-seconds']);
const seed = Number(values.seed);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;
for (const [flag, v] of [['--jobs', jobCount], ['--pod-seconds', podSeconds], ['--seed', seed], ['--timeout-minutes', timeoutMs]] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} must be a positive number`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => console.log(line);

/** kubectl runs the real kubectl without blocking the sampler; rejects with its stderr when it fails. */
function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} failed (${code}): ${err.trim()}`))));
    child.stdin.end(input ?? '');
  });
}

function describeMix(jobs: readonly BenchJob[]): string {
  const count = (f: (j: BenchJob) => boolean): number => jobs.filter(f).length;
  const shapes = (['h100', 'a100-or-ascend', 'portable', 'cpu'] as const).map((s) => `${count((j) => j.shape === s)} ${s}`).join(', ');
  const devices = jobs.reduce((s, j) => s + j.workers * j.devicesPerWorker, 0);
  return `${shapes}; ${count((j) => j.workers === 2)} two-worker gangs; ${devices} devices asked in all; per queue ${QUEUES.map((q) => `${q.name} ${count((j) => j.queue === q.name)}`).join(', ')}`;
}

async function listJobs(custom: CustomObjectsApi): Promise<TrainingJob[]> {
  const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob })) as { items: TrainingJob[] };
  return list.items;
}

async function listQueues(custom: CustomObjectsApi): Promise<Queue[]> {
  return ((await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: Plural.Queue })) as { items: Queue[] }).items;
}

async function run(state: LabState, workDir: string): Promise<boolean> {
  const hub = state.clusters.find((c) => c.role === 'hub');
  if (hub === undefined) throw new Error('the lab has no hub cluster');
  const kc = new KubeConfig();
  kc.loadFromFile(hub.kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const operator = state.components.find((c) => c.name === 'operator');
  const meter = new CpuMeter([
    ...state.components.map((c) => ({ label: `${c.name} (${c.cluster})`, pid: c.pid })),
    { label: 'this benchmark (sampling, progress)', pid: process.pid },
  ]);

  await kubectl(hub.kubeconfig, ['create', 'namespace', NAMESPACE]);
  await kubectl(hub.kubeconfig, ['apply', '-f', '-'], QUEUES.map(queueYaml).join('---\n'));
  const jobs = generateJobs(jobCount, seed);
  const mix = describeMix(jobs);
  log(`${jobs.length} jobs: ${mix}`);
  const files: string[] = [];
  const perChunk = Math.ceil(jobs.length / APPLY_CHUNKS);
  for (let i = 0; i < APPLY_CHUNKS; i++) {
    const file = join(workDir, `jobs-${i}.yaml`);
    writeFileSync(file, jobs.slice(i * perChunk, (i + 1) * perChunk).map(jobYaml).join('---\n'));
    files.push(file);
  }
  const sampler = new SiteSampler(
    state.clusters.filter((c) => c.role === 'site').map((c) => ({ name: c.name, kubeconfig: c.kubeconfig })),
    NAMESPACE,
    jobs,
    QUEUES,
  );

  // Sampling starts before the first apply: an admission made while the applies still run is checked too.
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const next = Date.now() + SAMPLE_EVERY_MS;
      await sampler.sample(Date.now);
      await sleep(Math.max(0, next - Date.now()));
    }
  })();
  meter.start();
  const t0 = Date.now();
  // Every chunk at once: `create` (not apply) spares the last-applied annotation on a thousand objects. The operator
  // admits while the applies run, so progress is shown from the start.
  let applyError: unknown;
  const applying = Promise.all(files.map((f) => kubectl(hub.kubeconfig, ['create', '-n', NAMESPACE, '-f', f]))).then(
    () => log(`applied ${jobs.length} TrainingJobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`),
    (err: unknown) => {
      applyError = err;
    },
  );
  let tjs: TrainingJob[] = [];
  // Writes the hub made to jobs that stayed Pending between two lists (their Admitted condition's wait message) against
  // those that moved a job on: how much of the operator's work goes to saying why jobs wait.
  let previous = new Map<string, { rv: string; phase: string }>();
  const writes = { waiting: 0, progress: 0 };
  let operatorCpu = operator === undefined ? 0 : cpuSeconds(operator.pid);
  let lastProgress = Date.now();
  try {
    for (;;) {
      await sleep(PROGRESS_EVERY_MS);
      if (applyError !== undefined) throw applyError;
      tjs = await listJobs(custom).catch(() => tjs);
      const phases = new Map<string, number>();
      const seen = new Map<string, { rv: string; phase: string }>();
      for (const tj of tjs) {
        const phase = tj.status?.phase ?? 'New';
        phases.set(phase, (phases.get(phase) ?? 0) + 1);
        const current = { rv: tj.metadata.resourceVersion ?? '', phase };
        seen.set(tj.metadata.name ?? '', current);
        const before = previous.get(tj.metadata.name ?? '');
        if (before === undefined || before.rv === current.rv) continue;
        if (before.phase === 'Pending' && phase === 'Pending') writes.waiting += 1;
        else writes.progress += 1;
      }
      previous = seen;
      // Jobs placed a minute ago whose workers still do not all run: the gang waits at its site (pods unbound), which
      // placement meant not to happen. The first one's Running condition says what the site reports.
      const stuck = tjs.filter((tj) => tj.status?.phase === 'Placed' && Date.now() - Date.parse(tj.status.placement?.decisionTime ?? '') > STUCK_AFTER_MS);
      const firstStuck = stuck[0]?.status?.conditions?.find((c) => c.type === 'Running');
      const queues = await listQueues(custom).catch((): Queue[] => []);
      const now = Date.now();
      const cpuNow = operator === undefined ? 0 : cpuSeconds(operator.pid);
      const operatorPct = (100 * (cpuNow - operatorCpu)) / ((now - lastProgress) / 1000);
      operatorCpu = cpuNow;
      lastProgress = now;
      const sites = sampler.figures();
      log(
        `[${((now - t0) / 1000).toFixed(0).padStart(4)} s] ${[...phases].map(([p, n]) => `${p} ${n}`).join(', ')} | ` +
          `queues ${queues.map((q) => `${q.metadata.name} ${q.status?.admitted ?? 0}/${q.status?.pending ?? 0}`).join(' ')} (admitted/pending) | ` +
          `devices now ${sites.lastDevices[SAMPLED_TOTAL] ?? 0} | violations quota ${sites.quotaViolations.length} gang ${sites.gangViolations.length} | operator CPU ${operatorPct.toFixed(0)} % | ` +
          `jobs rewritten while waiting ${writes.waiting}, moved on ${writes.progress} | placed over ${STUCK_AFTER_MS / 1000} s without running ${stuck.length}` +
          (firstStuck === undefined ? '' : ` (${stuck[0]?.metadata.name} at ${stuck[0]?.status?.site}: ${firstStuck.reason}: ${firstStuck.message})`),
      );
      const finished = (phases.get('Succeeded') ?? 0) + (phases.get('Failed') ?? 0);
      if (tjs.length === jobs.length && finished === jobs.length) break;
      if (now - t0 > timeoutMs) {
        log(`timed out after ${timeoutMs / 60_000} min with ${jobs.length - finished} jobs unfinished; reporting what ran`);
        break;
      }
    }
  } finally {
    done = true;
    await Promise.all([sampling, applying]);
  }
  tjs = await listJobs(custom);
  const end = Date.now();
  const figures = computeFigures(tjs, QUEUES, t0, end);
  const sites = sampler.figures();
  const date = new Date(t0).toISOString().slice(0, 10);
  const report = renderReport({
    date,
    machine: machine(),
    commit: gitCommit(),
    jobs: jobs.length,
    seed,
    podSeconds,
    mix,
    queues: QUEUES,
    run: figures,
    sites,
    cpu: meter.used(),
    hubWrites: writes,
  });
  log(`\n${report}`);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `queues-lab-${date}${jobCount === DEFAULT_JOBS ? '' : `-${jobCount}-jobs`}.md`);
  writeFileSync(file, report);
  log(`written to ${file.replace(`${REPO_ROOT}/`, '')}`);
  recordFigures(figures, sites, file.replace(`${REPO_ROOT}/`, ''));
  return figures.succeeded === jobs.length && sites.quotaViolations.length === 0 && sites.gangViolations.length === 0;
}

/** recordFigures hands the table the report's headline figures, each beside its bound where it has one. */
function recordFigures(f: RunFigures, sites: SamplerFigures, detail: string): void {
  const capacity = Object.values(LAB_DEVICES).reduce((s, x) => s + x, 0);
  const reproduce = `node bench/queues-lab.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  const setting = `${f.jobs.toLocaleString('en-US')} TrainingJobs (mixed gangs and variants, seed ${seed}) at once in ${QUEUES.length} queues, weights ${QUEUES.map((q) => q.weight).join(':')}, default lab, ${podSeconds} s pods`;
  const row = (figure: string, value: string, limit?: string): void =>
    recordFigure({ bench: 'queues-lab', figure: `${setting}: ${figure}`, value, ...(limit !== undefined && { limit }), reproduce, detail });
  row(
    'first apply → last Succeeded',
    f.allFinished ? `${f.succeeded.toLocaleString('en-US')} Succeeded, ${f.failed} Failed in ${f.wallSeconds.toFixed(0)} s` : `not reached: ${f.succeeded} of ${f.jobs} Succeeded when the run stopped after ${f.wallSeconds.toFixed(0)} s`,
  );
  row('admissions per second', `${f.admissionsPerSecond.toFixed(2)} /s (peak ${f.peakAdmissionsPerSecond.toFixed(2)} /s over 30 s); time to admission mean ${f.meanSecondsToAdmission.toFixed(0)} s, max ${f.maxSecondsToAdmission.toFixed(0)} s`);
  row('attempt placed → recorded end', `median ${f.medianAttemptSeconds.toFixed(0)} s, p90 ${f.p90AttemptSeconds.toFixed(0)} s`, `the pods run ${podSeconds} s`);
  const mean = sites.meanDevices[SAMPLED_TOTAL] ?? 0;
  row('devices in use at the sites, mean / peak', `${mean.toFixed(1)} / ${sites.peakDevices[SAMPLED_TOTAL] ?? 0}`, `of ${capacity} in the lab (mean ${((100 * mean) / capacity).toFixed(0)} %)`);
  row('quota violations (queue × resource × sample over quota + borrowing)', String(sites.quotaViolations.length), '0');
  row(`gang violations (part of a gang bound > ${GANG_WINDOW_MS / 1000} s)`, `${sites.gangViolations.length} (longest partial gang ${(sites.longestPartialMs / 1000).toFixed(1)} s)`, '0');
  row(
    `device-seconds while all four queues waited (${f.windowFromSeconds.toFixed(0)} → ${f.windowUntilSeconds.toFixed(0)} s), ${f.shares.map((s) => s.queue).join(' / ')}`,
    f.shares.map((s) => `${(100 * s.share).toFixed(1)}`).join(' / ') + ' %',
    `weight shares ${f.shares.map((s) => `${(100 * s.weightShare).toFixed(1)}`).join(' / ')} %`,
  );
}

const workDir = mkdtempSync(join(tmpdir(), 'suanwang-bench-queues-jobs-'));
try {
  const ok = await withBenchLab({ name: 'queues', topology: 'examples/lab/default.yaml', podSeconds, log }, ({ state }) => run(state, workDir));
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
