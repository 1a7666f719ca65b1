/**
 * Placement engine benchmark: the pure `place()` (training gangs) and `distribute()` (inference replicas) over a
 * federation far larger than the lab — sites of four pools each (NVIDIA, Ascend, Hygon and CPU, with some capacity
 * in use, some devices unhealthy and some capacity promised to in-flight placements) — printing decisions per
 * second, latency percentiles, CPU time per decision (steadier than latency on a busy machine) and heap growth.
 *
 * The federation is measured twice, identical but for one thing: once as agents that report pool totals only (the
 * aggregate path), once with every pool's free shape as the site agent computes it from the same nodes
 * (src/agent/site/free-shape.ts), so the gang filter fits node by node and the fragmentation score runs. A third line
 * per path rebuilds the snapshot for every decision, as the controllers do, so the shapes' parsing and promise
 * levelling is counted too (place() on a prebuilt snapshot remembers each pool's levelled shape).
 *
 * Peer anchor: Karmada's cluster_schedule P50/P90/P99 = 12/15/32 ms at 100 member clusters
 * (../shared/research/performance-anchors.md §1.2).
 *
 *   node bench/placement.bench.ts [sites=100] [decisions=2000]      (e.g. `node bench/placement.bench.ts 1000`)
 */
import type { FreeShapeBucket, Site } from '../src/api/generated/types.ts';
import { freeShape, type NodeFree } from '../src/agent/site/free-shape.ts';
import { buildSnapshot, distribute, place, type PromisedCapacity } from '../src/placement/index.ts';
import { cpuPool, gpuPool, makeInferenceService, makeSite, makeTrainingJob, variant, type PoolBuilder } from '../src/placement/testing.ts';

const siteCount = Number(process.argv[2] ?? 100);
const decisions = Number(process.argv[3] ?? 2000);
const regions = ['cn-east', 'cn-north', 'cn-south', 'cn-southwest', 'cn-northwest'];
const GI = 2 ** 30;

// A deterministic pseudo-random sequence, so every run measures the same federation.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

/** PoolPlan is one pool's nodes, each with what it has in use: the same numbers feed both federations. */
interface PoolPlan {
  readonly pool: PoolBuilder;
  readonly devicesPerNode: number;
  readonly resource: string | undefined;
  readonly used: ReadonlyArray<{ devices: number; cpu: number; memoryGi: number }>;
}

const NODE_CPU = 64;
const NODE_MEMORY_GI = 512;

/** plan draws a pool of `nodes` nodes whose nodes are idle, partly used or full. */
function plan(pool: PoolBuilder, nodes: number, devicesPerNode: number, resource: string | undefined): PoolPlan {
  const used = Array.from({ length: nodes }, () => {
    const devices = devicesPerNode === 0 ? 0 : pickOf([0, 0, 0, 1, 2, 4, 8].filter((d) => d <= devicesPerNode));
    const cpu = pickOf([0, 0, 8, 16, 32, 60]);
    return { devices, cpu, memoryGi: cpu * 4 };
  });
  return { pool: pool.nodes(nodes).nodeCpu(NODE_CPU).nodeMemory(`${NODE_MEMORY_GI}Gi`), devicesPerNode, resource, used };
}

/** finish sets the pool's allocated from its nodes, and its free shape when `shapes` (through the agent's builder). */
function finish(p: PoolPlan, shapes: boolean): PoolBuilder {
  const sum = (f: (u: PoolPlan['used'][number]) => number) => p.used.reduce((n, u) => n + f(u), 0);
  p.pool.allocated({
    cpu: String(sum((u) => u.cpu)),
    memory: `${sum((u) => u.memoryGi)}Gi`,
    ...(p.resource === undefined ? {} : { [p.resource]: String(sum((u) => u.devices)) }),
  });
  if (shapes) {
    const free: NodeFree[] = p.used.map((u) => ({
      devices: p.devicesPerNode - u.devices,
      cpuMilli: (NODE_CPU - u.cpu) * 1000,
      memoryBytes: (NODE_MEMORY_GI - u.memoryGi) * GI,
    }));
    p.pool.shape(...freeShape(free, p.resource !== undefined).map((b) => b as FreeShapeBucket));
  }
  return p.pool;
}

const plans = Array.from({ length: siteCount }, (_, i) => {
  const prices = { h100: 20 + Math.floor(rand() * 15), ascend: 8 + Math.floor(rand() * 8), dcu: 6 + Math.floor(rand() * 6) };
  return {
    name: `site-${String(i).padStart(4, '0')}`,
    region: regions[i % regions.length] as string,
    prices,
    pools: [
      plan(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).unhealthy(Math.floor(rand() * 3)), 2 + Math.floor(rand() * 30), 8, 'nvidia.com/gpu'),
      plan(gpuPool('ascend').huawei('Ascend910B3', 8).arch('arm64'), 2 + Math.floor(rand() * 30), 8, 'huawei.com/Ascend910'),
      plan(gpuPool('dcu').accelerator('hygon', 'K100_AI', 8), 1 + Math.floor(rand() * 10), 8, 'hygon.com/dcu'),
      plan(cpuPool('cpu'), 4 + Math.floor(rand() * 60), 0, undefined),
    ],
  };
});

function federation(shapes: boolean): Site[] {
  return plans.map((p) => {
    const s = makeSite(p.name).region(p.region);
    s.price('NVIDIA-H100-80GB-HBM3', p.prices.h100).price('Ascend910B3', p.prices.ascend).price('K100_AI', p.prices.dcu);
    for (const pool of p.pools) s.pool(finish(pool, shapes));
    return s.obj();
  });
}

// One site in ten holds a promise of one 8-device worker on its H100 pool, as between two agent reports.
const promised: PromisedCapacity = Object.fromEntries(
  plans.filter((_, i) => i % 10 === 0).map((p) => [p.name, { h100: { 'nvidia.com/gpu': 8, cpu: 32, memory: 256 * GI } }]),
);

const trainingJobs = Array.from({ length: 16 }, (_, i) =>
  makeTrainingJob(`job-${i}`)
    .workers(1 + (i % 8) * 2)
    .resources('32', '256Gi')
    .variant(variant('h100').nvidia('H100', i % 2 === 0 ? 8 : 4))
    .variant(variant('ascend').huawei('Ascend910B', 8).arch('arm64'))
    .regions(...regions.slice(0, 1 + (i % regions.length)))
    .workload(),
);
const services = Array.from({ length: 16 }, (_, i) =>
  makeInferenceService(`svc-${i}`)
    .replicas(3 + (i % 10) * 3)
    .resources('8', '64Gi')
    .variant(variant('gpu').nvidia(undefined, 1))
    .variant(variant('cpu').cpuOnly('48Gi'))
    .preferredRegions(regions[i % regions.length] as string)
    .minSites(2 + (i % 3))
    .maxPerSite(4)
    .workload(),
);

function measure(name: string, fn: (i: number) => unknown, count = decisions): void {
  for (let i = 0; i < 50; i++) fn(i); // warm-up: let the JIT settle
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    fn(i);
    lat.push(performance.now() - s);
  }
  const total = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] as number).toFixed(2);
  const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  console.log(
    `${name}: ${count} decisions over ${siteCount} sites × 4 pools in ${total.toFixed(2)} s = ${(count / total).toFixed(0)}/s; ` +
      `latency ms p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)}; cpu ${((cpu.user + cpu.system) / 1000 / count).toFixed(2)} ms each; ` +
      `heap change ${heap >= 0 ? '+' : ''}${heap.toFixed(1)} MiB`,
  );
}

for (const shapes of [false, true]) {
  const sites = federation(shapes);
  const snapshot = buildSnapshot(sites, promised);
  const path = shapes ? 'free shapes' : 'aggregate';
  let placed = 0;
  for (const job of trainingJobs) placed += place(job, snapshot).kind === 'Placed' ? 1 : 0;
  console.log(`-- ${path}: ${placed} of ${trainingJobs.length} training jobs place`);
  measure(`place [${path}] (training gang, 2 variants)`, (i) => place(trainingJobs[i % trainingJobs.length]!, snapshot));
  measure(`distribute [${path}] (inference, GPU + CPU fallback)`, (i) => distribute(services[i % services.length]!, snapshot));
  measure(
    `buildSnapshot + place [${path}]`,
    (i) => place(trainingJobs[i % trainingJobs.length]!, buildSnapshot(sites, promised)),
    Math.max(50, Math.round(decisions / 4)),
  );
}
