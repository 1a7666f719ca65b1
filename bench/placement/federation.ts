/**
 * The placement benchmark's synthetic federation: `siteCount` sites of four pools each (NVIDIA, Ascend, Hygon and
 * CPU), some capacity in use, some devices unhealthy, one site in ten holding a promise, and the training gangs and
 * inference services decided on it. Drawn from a fixed seed, so every run measures the same federation; the first
 * 100 sites of a 1,000-site federation are not the 100-site one (each federation draws afresh).
 *
 * Each site is available two ways, identical but for one thing: as agents that report pool totals only (the
 * aggregate path), and with every pool's free shape as the site agent computes it from the same nodes
 * (src/agent/site/free-shape.ts), so the gang filter fits node by node and the fragmentation score runs.
 */
import type { FreeShapeBucket, Site } from '../../src/api/generated/types.ts';
import { freeShape, type NodeFree } from '../../src/agent/site/free-shape.ts';
import type { PromisedCapacity, Workload } from '../../src/placement/index.ts';
import { cpuPool, gpuPool, makeInferenceService, makeSite, makeTrainingJob, variant, type PoolBuilder } from '../../src/placement/testing.ts';

export const REGIONS = ['cn-east', 'cn-north', 'cn-south', 'cn-southwest', 'cn-northwest'];
const GI = 2 ** 30;
const NODE_CPU = 64;
const NODE_MEMORY_GI = 512;
const SEED = 42;

/** PoolPlan is one pool's nodes, each with what it has in use: the same numbers feed both paths. */
interface PoolPlan {
  readonly pool: PoolBuilder;
  readonly devicesPerNode: number;
  readonly resource: string | undefined;
  readonly used: ReadonlyArray<{ devices: number; cpu: number; memoryGi: number }>;
}

/** SyntheticFederation is one drawn federation and the workloads the benchmark decides on it. */
export interface SyntheticFederation {
  readonly siteCount: number;
  /** sites builds the Site objects: with every pool's free shape when `shapes`, totals only otherwise. */
  sites(shapes: boolean): Site[];
  readonly promised: PromisedCapacity;
  /** trainingJobs: 16 gangs of 1 to 15 workers, H100 (8 or 4 devices) or Ascend, in one to five regions. */
  readonly trainingJobs: readonly Workload[];
  /** services: 16 inference services of 3 to 30 replicas, any GPU or CPU-only, spread over 2 to 4 sites. */
  readonly services: readonly Workload[];
}

/** syntheticFederation draws `siteCount` sites (module comment). */
export function syntheticFederation(siteCount: number): SyntheticFederation {
  // A deterministic pseudo-random sequence, so every run measures the same federation.
  let seed = SEED;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

  /** plan draws a pool of `nodes` nodes whose nodes are idle, partly used or full. */
  const plan = (pool: PoolBuilder, nodes: number, devicesPerNode: number, resource: string | undefined): PoolPlan => {
    const used = Array.from({ length: nodes }, () => {
      const devices = devicesPerNode === 0 ? 0 : pickOf([0, 0, 0, 1, 2, 4, 8].filter((d) => d <= devicesPerNode));
      const cpu = pickOf([0, 0, 8, 16, 32, 60]);
      return { devices, cpu, memoryGi: cpu * 4 };
    });
    return { pool: pool.nodes(nodes).nodeCpu(NODE_CPU).nodeMemory(`${NODE_MEMORY_GI}Gi`), devicesPerNode, resource, used };
  };

  const plans = Array.from({ length: siteCount }, (_, i) => {
    const prices = { h100: 20 + Math.floor(rand() * 15), ascend: 8 + Math.floor(rand() * 8), dcu: 6 + Math.floor(rand() * 6) };
    return {
      name: `site-${String(i).padStart(4, '0')}`,
      region: REGIONS[i % REGIONS.length] as string,
      prices,
      pools: [
        plan(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).unhealthy(Math.floor(rand() * 3)), 2 + Math.floor(rand() * 30), 8, 'nvidia.com/gpu'),
        plan(gpuPool('ascend').huawei('Ascend910B3', 8).arch('arm64'), 2 + Math.floor(rand() * 30), 8, 'huawei.com/Ascend910'),
        plan(gpuPool('dcu').accelerator('hygon', 'K100_AI', 8), 1 + Math.floor(rand() * 10), 8, 'hygon.com/dcu'),
        plan(cpuPool('cpu'), 4 + Math.floor(rand() * 60), 0, undefined),
      ],
    };
  });

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
      .regions(...REGIONS.slice(0, 1 + (i % REGIONS.length)))
      .workload(),
  );
  const services = Array.from({ length: 16 }, (_, i) =>
    makeInferenceService(`svc-${i}`)
      .replicas(3 + (i % 10) * 3)
      .resources('8', '64Gi')
      .variant(variant('gpu').nvidia(undefined, 1))
      .variant(variant('cpu').cpuOnly('48Gi'))
      .preferredRegions(REGIONS[i % REGIONS.length] as string)
      .minSites(2 + (i % 3))
      .maxPerSite(4)
      .workload(),
  );

  const sites = (shapes: boolean): Site[] =>
    plans.map((p) => {
      const s = makeSite(p.name).region(p.region);
      s.price('NVIDIA-H100-80GB-HBM3', p.prices.h100).price('Ascend910B3', p.prices.ascend).price('K100_AI', p.prices.dcu);
      for (const pool of p.pools) s.pool(finish(pool, shapes));
      return s.obj();
    });
  return { siteCount, sites, promised, trainingJobs, services };
}

/** finish sets the pool's allocated from its nodes, and its free shape when `shapes` (through the agent's builder). */
function finish(p: PoolPlan, shapes: boolean): PoolBuilder {
  const sum = (f: (u: PoolPlan['used'][number]) => number): number => p.used.reduce((n, u) => n + f(u), 0);
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
