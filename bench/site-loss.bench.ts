/**
 * Site loss with the default settings (issue 18 B5). Starts its own default lab (examples/lab/default.yaml) with the
 * product's timing — no test timing: the operator runs with its flag defaults, 40 s lease, 10 s heartbeats, 60 s
 * grace — and puts on one site (shanghai, a push site, unless --site names another) a TrainingJob of one 8-device
 * worker that can run at every site, and all the replicas of an InferenceService (the other sites are cordoned while
 * they are placed). Kwok keeps Job pods Running for --pod-seconds, longer than the run. Then it stops that site's
 * agent (its apiserver stays up) and measures, from just before the stop:
 *   - when the hub marks the site Ready=Unknown (LeaseExpired);
 *   - when the service's replicas serve elsewhere (replacements are added as soon as the lease expires,
 *     src/controllers/inference/replacements.ts), and when the lost site's replicas leave its plan (lease + grace);
 *   - when the training job runs elsewhere (only after lease + grace and its fence);
 *   - sampling member Jobs and pods at every site's own apiserver every --sample-ms: the most unfinished member Jobs
 *     of the job at once (1 means no duplicate copy) and the most replica pods running at once (above the desired
 *     count while the lease is expired, which costs capacity only).
 * Then it starts the agent again and waits until one copy of the job and the desired replicas are left.
 *
 *   node bench/site-loss.bench.ts [--site=shanghai] [--replicas=2] [--sample-ms=250] [--pod-seconds=900]
 *
 * About 3 minutes on the 2-core lab machine: ~40 s to start the lab and place, ~100 s for the loss (lease + grace +
 * the move), ~20 s for the return (up to 3 min), then the lab stops. The table goes to stdout and to bench/results/site-loss-<date>.md (-<site> before .md for
 * another site). Heavy: a whole lab; run nothing else heavy beside it. Exits 1 when a step was not reached or the
 * job ran twice at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { InferenceService, TrainingJob } from '../src/api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../src/api/names.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { controlComponent } from '../src/lab/lab.ts';
import type { ClusterState, LabState } from '../src/lab/state.ts';
import { labDefaults } from './site-loss/defaults.ts';
import { renderSiteLossReport } from './site-loss/report.ts';
import { Sampler, type Sample } from './site-loss/sample.ts';
import { Timeline } from './site-loss/timeline.ts';
import { BENCH_SITES, inferenceService, TRAINING_WORKERS, trainingJob } from './site-loss/workloads.ts';
import { withBenchLab } from './support/lab.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const NAMESPACE = 'site-loss';
const JOB = 'trainer';
const SERVICE = 'chat';
const DEFAULT_SITE = 'shanghai';
const PLACE_TIMEOUT_MS = 180_000;
/** After lease + grace, this long for the move itself before the run gives up. */
const MOVE_ALLOWANCE_MS = 180_000;
const RETURN_TIMEOUT_MS = 180_000;
const PROGRESS_EVERY_MS = 10_000;

const { values } = parseArgs({
  options: {
    site: { type: 'string', default: DEFAULT_SITE },
    replicas: { type: 'string', default: '2' },
    'sample-ms': { type: 'string', default: '250' },
    'pod-seconds': { type: 'string', default: '900' },
  },
});
const lost = values.site;
const replicas = Number(values.replicas);
const sampleMs = Number(values['sample-ms']);
const podSeconds = Number(values['pod-seconds']);
if (!BENCH_SITES.includes(lost)) throw new Error(`--site=${lost}: not a site of examples/lab/default.yaml (one of ${BENCH_SITES.join(', ')})`);
for (const [flag, v] of [['--replicas', replicas], ['--sample-ms', sampleMs], ['--pod-seconds', podSeconds]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a whole number above 0`);
}

const log = (line: string): void => console.log(line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function kubeConfig(c: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return kc;
}

/** cordon sets a Site's spec.cordon on the hub, so placement gives it no new work while set. */
function cordon(hub: ClusterState, site: string, on: boolean): void {
  const r = spawnSync('kubectl', ['--kubeconfig', hub.kubeconfig, 'patch', 'site', site, '--type=merge', '-p', JSON.stringify({ spec: { cordon: on } })], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl patch site ${site} cordon=${on}: ${r.stderr}`);
}

/** until polls `check` every 500 ms until it returns a value, or throws `what` after timeoutMs. */
async function until<T>(what: () => string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`not reached after ${timeoutMs / 1000} s: ${what()}`);
    await sleep(500);
  }
}

/** placeOnLostSite creates both workloads while the other sites are cordoned and waits until they run there. */
async function placeOnLostSite(state: LabState, hub: ClusterState): Promise<void> {
  const custom = kubeConfig(hub).makeApiClient(CustomObjectsApi);
  await kubeConfig(hub).makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const region = state.clusters.find((c) => c.name === lost)?.region;
  const others = state.clusters.filter((c) => c.role === 'site' && c.name !== lost).map((c) => c.name);
  for (const s of others) cordon(hub, s, true);
  try {
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, body: trainingJob(JOB, lost) });
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.InferenceService, body: inferenceService(SERVICE, lost, region, replicas) });
    let seen = '';
    await until(() => `${JOB} and ${SERVICE} running at ${lost}: ${seen}`, PLACE_TIMEOUT_MS, async () => {
      const tj = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, name: JOB })) as TrainingJob;
      const svc = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.InferenceService, name: SERVICE })) as InferenceService;
      const at = svc.status?.sites ?? [];
      seen = `job ${tj.status?.phase ?? '-'} at ${tj.status?.site ?? '-'} (${tj.status?.placement?.message ?? ''}); service ${at.map((x) => `${x.site} ${x.readyReplicas ?? 0}/${x.replicas ?? 0}`).join(', ') || '-'} (${svc.status?.placement?.message ?? ''})`;
      const jobThere = tj.status?.site === lost && tj.status.phase === 'Running';
      const serviceThere = at.length === 1 && at[0]?.site === lost && at[0].readyReplicas === replicas;
      return jobThere && serviceThere ? true : undefined;
    });
    log(`placed at ${lost}: ${seen}`);
  } finally {
    for (const s of others) cordon(hub, s, false);
  }
}

async function run(state: LabState, labStartSeconds: number): Promise<boolean> {
  const hub = state.clusters.find((c) => c.role === 'hub');
  const lostCluster = state.clusters.find((c) => c.name === lost);
  if (hub === undefined || lostCluster === undefined) throw new Error(`the lab has no hub or no site ${lost} (is the topology examples/lab/default.yaml?)`);
  const sites = state.clusters.filter((c) => c.role === 'site');
  const connection = lostCluster.connection ?? 'push';
  const defaults = labDefaults(state);
  log(`operator timing: lease ${defaults.leaseMs} ms, heartbeat ${defaults.heartbeatIntervalMs} ms, grace ${defaults.siteLostGraceMs} ms, poll ${defaults.pollIntervalMs} ms${defaults.productDefaults ? ' (the product defaults)' : ' — NOT the product defaults'}`);

  await placeOnLostSite(state, hub);
  const sampler = new Sampler(hub, sites, { namespace: NAMESPACE, job: JOB, service: SERVICE, lost });
  const timeline = new Timeline({ lost, replicas, workers: TRAINING_WORKERS });
  let sampleErrors = 0;
  let last: Sample | undefined;
  let agentBack: number | undefined;
  let lastProgress = 0;
  const sampleOnce = async (t0: number): Promise<void> => {
    const started = performance.now();
    try {
      last = await sampler.take(t0);
      timeline.observe(last, agentBack);
    } catch (err) {
      sampleErrors += 1;
      if (sampleErrors <= 3) log(`sample failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (last !== undefined && performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      log(`[${last.at.toFixed(0).padStart(4)} s] ${lost} Ready=${last.siteReady?.status ?? '?'}/${last.siteReady?.reason ?? ''}; job ${last.job.phase ?? '-'} at ${last.job.site ?? '-'} (epoch ${last.job.epoch ?? '-'}), member Jobs ${JSON.stringify(last.unfinishedMemberJobs)}; service ready ${JSON.stringify(last.serviceReady)}, replica pods ${JSON.stringify(last.replicaPods)}`);
    }
    await sleep(Math.max(0, sampleMs - (performance.now() - started)));
  };

  // The clock starts before the stop: the site's last heartbeat came at most one interval before it.
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  await controlComponent(state.dir, 'stop', 'agent', lost);
  const stopSeconds = (performance.now() - t0) / 1000;
  log(`stopped ${lost}'s agent (${stopSeconds.toFixed(1)} s)`);
  const lossDeadline = t0 + defaults.leaseMs + defaults.siteLostGraceMs + MOVE_ALLOWANCE_MS;
  const lossDone = (): boolean => timeline.lossDone() && (connection === 'pull' || timeline.firsts.has('oldCopyStopped'));
  while (!lossDone() && performance.now() < lossDeadline) await sampleOnce(t0);
  if (!lossDone()) log(`the loss did not complete within lease + grace + ${MOVE_ALLOWANCE_MS / 1000} s; starting the agent again`);

  await controlComponent(state.dir, 'start', 'agent', lost);
  agentBack = (performance.now() - t0) / 1000;
  log(`started ${lost}'s agent again at ${agentBack.toFixed(1)} s`);
  const returnDeadline = performance.now() + RETURN_TIMEOUT_MS;
  while (!timeline.returns.has('settled') && performance.now() < returnDeadline) await sampleOnce(t0);

  const date = new Date().toISOString().slice(0, 10);
  const report = renderSiteLossReport({
    date,
    machine: machine(),
    commit: gitCommit(),
    command: `node bench/site-loss.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
    lost,
    connection,
    defaults,
    labStartSeconds,
    startedAt,
    movedTo: last?.job.site !== lost ? last?.job.site : undefined,
    replicas,
    sampleEveryMs: sampleMs,
    sampleErrors,
    stopSeconds,
    agentBack,
    timeline,
  });
  log(`\n${report}`);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `site-loss-${date}${lost === DEFAULT_SITE ? '' : `-${lost}`}.md`);
  writeFileSync(file, report);
  log(`written to ${file.replace(`${REPO_ROOT}/`, '')}`);
  recordFigures(timeline, defaults, connection, file.replace(`${REPO_ROOT}/`, ''), agentBack, last?.job.site !== lost ? last?.job.site : undefined);
  return timeline.firsts.has('servingElsewhere') && timeline.firsts.has('trainingRunningElsewhere') && timeline.maxMemberJobs <= 1;
}

/** recordFigures hands the table the report's bold figures, each beside what the settings lead one to expect. */
function recordFigures(t: Timeline, d: ReturnType<typeof labDefaults>, connection: 'push' | 'pull', detail: string, agentBack: number | undefined, movedTo: string | undefined): void {
  const reproduce = `node bench/site-loss.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  const setting =
    `site loss (B5), ${lost} (${connection}) agent stopped with a training job and ${replicas} replicas there; ` +
    `lease ${d.leaseMs / 1000} s, heartbeat ${d.heartbeatIntervalMs / 1000} s, grace ${d.siteLostGraceMs / 1000} s${d.productDefaults ? ' (product defaults)' : ' (NOT the product defaults)'}`;
  const at = (x: number | undefined): string => (x === undefined ? 'not reached' : `${x.toFixed(1)} s after the stop`);
  const expired = t.firsts.get('leaseExpired');
  const serving = t.firsts.get('servingElsewhere');
  // The grace counts from the Ready condition's whole-second stamp, up to 1 s before the sampled expiry (report.ts).
  const afterGrace = `${expired === undefined ? 'lease expiry + grace' : `lease expiry + grace = ${(expired + d.siteLostGraceMs / 1000).toFixed(1)} s`} (up to 1 s earlier: the grace counts from a whole-second stamp)`;
  const row = (figure: string, value: string, limit?: string): void => recordFigure({ bench: 'site-loss', figure: `${setting}: ${figure}`, value, ...(limit !== undefined && { limit }), reproduce, detail });
  row('Site Ready=Unknown (LeaseExpired) on the hub', at(expired), `the lease after the last heartbeat: ${(d.leaseMs - d.heartbeatIntervalMs) / 1000}–${d.leaseMs / 1000} s`);
  row(`inference serving elsewhere (${replicas} replicas ready at other sites)`, at(serving), serving === undefined ? 'aim: under 60 s' : `aim: under 60 s (${(serving / 60).toFixed(2)} × aim)`);
  row(`${lost}'s replicas leave the service's plan`, at(t.firsts.get('shareLeftPlan')), afterGrace);
  row(
    `training job placed elsewhere / Running elsewhere${movedTo === undefined ? '' : ` (at ${movedTo})`}`,
    `${at(t.firsts.get('trainingPlacedElsewhere'))} / ${at(t.firsts.get('trainingRunningElsewhere'))}`,
    `at ${afterGrace}`,
  );
  row(
    'training copies at once (unfinished member Jobs across the federation)',
    t.maxMemberJobs <= 1 ? `${t.maxMemberJobs}: 0 duplicates (${t.samples} samples every ${sampleMs} ms)` : `${t.maxMemberJobs}: ${t.maxMemberJobs - 1} duplicate(s) in ${t.duplicateSamples} samples (${t.duplicateSeconds.toFixed(1)} s)`,
    connection === 'pull' ? "1 (a stopped pull agent cannot stop its site's copy until it is back: docs/pull-mode.md)" : '1: no duplicate',
  );
  row(`inference replica pods running at once (most)`, String(t.maxReplicaPods), `${replicas} wanted; more while the lease is expired`);
  const settled = t.returns.get('settled');
  row('agent started again → settled (1 member Job elsewhere, the wanted replicas)', settled === undefined || agentBack === undefined ? 'not reached' : `${(settled - agentBack).toFixed(1)} s after the restart`);
}

const ok = await withBenchLab({ name: 'site-loss', topology: 'examples/lab/default.yaml', podSeconds, log }, (lab) => run(lab.state, lab.startSeconds));
process.exitCode = ok ? 0 : 1;
