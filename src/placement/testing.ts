/**
 * Fluent builders for placement tests: Sites shaped like the lab's compute centres, TrainingJobs and
 * InferenceServices, with defaults that fit so a test states only what it is about:
 *
 *   makeSite('shanghai').region('cn-east').price('NVIDIA-H100-80GB-HBM3', 28)
 *     .pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2)).obj()
 *   makeTrainingJob().workers(2).variant(variant('h100').nvidia('H100', 8)).obj()
 */
import type {
  AcceleratorRequest,
  Condition,
  InferenceService,
  InferenceVariant,
  NodePool,
  PoolAccelerator,
  Quantity,
  Site,
  TrainingJob,
  TrainingVariant,
} from '../api/generated/types.ts';
import { API_VERSION } from '../api/names.ts';
import { parseQuantity } from '../api/quantity.ts';
import { VENDOR_INFO, type Vendor } from '../api/vendors.ts';
import { buildSnapshot, type Architecture, type Precision, type PromisedCapacity, type Snapshot } from './snapshot.ts';
import { inferenceWorkload, trainingWorkload, type Workload, type WorkloadResult } from './workload.ts';

const GI = 2 ** 30;

/** ShapeSpec is one free-shape bucket for PoolBuilder.shape: cpu and memory default to a whole node's. */
export interface ShapeSpec {
  nodes: number;
  devices?: number;
  cpu?: Quantity;
  memory?: Quantity;
}

/** PoolBuilder builds a NodePool status entry from per-node numbers. */
export class PoolBuilder {
  private readonly p: {
    name: string;
    arch?: Architecture;
    nodes: number;
    readyNodes?: number;
    nodeCpu: number;
    nodeMemory: number;
    accelerator?: { vendor: Vendor; model: string; perNode: number; memory?: Quantity; precisions?: Precision[] };
    allocated: Record<string, Quantity>;
    unhealthy: number;
    omitCount: boolean;
    shape?: ShapeSpec[];
  };

  constructor(name: string) {
    this.p = {
      name,
      arch: 'amd64',
      nodes: 1,
      nodeCpu: 64,
      nodeMemory: 512 * GI,
      allocated: {},
      unhealthy: 0,
      omitCount: false,
    };
  }

  /** accelerator gives every node `perNode` devices (80Gi, bf16/fp16/fp32 unless changed). */
  accelerator(vendor: Vendor, model: string, perNode: number): this {
    this.p.accelerator = { vendor, model, perNode, memory: '80Gi', precisions: ['bf16', 'fp16', 'fp32'] };
    return this;
  }
  nvidia(model: string, perNode: number): this {
    return this.accelerator('nvidia', model, perNode);
  }
  huawei(model: string, perNode: number): this {
    return this.accelerator('huawei', model, perNode);
  }
  /** deviceMemory sets the memory of one device; undefined leaves it unreported. */
  deviceMemory(q: Quantity | undefined): this {
    const a = this.need();
    if (q === undefined) delete a.memory;
    else a.memory = q;
    return this;
  }
  precisions(...p: Precision[]): this {
    this.need().precisions = p;
    return this;
  }
  /** arch sets the architecture; undefined leaves it unreported. */
  arch(a: Architecture | undefined): this {
    if (a === undefined) delete this.p.arch;
    else this.p.arch = a;
    return this;
  }
  nodes(n: number): this {
    this.p.nodes = n;
    return this;
  }
  readyNodes(n: number): this {
    this.p.readyNodes = n;
    return this;
  }
  /** nodeCpu is the allocatable cpu of one node. */
  nodeCpu(cores: number): this {
    this.p.nodeCpu = cores;
    return this;
  }
  /** nodeMemory is the allocatable memory of one node. */
  nodeMemory(q: Quantity): this {
    this.p.nodeMemory = parseQuantity(q) ?? 0;
    return this;
  }
  /** allocated is what running pods request in the whole pool. */
  allocated(a: Record<string, Quantity>): this {
    this.p.allocated = { ...a };
    return this;
  }
  /** unhealthy devices count in capacity but not in allocatable, as the agent reports them. */
  unhealthy(n: number): this {
    this.p.unhealthy = n;
    return this;
  }
  /**
   * shape sets the free shape the agent reports: buckets of nodes with free devices (default 0), cpu and memory
   * (default a whole node's). It is not checked against allocated: a test states both.
   */
  shape(...buckets: ShapeSpec[]): this {
    this.p.shape = buckets.map((b) => ({ ...b }));
    return this;
  }
  /** omitDeviceCount leaves accelerator.count unreported (devices per node then come from allocatable / nodes). */
  omitDeviceCount(): this {
    this.p.omitCount = true;
    return this;
  }
  obj(): NodePool {
    const p = this.p;
    const capacity: Record<string, Quantity> = {
      cpu: String(p.nodeCpu * p.nodes),
      memory: String(p.nodeMemory * p.nodes),
    };
    const allocatable = { ...capacity };
    const pool: NodePool = { name: p.name, nodes: p.nodes, readyNodes: p.readyNodes ?? p.nodes };
    if (p.arch !== undefined) pool.architecture = p.arch;
    if (p.accelerator !== undefined) {
      const a = p.accelerator;
      const resource = VENDOR_INFO[a.vendor].resourceName;
      const devices = a.perNode * p.nodes;
      capacity[resource] = devices;
      allocatable[resource] = devices - p.unhealthy;
      const acc: PoolAccelerator = { vendor: a.vendor, model: a.model, resourceName: resource };
      if (a.memory !== undefined) acc.memory = a.memory;
      if (a.precisions !== undefined) acc.precisions = a.precisions;
      if (!p.omitCount) acc.count = a.perNode;
      pool.accelerator = acc;
      pool.healthyDevices = devices - p.unhealthy;
      pool.unhealthyDevices = p.unhealthy;
    }
    pool.capacity = capacity;
    pool.allocatable = allocatable;
    pool.allocated = { ...p.allocated };
    if (p.shape !== undefined) {
      pool.freeShape = p.shape.map((b) => ({
        nodes: b.nodes,
        devices: b.devices ?? 0,
        cpu: b.cpu ?? String(p.nodeCpu),
        memory: b.memory ?? String(p.nodeMemory),
      }));
    }
    return pool;
  }
  private need(): NonNullable<(typeof this.p)['accelerator']> {
    if (this.p.accelerator === undefined) throw new Error(`pool ${this.p.name}: set the accelerator first`);
    return this.p.accelerator;
  }
}

/** gpuPool starts an accelerator pool; call .nvidia()/.huawei()/.accelerator() next. */
export function gpuPool(name: string): PoolBuilder {
  return new PoolBuilder(name);
}

/** cpuPool starts a pool without accelerators. */
export function cpuPool(name: string): PoolBuilder {
  return new PoolBuilder(name);
}

function readyCondition(status: Condition['status'], reason: string): Condition {
  return { type: 'Ready', status, reason, message: '', lastTransitionTime: '2025-01-01T00:00:00Z' };
}

/** SiteBuilder builds a Site with spec and status; Ready, cn-east, CNY by default. */
export class SiteBuilder {
  private readonly site: Site;

  constructor(name: string) {
    this.site = {
      apiVersion: API_VERSION,
      kind: 'Site',
      metadata: { name },
      spec: { region: 'cn-east', connection: { mode: 'Push' }, pricing: { currency: 'CNY', accelerators: [] } },
      status: {
        conditions: [readyCondition('True', 'AgentReporting')],
        nodePools: [],
      },
    };
  }

  region(r: string): this {
    this.site.spec.region = r;
    return this;
  }
  label(key: string, value: string): this {
    this.site.spec.labels = { ...this.site.spec.labels, [key]: value };
    return this;
  }
  cordon(): this {
    this.site.spec.cordon = true;
    return this;
  }
  /** notReady sets the Ready condition to status with reason. */
  notReady(reason: string, status: 'False' | 'Unknown' = 'Unknown'): this {
    this.site.status!.conditions = [readyCondition(status, reason)];
    return this;
  }
  /** noConditions drops every condition, as for a site the operator has not looked at yet. */
  noConditions(): this {
    delete this.site.status!.conditions;
    return this;
  }
  currency(c: string): this {
    this.site.spec.pricing = { ...this.site.spec.pricing, currency: c };
    return this;
  }
  price(model: string, pricePerHour: number): this {
    const pricing = this.site.spec.pricing ?? {};
    this.site.spec.pricing = { ...pricing, accelerators: [...(pricing.accelerators ?? []), { model, pricePerHour }] };
    return this;
  }
  pool(p: PoolBuilder | NodePool): this {
    this.site.status!.nodePools!.push(p instanceof PoolBuilder ? p.obj() : p);
    return this;
  }
  obj(): Site {
    return structuredClone(this.site);
  }
}

/** makeSite starts a Site named name. */
export function makeSite(name: string): SiteBuilder {
  return new SiteBuilder(name);
}

/** VariantBuilder builds a variant of either kind. */
export class VariantBuilder {
  private readonly v: InferenceVariant;

  constructor(name: string) {
    this.v = { name, image: `registry.example.com/${name}:1` };
  }

  accelerator(vendor: Vendor, model: string | undefined, count: number): this {
    const a: AcceleratorRequest = { vendor, count };
    if (model !== undefined) a.model = model;
    this.v.accelerator = a;
    return this;
  }
  nvidia(model: string | undefined, count: number): this {
    return this.accelerator('nvidia', model, count);
  }
  huawei(model: string | undefined, count: number): this {
    return this.accelerator('huawei', model, count);
  }
  minMemory(q: Quantity): this {
    if (this.v.accelerator === undefined) throw new Error('set the accelerator first (cpuOnly(q) for a model)');
    this.v.accelerator.minMemory = q;
    return this;
  }
  precision(p: Precision): this {
    if (this.v.accelerator === undefined) throw new Error('set the accelerator first');
    this.v.accelerator.precision = p;
    return this;
  }
  arch(a: Architecture): this {
    this.v.architecture = a;
    return this;
  }
  /** cpuOnly makes a CPU variant; for an InferenceService, modelMemory is its minMemory. */
  cpuOnly(modelMemory?: Quantity): this {
    delete this.v.accelerator;
    this.v.cpuOnly = true;
    if (modelMemory !== undefined) this.v.minMemory = modelMemory;
    return this;
  }
  resources(r: { cpu?: Quantity; memory?: Quantity }): this {
    this.v.resources = { ...r };
    return this;
  }
  obj(): InferenceVariant {
    return structuredClone(this.v);
  }
  trainingObj(): TrainingVariant {
    const { minMemory: _ignored, ...rest } = this.obj();
    return rest;
  }
}

/** variant starts a variant named name. */
export function variant(name: string): VariantBuilder {
  return new VariantBuilder(name);
}

/** TrainingJobBuilder builds a TrainingJob: one worker of 8 cpu and 64Gi by default. */
export class TrainingJobBuilder {
  private readonly tj: TrainingJob;

  constructor(name: string) {
    this.tj = {
      apiVersion: API_VERSION,
      kind: 'TrainingJob',
      metadata: { name, namespace: 'default' },
      spec: { workers: 1, resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    };
  }

  workers(n: number): this {
    this.tj.spec.workers = n;
    return this;
  }
  resources(cpu: Quantity, memory: Quantity): this {
    this.tj.spec.resources = { cpu, memory };
    return this;
  }
  variant(v: VariantBuilder): this {
    this.tj.spec.variants.push(v.trainingObj());
    return this;
  }
  regions(...r: string[]): this {
    this.tj.spec.placement = { ...this.tj.spec.placement, regions: r };
    return this;
  }
  sites(...s: string[]): this {
    this.tj.spec.placement = { ...this.tj.spec.placement, sites: s };
    return this;
  }
  excludedSites(...s: string[]): this {
    this.tj.spec.placement = { ...this.tj.spec.placement, excludedSites: s };
    return this;
  }
  selector(key: string, value: string): this {
    const p = this.tj.spec.placement ?? {};
    this.tj.spec.placement = { ...p, siteSelector: { ...p.siteSelector, [key]: value } };
    return this;
  }
  maxPrice(perHour: number, currency?: string): this {
    this.tj.spec.placement = {
      ...this.tj.spec.placement,
      maxPricePerHour: perHour,
      ...(currency === undefined ? {} : { currency }),
    };
    return this;
  }
  obj(): TrainingJob {
    return structuredClone(this.tj);
  }
  /** workload parses the job, failing the test if it does not parse. */
  workload(): Workload {
    return must(trainingWorkload(this.obj()));
  }
}

/** makeTrainingJob starts a TrainingJob. */
export function makeTrainingJob(name = 'job'): TrainingJobBuilder {
  return new TrainingJobBuilder(name);
}

/** InferenceServiceBuilder builds an InferenceService: 1 replica of 8 cpu and 64Gi by default. */
export class InferenceServiceBuilder {
  private readonly svc: InferenceService;

  constructor(name: string) {
    this.svc = {
      apiVersion: API_VERSION,
      kind: 'InferenceService',
      metadata: { name, namespace: 'default' },
      spec: { replicas: { min: 1 }, resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    };
  }

  replicas(min: number, max?: number): this {
    this.svc.spec.replicas = max === undefined ? { min } : { min, max };
    return this;
  }
  resources(cpu: Quantity, memory: Quantity): this {
    this.svc.spec.resources = { cpu, memory };
    return this;
  }
  variant(v: VariantBuilder): this {
    this.svc.spec.variants.push(v.obj());
    return this;
  }
  regions(...r: string[]): this {
    this.svc.spec.placement = { ...this.svc.spec.placement, regions: r };
    return this;
  }
  preferredRegions(...r: string[]): this {
    this.svc.spec.placement = { ...this.svc.spec.placement, preferredRegions: r };
    return this;
  }
  minSites(n: number): this {
    this.svc.spec.placement = { ...this.svc.spec.placement, minSites: n };
    return this;
  }
  maxPerSite(n: number): this {
    this.svc.spec.placement = { ...this.svc.spec.placement, maxReplicasPerSite: n };
    return this;
  }
  selector(key: string, value: string): this {
    const p = this.svc.spec.placement ?? {};
    this.svc.spec.placement = { ...p, siteSelector: { ...p.siteSelector, [key]: value } };
    return this;
  }
  obj(): InferenceService {
    return structuredClone(this.svc);
  }
  /** workload parses the service for `desired` replicas, failing the test if it does not parse. */
  workload(desired?: number): Workload {
    return must(inferenceWorkload(this.obj(), desired));
  }
}

/** makeInferenceService starts an InferenceService. */
export function makeInferenceService(name = 'svc'): InferenceServiceBuilder {
  return new InferenceServiceBuilder(name);
}

/** snapshotOf builds a snapshot from site builders or Sites. */
export function snapshotOf(sites: ReadonlyArray<SiteBuilder | Site>, promised: PromisedCapacity = {}): Snapshot {
  return buildSnapshot(
    sites.map((s) => (s instanceof SiteBuilder ? s.obj() : s)),
    promised,
  );
}

function must(r: WorkloadResult): Workload {
  if (!r.ok) throw new Error(`workload does not parse: ${r.errors.join('; ')}`);
  return r.value;
}

/**
 * labSites returns the default lab's three sites (examples/lab/default.yaml): shanghai (cn-east, 2 × 8 H100 at 28
 * CNY/h, amd64 CPU), guizhou (cn-southwest, 2 × 8 Ascend 910B3 at 12, arm64 CPU), beijing (cn-north, 2 × 8 A100 at
 * 18 and 1 × 8 Hygon K100 at 9, amd64 CPU). All empty and Ready; builders, so a test can change one.
 */
export function labSites(): { shanghai: SiteBuilder; guizhou: SiteBuilder; beijing: SiteBuilder } {
  const sovereign = (b: SiteBuilder): SiteBuilder => b.label('suanwang.io/sovereignty', 'cn');
  return {
    shanghai: sovereign(makeSite('shanghai'))
      .region('cn-east')
      .label('suanwang.io/tier', 'premium')
      .price('NVIDIA-H100-80GB-HBM3', 28)
      .pool(
        gpuPool('h100')
          .nvidia('NVIDIA H100 80GB HBM3', 8)
          .precisions('fp8', 'bf16', 'fp16', 'tf32', 'fp32', 'fp64')
          .nodes(2)
          .nodeCpu(192)
          .nodeMemory('1Ti'),
      )
      .pool(cpuPool('cpu').nodes(3).nodeCpu(64).nodeMemory('256Gi')),
    guizhou: sovereign(makeSite('guizhou'))
      .region('cn-southwest')
      .label('suanwang.io/tier', 'economy')
      .price('Ascend910B3', 12)
      .pool(
        gpuPool('ascend910b')
          .huawei('Ascend910B3', 8)
          .deviceMemory('64Gi')
          .arch('arm64')
          .nodes(2)
          .nodeCpu(192)
          .nodeMemory('768Gi'),
      )
      .pool(cpuPool('cpu').arch('arm64').nodes(4).nodeCpu(128).nodeMemory('512Gi')),
    beijing: sovereign(makeSite('beijing'))
      .region('cn-north')
      .label('suanwang.io/tier', 'standard')
      .price('NVIDIA-A100-SXM4-80GB', 18)
      .price('K100_AI', 9)
      .pool(
        gpuPool('a100')
          .nvidia('NVIDIA A100-SXM4-80GB', 8)
          .precisions('bf16', 'fp16', 'tf32', 'fp32', 'fp64')
          .nodes(2)
          .nodeCpu(128)
          .nodeMemory('512Gi'),
      )
      .pool(gpuPool('dcu').accelerator('hygon', 'K100_AI', 8).deviceMemory('64Gi').nodeCpu(128).nodeMemory('512Gi'))
      .pool(cpuPool('cpu').nodes(2).nodeCpu(64).nodeMemory('256Gi')),
  };
}

/** pretrainJob is examples/trainingjob-llm-pretrain.yaml: 2 workers × 8 H100 or 8 Ascend 910B, ≤ 500 CNY/h. */
export function pretrainJob(): TrainingJobBuilder {
  return makeTrainingJob('llm-7b-pretrain')
    .workers(2)
    .resources('64', '512Gi')
    .variant(variant('h100').nvidia('H100', 8).minMemory('80Gi').precision('bf16').arch('amd64'))
    .variant(variant('ascend910b').huawei('Ascend910B', 8).minMemory('64Gi').precision('bf16').arch('arm64'))
    .regions('cn-east', 'cn-southwest')
    .selector('suanwang.io/sovereignty', 'cn')
    .maxPrice(500, 'CNY');
}
