/**
 * Site agent footprint (issue 18): how much memory `suanwang agent` holds idle on a small site and watching a large one
 * (default 1,000 kwok nodes and 10,000 pods), for this checkout ("after") and a baseline commit ("before"), both
 * running at once against the same site.
 *
 *   node bench/agent-footprint.bench.ts [--nodes=1000] [--pods=10000] [--steady-seconds=60] [--churn=5]
 *        [--baseline=REF | --no-baseline] [--extra-tree=DIR ...] [--compile-cache] [--no-compiled] [--no-reporter]
 *        [--heap-snapshots]
 *
 * Each figure of this checkout's agents also goes to `make bench`'s table (recordFigure, bench/support/summary.ts),
 * against the 100 MiB target and the baseline's figure at the same moment.
 *
 * Takes about 5 minutes with the defaults on a 2-core machine (lab start 5 s, loading 10,000 pods 2–3 min, the
 * steady minute, two agent starts and syncs); --nodes=100 --pods=1000 --steady-seconds=10 about 1 minute.
 *
 * 1. Starts a lab of its own without the federation (control planes and kwok only; bench/agent-footprint/topology.ts):
 *    a hub and the site `footprint` with its seed pools (7 nodes). The agents report to an in-process agent server
 *    (operator-stub.ts), not to the operator.
 * 2. Small: starts both agents, waits for each one's first snapshot and 10 s more, reads their memory, stops them.
 * 3. Loads the site: the large pools' nodes, the lab's simulated node reporter for all of them (30 s interval, the
 *    product's default; --no-reporter leaves the Nodes without device reports) and the pods, bound round-robin; then
 *    waits until kwok runs every pod and every accelerator node's report is at most two intervals old (one reporter
 *    process for 1,000 nodes falls behind while the pods are created).
 * 4. Large: starts both agents again (so they list everything), reads their memory at their first snapshot ("synced"),
 *    replaces --churn pods a second for --steady-seconds, and reads it again ("steady").
 *
 * --baseline is the commit whose agent is "before" (default 7c5eabc: the agent before the footprint work); its tree
 * is extracted with `git archive` into the temporary directory. Each --extra-tree (repeatable) runs one more agent
 * ("extra-<folder>") from another source tree (bin/, src/ or dist/, proto/, node_modules/), started as that tree's own
 * lab starts its agents, to measure a change before it is made here. --compile-cache runs one
 * more agent from this checkout ("after-cc") with NODE_COMPILE_CACHE set to a cache warmed first by
 * `suanwang agent --help`: Node then reuses the TypeScript it stripped before and never loads its type stripper (about
 * 15 MiB resident of its own), as an agent would whose image or restarts keep such a cache. Unless --no-compiled, one
 * more agent ("after-js") runs this checkout compiled to JavaScript (tsconfig.build.json) without its sources, as the
 * image runs it (docs/image.md): no type stripper either, and the figure an installed agent holds. --heap-snapshots starts
 * every agent with --heapsnapshot-signal and writes a snapshot of each at the end into the temporary directory (kept, path printed).
 * The table goes to stdout and to bench/results/agent-footprint-<date>.md. Heavy: it runs a lab and a large site; run
 * nothing else heavy beside it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_MAX_REPORT_AGE_MS } from '../src/agent/site/node-devices.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { DEFAULT_TIMING, nodeReporterArgs } from '../src/lab/federation.ts';
import { startLab, stopLab } from '../src/lab/lab.ts';
import { freePorts } from '../src/lab/ports.ts';
import { loadTopology } from '../src/lab/topology.ts';
import { AgentProcess, type AgentTree } from './agent-footprint/agent-process.ts';
import { addNodes, Churn, countPods, createNamespace, createPods, podSlots, staleReports } from './agent-footprint/load-site.ts';
import { OperatorStub } from './agent-footprint/operator-stub.ts';
import { renderReport, table, type Reading } from './agent-footprint/report.ts';
import { largeTopology, SEED_NODES, SITE, smallTopology } from './agent-footprint/topology.ts';
import { agentStart, baselineTree, compiledTree, currentTree, extraTree } from './agent-footprint/trees.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const DEFAULT_BASELINE = '7c5eabc';
/** TARGET_MIB is issue 18's goal for the agent's resident set watching the large site. */
const TARGET_MIB = 100;
const SYNC_TIMEOUT_MS = 300_000;
const SMALL_IDLE_MS = 10_000;
const REPORTER_INTERVAL_MS = 30_000;
const REPORTS_FRESH_TIMEOUT_MS = 300_000;

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10000' },
    'steady-seconds': { type: 'string', default: '60' },
    churn: { type: 'string', default: '5' },
    baseline: { type: 'string', default: DEFAULT_BASELINE },
    'no-baseline': { type: 'boolean', default: false },
    'no-reporter': { type: 'boolean', default: false },
    'extra-tree': { type: 'string', multiple: true },
    'heap-snapshots': { type: 'boolean', default: false },
    'compile-cache': { type: 'boolean', default: false },
    'no-compiled': { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const pods = Number(values.pods);
const steadyMs = Number(values['steady-seconds']) * 1000;
const churnPerSecond = Number(values.churn);
if (!Number.isInteger(nodes) || nodes < SEED_NODES) throw new Error(`--nodes must be a whole number of at least ${SEED_NODES}`);
for (const [flag, v] of [['--pods', pods], ['--steady-seconds', steadyMs], ['--churn', churnPerSecond]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} must be a whole number, 0 or more`);
}

const log = (line: string): void => console.log(line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'suanwang-bench-agent-footprint-'));
const labDir = join(work, 'lab');
const logDir = join(work, 'logs');
mkdirSync(logDir);

const trees: AgentTree[] = [currentTree()];
if (!values['no-baseline']) trees.unshift(baselineTree(values.baseline, join(work, 'baseline')));
for (const dir of values['extra-tree'] ?? []) trees.push(extraTree(dir, trees));
if (!values['no-compiled']) trees.push(compiledTree(join(work, 'compiled')));
if (values['compile-cache']) trees.push({ ...currentTree(), label: 'after-cc', describe: 'this checkout, warm compile cache', env: { NODE_COMPILE_CACHE: join(work, 'compile-cache') } });
const siteOf = (tree: AgentTree): string => `fp-${tree.label}`;
const operator = new OperatorStub(join(work, 'certs'));
const readings: Reading[] = [];
let agents: AgentProcess[] = [];
let reporter: AgentProcess | undefined;
let keep = values['heap-snapshots'];

async function startAgents(kubeconfig: string, port: number): Promise<void> {
  const ports = await freePorts(trees.length);
  agents = [];
  for (const [i, tree] of trees.entries()) {
    const start = await agentStart(tree, { site: siteOf(tree), kubeconfig, operatorPort: port, metricsPort: ports[i] as number, tlsDir: operator.tlsDir });
    if (tree.env !== undefined) warmCompileCache(start.args, { ...start.env, ...tree.env });
    const args = values['heap-snapshots'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${work}`, ...start.args] : start.args;
    agents.push(new AgentProcess(tree, siteOf(tree), { ...start, args }, ports[i] as number, logDir));
  }
}

/** waitSynced resolves when every agent's first snapshot arrived after `since`; returns each one's seconds to it. */
async function waitSynced(since: number): Promise<Map<AgentProcess, number>> {
  const done = new Map<AgentProcess, number>();
  const deadline = performance.now() + SYNC_TIMEOUT_MS;
  while (done.size < agents.length) {
    for (const a of agents) {
      a.alive();
      const at = operator.traffic(a.site).lastSnapshotAt;
      if (!done.has(a) && at !== undefined && at > since) done.set(a, (at - since) / 1000);
    }
    if (performance.now() > deadline) throw new Error(`agents not synced after ${SYNC_TIMEOUT_MS / 1000} s; logs in ${logDir}`);
    await sleep(100);
  }
  return done;
}

async function read(moment: string, synced?: Map<AgentProcess, number>): Promise<void> {
  for (const a of agents) {
    const t = operator.traffic(a.site);
    const sync = synced?.get(a);
    readings.push({ agent: a.tree.label, tree: a.tree.describe, moment, memory: await a.memory(), snapshots: t.snapshots, deltas: t.deltas, healthEvents: t.healthEvents, ...(sync !== undefined && { syncSeconds: sync }) });
    const m = readings.at(-1)?.memory;
    log(`${a.tree.label}: ${moment}: RSS ${m?.rss.toFixed(1)} MiB (peak ${m?.peak.toFixed(1)}), heap ${m?.heapUsed.toFixed(1)} / ${m?.heapTotal.toFixed(1)} MiB`);
  }
}

/** warmCompileCache runs `suanwang agent --help` with the agent's own node options, filling NODE_COMPILE_CACHE. */
function warmCompileCache(args: readonly string[], env: NodeJS.ProcessEnv): void {
  const help = [...args.slice(0, args.indexOf('agent') + 1), '--help'];
  const r = spawnSync(process.execPath, help, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`warming the compile cache: ${help.join(' ')} exited ${r.status}: ${r.stderr}`);
}

async function stopAgents(): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
}

let labStartSeconds = 0;
let loadSeconds = 0;
let churned = 0;
let steadyReports: { stale: number; of: number } | undefined;
try {
  const port = await operator.start(trees.map(siteOf));
  const smallFile = join(work, 'small.yaml');
  const largeFile = join(work, 'large.yaml');
  writeFileSync(smallFile, smallTopology());
  writeFileSync(largeFile, largeTopology(nodes));
  const t0 = performance.now();
  const state = await startLab({ topologyFile: smallFile, dir: labDir, ownerPid: process.pid, federation: false, onProgress: (l) => log(`[lab] ${l}`) });
  labStartSeconds = (performance.now() - t0) / 1000;
  const cluster = state.clusters.find((c) => c.name === SITE);
  if (cluster === undefined) throw new Error(`the lab has no cluster ${SITE}`);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);

  // 2. Small.
  log(`small site (${SEED_NODES} nodes): starting ${trees.map((t) => `${t.label} (${t.describe})`).join(' and ')}`);
  let since = performance.now();
  await startAgents(cluster.kubeconfig, port);
  await read('small site, idle 10 s after sync', await waitSynced(since).then(async (s) => (await sleep(SMALL_IDLE_MS), s)));
  await stopAgents();

  // 3. Load.
  const t1 = performance.now();
  const large = loadTopology(largeFile).sites.find((s) => s.name === SITE);
  if (large === undefined) throw new Error(`${largeFile} has no site ${SITE}`);
  const seedPools = new Set(loadTopology(smallFile).sites.flatMap((s) => s.pools.map((p) => p.name)));
  await createNamespace(kc);
  const added = await addNodes(kc, large, large.pools.filter((p) => !seedPools.has(p.name)));
  log(`added ${added} nodes (${added + SEED_NODES} in all)`);
  if (!values['no-reporter']) {
    const [metricsPort] = await freePorts(1);
    const args = nodeReporterArgs({ site: SITE, kubeconfig: cluster.kubeconfig, topology: largeFile, faults: join(work, 'faults.json'), metricsPort: metricsPort as number, timing: { ...DEFAULT_TIMING, reporterIntervalMs: REPORTER_INTERVAL_MS } });
    reporter = new AgentProcess({ label: 'reporter', root: REPO_ROOT, describe: 'node reporter' }, SITE, { args, env: process.env }, metricsPort as number, logDir);
  }
  const slots = podSlots(large, pods);
  await createPods(kc, slots);
  log(`created ${pods} pods in ${((performance.now() - t1) / 1000).toFixed(0)} s; waiting for kwok to run them`);
  for (const deadline = performance.now() + 300_000; ; ) {
    const running = await countPods(kc, true);
    if (running >= pods) break;
    if (performance.now() > deadline) throw new Error(`only ${running} of ${pods} pods Running after 300 s`);
    await sleep(3000);
  }
  if (!values['no-reporter']) {
    for (const deadline = performance.now() + REPORTS_FRESH_TIMEOUT_MS; ; ) {
      const { stale } = await staleReports(kc, 'nvidia.com/gpu', REPORTER_INTERVAL_MS * 2);
      if (stale === 0) break;
      if (performance.now() > deadline) throw new Error(`${stale} nodes still without a fresh device report after ${REPORTS_FRESH_TIMEOUT_MS / 1000} s`);
      await sleep(5000);
    }
  }
  loadSeconds = (performance.now() - t1) / 1000;
  log(`site loaded in ${loadSeconds.toFixed(0)} s`);

  // 4. Large.
  since = performance.now();
  await startAgents(cluster.kubeconfig, port);
  await read(`${nodes} nodes, ${pods} pods: synced`, await waitSynced(since));
  const churn = new Churn(kc, slots, churnPerSecond);
  churn.start();
  await sleep(steadyMs);
  churn.stop();
  churned = churn.replaced;
  await read(`${nodes} nodes, ${pods} pods: after ${steadyMs / 1000} s steady`);
  if (!values['no-reporter']) {
    steadyReports = await staleReports(kc, 'nvidia.com/gpu', DEFAULT_MAX_REPORT_AGE_MS);
    log(`device reports older than the agent's max age at the steady reading: ${steadyReports.stale} of ${steadyReports.of} accelerator nodes`);
  }
  if (values['heap-snapshots']) {
    for (const a of agents) a.signal('SIGUSR2');
    await sleep(20_000);
    log(`heap snapshots in ${work}`);
  }
  await stopAgents();
} catch (err: unknown) {
  keep = true;
  console.error(err);
  process.exitCode = 1;
} finally {
  await stopAgents().catch(() => {});
  await reporter?.stop();
  await stopLab(labDir, { keepLogs: keep }).catch((err: unknown) => console.error(`stopping the lab: ${String(err)}`));
  await operator.stop();
}

/** recordFigures hands the headline figures to `make bench`'s table: each of this checkout's agents, every moment. */
function recordFigures(detail: string): void {
  const reproduce = `node bench/agent-footprint.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  for (const r of readings.filter((x) => x.agent !== 'before' && !x.agent.startsWith('extra'))) {
    const before = readings.find((x) => x.agent === 'before' && x.moment === r.moment)?.memory.rss;
    recordFigure({
      bench: 'agent-footprint',
      figure: `site agent resident memory (${r.tree}): ${r.moment}`,
      value: `${r.memory.rss.toFixed(1)} MiB RSS (V8 heap ${r.memory.heapUsed.toFixed(1)} MiB used)`,
      limit: `target ${TARGET_MIB} MiB (${r.memory.rss < TARGET_MIB ? 'met' : 'not met'})${before === undefined ? '' : `; before (${values.baseline}) ${before.toFixed(1)} MiB`}`,
      reproduce,
      detail,
    });
  }
}

const date = new Date().toISOString().slice(0, 10);
const report = renderReport({
  date,
  machine: machine(),
  commit: gitCommit(),
  command: `node bench/agent-footprint.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
  nodes,
  pods,
  steadySeconds: steadyMs / 1000,
  churnPerSecond,
  churned,
  reporter: values['no-reporter'] ? 'none' : `every node, ${REPORTER_INTERVAL_MS / 1000} s interval`,
  labStartSeconds,
  loadSeconds,
  totalSeconds: (performance.now() - started) / 1000,
  readings,
  staleAtSteady: steadyReports?.stale,
  staleOf: steadyReports?.of,
  maxReportAgeSeconds: DEFAULT_MAX_REPORT_AGE_MS / 1000,
});
log(`\n${table(readings)}`);
if (process.exitCode !== 1) {
  const dir = join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `agent-footprint-${date}.md`);
  writeFileSync(file, report);
  log(`\nwritten to ${file}`);
  recordFigures(relative(REPO_ROOT, file));
}
if (keep) log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
