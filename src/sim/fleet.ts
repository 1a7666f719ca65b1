/**
 * The simulated nodes: every node's free devices, cpu and memory, grouped in pools and sites as the topology says, and
 * the binder that puts a task's workers on nodes the way each site's kube-scheduler would.
 *
 * The binder is kube-scheduler's default resource fit: the NodeResourcesFit filter (a node must have the worker's
 * devices, cpu and memory free) and its default scoring strategy, LeastAllocated over cpu and memory with weight 1
 * each — score = ⌊(⌊(free_cpu − req_cpu)·100 / cap_cpu⌋ + ⌊(free_mem − req_mem)·100 / cap_mem⌋) / 2⌋ — which, like the
 * real one, spreads pods and so leaves GPUs scattered: the fragmentation the report counts is real. Two departures
 * from kube-scheduler, both for determinism: ties go to the first node in pool then node order (kube-scheduler picks
 * at random among the best), and the other default score plugins (BalancedAllocation, ImageLocality, ...) are not
 * modelled. A gang binds all its workers or none.
 *
 * Which nodes a worker may use: the pools Suanwang's placement would consider for its variant (device vendor and
 * model, architecture, device memory and precision; CPU work on CPU pools only, as GPU nodes are tainted for GPU work
 * in most clusters) — the same for every policy, so policies differ only in where they send work.
 */
import { modelMatches } from '../placement/model.ts';
import type { VariantDemand } from '../placement/workload.ts';
import type { SimPool, SimSiteSpec, SimTopology } from './topology.ts';

const GIB = 2 ** 30;

/** WorkerDemand is what one worker asks of one node. */
export interface WorkerDemand {
  readonly devices: number;
  readonly cpuMilli: number;
  readonly memory: number;
}

/** TypicalTask is the request a free GPU must be able to serve not to count as fragmented (metrics.ts). */
export type TypicalTask = WorkerDemand;

/** PoolState is one pool's nodes in a run. */
export interface PoolState {
  /** site is the site the pool belongs to in this run (one merged site for the pooled policy). */
  readonly site: string;
  /** homeSite is the topology's site of the pool: where its GPUs are drawn in the report. */
  readonly homeSite: string;
  readonly name: string;
  readonly spec: SimPool;
  readonly nodeCpuMilli: number;
  readonly nodeMemory: number;
  readonly nodeDevices: number;
  readonly freeDevices: Int32Array;
  readonly freeCpuMilli: Float64Array;
  readonly freeMemory: Float64Array;
  allocatedDevices: number;
  allocatedCpuMilli: number;
  allocatedMemory: number;
  /** version changes whenever a node of the pool does (site-objects.ts rebuilds only changed pools). */
  version: number;
}

/** SiteState is one site of a run. */
export interface SiteState {
  readonly name: string;
  readonly spec: SimSiteSpec;
  /** pools in name order. */
  readonly pools: readonly PoolState[];
}

/** Binding is one worker on one node. */
export interface Binding {
  readonly pool: PoolState;
  readonly node: number;
  readonly demand: WorkerDemand;
}

/** workerDemand is one worker of a variant in binder units: cpu in millicores, memory in bytes. */
export function workerDemand(variant: VariantDemand): WorkerDemand {
  return { devices: variant.accelerator?.count ?? 0, cpuMilli: Math.round(variant.cpu * 1000), memory: variant.memory };
}

/** poolServes says whether a variant's workers may run on the pool's nodes (module comment). */
export function poolServes(variant: VariantDemand, pool: SimPool): boolean {
  const want = variant.accelerator;
  const have = pool.accelerator;
  if (want === undefined) return have === undefined;
  if (have === undefined || have.vendor !== want.vendor || !modelMatches(want.model, have.model)) return false;
  if (variant.architecture !== undefined && variant.architecture !== pool.architecture) return false;
  if (want.minMemoryBytes !== undefined && have.memoryGiB * GIB < want.minMemoryBytes) return false;
  if (want.precision !== undefined && !have.precisions.includes(want.precision)) return false;
  return true;
}

/** Fleet is the node-level state of one run. */
export class Fleet {
  readonly sites: readonly SiteState[];
  readonly totalGpus: number;
  readonly #typical: TypicalTask;
  readonly #allocatedBySite = new Map<string, number>();
  #allocatedGpus = 0;
  #fragmented = 0;
  #releases = 0;

  /**
   * `merged` puts every pool in one site of that name (the pooled policy); pools keep their home site for the report
   * and are renamed `<site>-<pool>` so names stay unique.
   */
  constructor(topology: SimTopology, typical: TypicalTask, merged?: string) {
    this.#typical = typical;
    const sites: SiteState[] = [];
    let total = 0;
    for (const s of topology.sites) {
      this.#allocatedBySite.set(s.name, 0);
      const pools = s.pools.map((p) => newPool(merged ?? s.name, s.name, merged === undefined ? p.name : `${s.name}-${p.name}`, p));
      for (const p of pools) total += p.nodeDevices * p.freeDevices.length;
      sites.push({ name: s.name, spec: s, pools });
    }
    if (merged !== undefined) {
      const pools = sites.flatMap((s) => s.pools).sort((a, b) => compare(a.name, b.name));
      const first = topology.sites[0] as SimSiteSpec;
      this.sites = [{ name: merged, spec: { ...first, name: merged, labels: {}, pools: pools.map((p) => p.spec) }, pools }];
    } else {
      this.sites = sites.map((s) => ({ ...s, pools: [...s.pools].sort((a, b) => compare(a.name, b.name)) })).sort((a, b) => compare(a.name, b.name));
    }
    this.totalGpus = total;
    this.#fragmented = 0;
    for (const s of this.sites) for (const p of s.pools) for (let n = 0; n < p.freeDevices.length; n++) this.#fragmented += this.#fragmentOf(p, n);
  }

  /** site returns the site of that name in this run. */
  site(name: string): SiteState | undefined {
    return this.sites.find((s) => s.name === name);
  }

  get allocatedGpus(): number {
    return this.#allocatedGpus;
  }

  /** allocatedBySite is allocated GPUs per home site, in name order. */
  allocatedBySite(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.#allocatedBySite.keys()].sort(compare)) out[name] = this.#allocatedBySite.get(name) ?? 0;
    return out;
  }

  /** fragmentedGpus is the free GPUs that the typical task cannot use where they are (metrics.ts). */
  get fragmentedGpus(): number {
    return this.#fragmented;
  }

  /**
   * bindGang binds `workers` workers of `demand` to nodes of `pools` (LeastAllocated, module comment), all or none;
   * undefined when they do not all fit.
   */
  bindGang(pools: readonly PoolState[], demand: WorkerDemand, workers: number): Binding[] | undefined {
    const out: Binding[] = [];
    for (let w = 0; w < workers; w++) {
      const b = this.#bindOne(pools, demand);
      if (b === undefined) {
        // A rollback frees nothing that was free before this call: not a release (see releases).
        for (const done of out) this.#change(done.pool, done.node, done.demand, +1);
        return undefined;
      }
      out.push(b);
    }
    return out;
  }

  /** release gives a worker's node back what it held. */
  release(b: Binding): void {
    this.#releases += 1;
    this.#change(b.pool, b.node, b.demand, +1);
  }

  /**
   * releases counts releases so far. Placement fits are monotone in free capacity, so a task that did not fit when
   * this count was n cannot fit while it still is n: schedulers skip looking at it again (replay.ts).
   */
  get releases(): number {
    return this.#releases;
  }

  /** fits says whether `workers` workers of `demand` could run on `pools` if every node were idle. */
  static fitsIdle(pools: readonly PoolState[], demand: WorkerDemand, workers: number): boolean {
    let room = 0;
    for (const p of pools) {
      const perNode = Math.min(
        demand.devices > 0 ? Math.floor(p.nodeDevices / demand.devices) : Number.POSITIVE_INFINITY,
        demand.cpuMilli > 0 ? Math.floor(p.nodeCpuMilli / demand.cpuMilli) : Number.POSITIVE_INFINITY,
        demand.memory > 0 ? Math.floor(p.nodeMemory / demand.memory) : Number.POSITIVE_INFINITY,
      );
      room += perNode === Number.POSITIVE_INFINITY ? workers : perNode * p.freeDevices.length;
      if (room >= workers) return true;
    }
    return false;
  }

  #bindOne(pools: readonly PoolState[], demand: WorkerDemand): Binding | undefined {
    let best: PoolState | undefined;
    let bestNode = -1;
    let bestScore = -1;
    for (const p of pools) {
      if (p.nodeDevices < demand.devices || p.nodeCpuMilli < demand.cpuMilli || p.nodeMemory < demand.memory) continue;
      const { freeDevices, freeCpuMilli, freeMemory, nodeCpuMilli, nodeMemory } = p;
      for (let n = 0; n < freeDevices.length; n++) {
        const cpuLeft = (freeCpuMilli[n] as number) - demand.cpuMilli;
        const memLeft = (freeMemory[n] as number) - demand.memory;
        if ((freeDevices[n] as number) < demand.devices || cpuLeft < 0 || memLeft < 0) continue;
        const score = Math.floor((Math.floor((cpuLeft * 100) / nodeCpuMilli) + Math.floor((memLeft * 100) / nodeMemory)) / 2);
        if (score > bestScore) {
          best = p;
          bestNode = n;
          bestScore = score;
        }
      }
    }
    if (best === undefined) return undefined;
    this.#change(best, bestNode, demand, -1);
    return { pool: best, node: bestNode, demand };
  }

  #change(p: PoolState, n: number, d: WorkerDemand, sign: 1 | -1): void {
    this.#fragmented -= this.#fragmentOf(p, n);
    (p.freeDevices[n] as number) += sign * d.devices;
    (p.freeCpuMilli[n] as number) += sign * d.cpuMilli;
    (p.freeMemory[n] as number) += sign * d.memory;
    p.allocatedDevices -= sign * d.devices;
    p.allocatedCpuMilli -= sign * d.cpuMilli;
    p.allocatedMemory -= sign * d.memory;
    p.version += 1;
    this.#fragmented += this.#fragmentOf(p, n);
    this.#allocatedGpus -= sign * d.devices;
    this.#allocatedBySite.set(p.homeSite, (this.#allocatedBySite.get(p.homeSite) ?? 0) - sign * d.devices);
  }

  /** #fragmentOf is node n's free GPUs when the typical task cannot use them there, else 0. */
  #fragmentOf(p: PoolState, n: number): number {
    const free = p.freeDevices[n] as number;
    if (free <= 0) return 0;
    const t = this.#typical;
    const usable = free >= t.devices && (p.freeCpuMilli[n] as number) >= t.cpuMilli && (p.freeMemory[n] as number) >= t.memory;
    return usable ? 0 : free;
  }
}

function newPool(site: string, homeSite: string, name: string, spec: SimPool): PoolState {
  const nodeCpuMilli = Math.round(spec.cpu * 1000);
  const nodeDevices = spec.accelerator?.count ?? 0;
  return {
    site,
    homeSite,
    name,
    spec,
    nodeCpuMilli,
    nodeMemory: spec.memory,
    nodeDevices,
    freeDevices: new Int32Array(spec.nodes).fill(nodeDevices),
    freeCpuMilli: new Float64Array(spec.nodes).fill(nodeCpuMilli),
    freeMemory: new Float64Array(spec.nodes).fill(spec.memory),
    allocatedDevices: 0,
    allocatedCpuMilli: 0,
    allocatedMemory: 0,
    version: 0,
  };
}

/** compare orders names by UTF-16 code units, the same on every machine (localeCompare is not). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
