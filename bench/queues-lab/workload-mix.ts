/**
 * The queues and the TrainingJobs of the queues lab benchmark, generated from a seed so that every run submits the
 * same mix: four queues weighted 1 : 1 : 2 : 4, and jobs of one or two workers (gangs) in four shapes — H100 only,
 * A100 or Ascend, portable over every accelerator vendor of the default lab, and CPU only.
 *
 * Quotas. Three queues hold the federation's whole accelerator capacity as quota (32 NVIDIA GPUs, 16 Ascend, 8 DCU;
 * together far above capacity), so among them only the weights decide. `bench-b` has a binding quota — 2 NVIDIA
 * GPUs plus 2 borrowed, 2 Ascend, 2 DCU — at or under its weighted share of each device (1/8 of 32, 16, 8), so its
 * quota, not its weight, limits it, and the site-side quota check has something to catch. Its jobs take at most two
 * devices in all, so each fits its quota and none waits forever.
 */

/** Devices of the default lab (examples/lab/default.yaml), per accelerator resource. */
export const LAB_DEVICES: Readonly<Record<string, number>> = {
  'nvidia.com/gpu': 32,
  'huawei.com/Ascend910': 16,
  'hygon.com/dcu': 8,
};

/** BenchQueue is one Queue of the benchmark, in numbers. */
export interface BenchQueue {
  readonly name: string;
  readonly weight: number;
  readonly quota: Readonly<Record<string, number>>;
  readonly borrowingLimit: Readonly<Record<string, number>>;
  /** Most devices (workers × per worker) one of its jobs takes. */
  readonly maxJobDevices: number;
}

/** QUEUES are the benchmark's queues; see the module comment for why bench-b's quota is the one that binds. */
export const QUEUES: readonly BenchQueue[] = [
  { name: 'bench-a', weight: 1, quota: LAB_DEVICES, borrowingLimit: {}, maxJobDevices: 8 },
  {
    name: 'bench-b',
    weight: 1,
    quota: { 'nvidia.com/gpu': 2, 'huawei.com/Ascend910': 2, 'hygon.com/dcu': 2 },
    borrowingLimit: { 'nvidia.com/gpu': 2 },
    maxJobDevices: 2,
  },
  { name: 'bench-c', weight: 2, quota: LAB_DEVICES, borrowingLimit: {}, maxJobDevices: 8 },
  { name: 'bench-d', weight: 4, quota: LAB_DEVICES, borrowingLimit: {}, maxJobDevices: 8 },
];

/** JobShape is which hardware a job may run on. */
export type JobShape = 'h100' | 'a100-or-ascend' | 'portable' | 'cpu';

/** BenchJob is one generated TrainingJob. */
export interface BenchJob {
  readonly name: string;
  readonly queue: string;
  readonly shape: JobShape;
  readonly workers: number;
  /** Devices per worker; 0 for a CPU-only job. */
  readonly devicesPerWorker: number;
}

/** Shares of the shapes, in the order they are drawn. */
const SHAPES: ReadonlyArray<readonly [JobShape, number]> = [
  ['h100', 0.2],
  ['a100-or-ascend', 0.3],
  ['portable', 0.35],
  ['cpu', 0.15],
];
const GANG_SHARE = 0.35;
const DEVICES_PER_WORKER = [1, 2, 4] as const;

/** mulberry32 is a small seeded generator: the mix must be the same in every run, so Math.random will not do. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, weighted: ReadonlyArray<readonly [T, number]>): T {
  let r = random() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [value, w] of weighted) {
    r -= w;
    if (r < 0) return value;
  }
  return (weighted.at(-1) as readonly [T, number])[0];
}

/** sized clamps a job to the queue's largest: fewer devices per worker first, then one worker. */
function sized(q: BenchQueue, workers: number, perWorker: number): { workers: number; perWorker: number } {
  while (workers * perWorker > q.maxJobDevices) {
    if (perWorker > 1) perWorker /= 2;
    else workers = 1;
  }
  return { workers, perWorker };
}

/** expectedDevices is the mean devices of one of the queue's jobs, over the distribution generateJobs draws from. */
function expectedDevices(q: BenchQueue): number {
  let sum = 0;
  for (const [shape, p] of SHAPES) {
    if (shape === 'cpu') continue;
    for (const [workers, pw] of [[1, 1 - GANG_SHARE], [2, GANG_SHARE]] as const) {
      for (const perWorker of DEVICES_PER_WORKER) {
        const s = sized(q, workers, perWorker);
        sum += (p * pw * s.workers * s.perWorker) / DEVICES_PER_WORKER.length;
      }
    }
  }
  return sum / SHAPES.reduce((t, [, p]) => t + p, 0);
}

/**
 * generateJobs draws `total` jobs and returns them shuffled, so that no queue's jobs all reach the hub before another's.
 * Each queue gets jobs in proportion to its weight over its mean job size: every queue then asks for devices in
 * proportion to its weight, so all four have work waiting for most of the run (bench-b's jobs are smaller, so it
 * gets more of them).
 */
export function generateJobs(total: number, seed: number): BenchJob[] {
  const random = seeded(seed);
  const demand = QUEUES.map((q) => q.weight / expectedDevices(q));
  const demandSum = demand.reduce((s, x) => s + x, 0);
  const jobs: BenchJob[] = [];
  let given = 0;
  QUEUES.forEach((q, qi) => {
    const count = qi === QUEUES.length - 1 ? total - given : Math.round((total * (demand[qi] as number)) / demandSum);
    given += count;
    for (let i = 0; i < count; i++) {
      const shape = pick(random, SHAPES);
      const workers = random() < GANG_SHARE ? 2 : 1;
      const perWorker = shape === 'cpu' ? 0 : DEVICES_PER_WORKER[Math.floor(random() * DEVICES_PER_WORKER.length)] ?? 1;
      const s = shape === 'cpu' ? { workers, perWorker } : sized(q, workers, perWorker);
      jobs.push({ name: `${q.name.replace('bench-', '')}-${String(i).padStart(4, '0')}`, queue: q.name, shape, workers: s.workers, devicesPerWorker: s.perWorker });
    }
  });
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j] as BenchJob, jobs[i] as BenchJob];
  }
  return jobs;
}

function quantities(list: Readonly<Record<string, number>>): string {
  return `{ ${Object.entries(list).map(([k, v]) => `${k}: "${v}"`).join(', ')} }`;
}

/** queueYaml renders one Queue (preemption Never: the benchmark measures admission, not preemption). */
export function queueYaml(q: BenchQueue): string {
  const borrowing = Object.keys(q.borrowingLimit).length > 0 ? `  borrowingLimit: ${quantities(q.borrowingLimit)}\n` : '';
  return `apiVersion: suanwang.io/v1alpha1
kind: Queue
metadata: { name: ${q.name} }
spec:
  weight: ${q.weight}
  preemptionPolicy: Never
  quota: ${quantities(q.quota)}
${borrowing}`;
}

function variants(job: BenchJob): string {
  const n = job.devicesPerWorker;
  const h100 = `    - { name: h100, accelerator: { vendor: nvidia, model: H100, count: ${n} }, image: registry.example.com/train:1.0-cuda }\n`;
  const a100 = `    - { name: a100, accelerator: { vendor: nvidia, model: A100, count: ${n} }, image: registry.example.com/train:1.0-cuda }\n`;
  const nvidia = `    - { name: nvidia, accelerator: { vendor: nvidia, count: ${n} }, image: registry.example.com/train:1.0-cuda }\n`;
  const ascend = `    - { name: ascend, accelerator: { vendor: huawei, model: Ascend910B, count: ${n} }, architecture: arm64, image: registry.example.com/train:1.0-cann }\n`;
  const dcu = `    - { name: dcu, accelerator: { vendor: hygon, count: ${n} }, image: registry.example.com/train:1.0-dtk }\n`;
  switch (job.shape) {
    case 'h100':
      return h100;
    case 'a100-or-ascend':
      return a100 + ascend;
    case 'portable':
      return nvidia + ascend + dcu;
    case 'cpu':
      return `    - { name: cpu, cpuOnly: true, image: registry.example.com/tokenize:1.0 }\n`;
  }
}

/** jobYaml renders one TrainingJob: 8 cores and 32 GiB per device worker, 4 cores and 8 GiB per CPU worker. */
export function jobYaml(job: BenchJob): string {
  const resources = job.shape === 'cpu' ? '{ cpu: "4", memory: 8Gi }' : '{ cpu: "8", memory: 32Gi }';
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${job.name} }
spec:
  queue: ${job.queue}
  workers: ${job.workers}
  resources: ${resources}
  variants:
${variants(job)}`;
}
