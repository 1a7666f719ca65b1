/**
 * Admission benchmark: one admission cycle (src/queueing/admission-cycle.ts) over a large backlog — by default 10,000
 * waiting TrainingJobs in 20 queues over 100 sites of four pools each, some of them already running — repeated to
 * print the cycle's p50/p99, the placements it ran, and what it admitted. This is the operator's admission cost per
 * cycle (the ledger runs one per burst of changes, at most every 50 ms, and at least every 10 s).
 *
 *   node bench/admission.bench.ts [waiting=10000] [queues=20] [sites=100] [cycles=20]
 */
import { DEFAULT_PLACEMENT_CONFIG } from '../src/placement/config.ts';
import { buildSnapshot } from '../src/placement/snapshot.ts';
import { cpuPool, gpuPool, makeSite, makeTrainingJob, variant } from '../src/placement/testing.ts';
import { trainingWorkload } from '../src/placement/workload.ts';
import { admissionCycle, type QueuedWorkload } from '../src/queueing/admission-cycle.ts';
import { queueInfo, type QueueInfo } from '../src/queueing/queue-info.ts';
import { recordFigure } from './support/summary.ts';

const waiting = Number(process.argv[2] ?? 10_000);
const queueCount = Number(process.argv[3] ?? 20);
const siteCount = Number(process.argv[4] ?? 100);
const cycles = Number(process.argv[5] ?? 20);
const regions = ['cn-east', 'cn-north', 'cn-south', 'cn-southwest', 'cn-northwest'];

// A deterministic pseudo-random sequence, so every run measures the same backlog.
let seed = 7;
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const sites = Array.from({ length: siteCount }, (_, i) => {
  const s = makeSite(`site-${String(i).padStart(3, '0')}`).region(regions[i % regions.length] as string);
  s.price('NVIDIA-H100-80GB-HBM3', 20 + Math.floor(rand() * 15)).price('Ascend910B3', 8 + Math.floor(rand() * 8));
  s.pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2 + Math.floor(rand() * 30)).allocated({ 'nvidia.com/gpu': String(8 * Math.floor(rand() * 2)) }));
  s.pool(gpuPool('ascend').huawei('Ascend910B3', 8).arch('arm64').nodes(2 + Math.floor(rand() * 30)));
  s.pool(gpuPool('dcu').accelerator('hygon', 'K100_AI', 8).nodes(1 + Math.floor(rand() * 10)));
  s.pool(cpuPool('cpu').nodes(4 + Math.floor(rand() * 60)));
  return s.obj();
});
const snapshot = buildSnapshot(sites);

// Queues: quotas of 64–512 GPUs and NPUs, weights 1–4; every fourth may borrow, every third preempts.
const queues = new Map<string, QueueInfo>();
for (let i = 0; i < queueCount; i++) {
  const name = `q${String(i).padStart(2, '0')}`;
  const gpus = String(64 * (1 + Math.floor(rand() * 8)));
  queues.set(
    name,
    queueInfo({
      apiVersion: 'suanwang.io/v1alpha1',
      kind: 'Queue',
      metadata: { name },
      spec: {
        quota: { 'nvidia.com/gpu': gpus, 'huawei.com/Ascend910': gpus, cpu: '100000', memory: '1000Ti' },
        ...(i % 4 === 0 && { borrowingLimit: { 'nvidia.com/gpu': '64' } }),
        weight: 1 + (i % 4),
        preemptionPolicy: i % 3 === 0 ? 'LowerPriority' : 'Never',
      },
    }),
  );
}

// Workloads: gangs of 1–16 workers × 8 devices, H100-only, Ascend-only or either; a tenth already admitted.
const shapes = Array.from({ length: 48 }, (_, i) => {
  let b = makeTrainingJob(`shape-${i}`).workers(1 + (i % 16)).resources('16', '128Gi');
  if (i % 3 !== 1) b = b.variant(variant('h100').nvidia('H100', 8));
  if (i % 3 !== 0) b = b.variant(variant('ascend').huawei('Ascend910B', 8).arch('arm64'));
  return trainingWorkload(b.obj());
});
const names = [...queues.keys()];
const workloads: QueuedWorkload[] = [];
const now = Date.parse('2026-12-07T00:00:00Z');
for (let i = 0; i < waiting + Math.floor(waiting / 10); i++) {
  const queue = names[i % names.length] as string;
  const running = i >= waiting;
  workloads.push({
    key: `TrainingJob/team/job-${i}`,
    kind: 'TrainingJob',
    namespace: 'team',
    name: `job-${i}`,
    queueName: queue,
    priority: Math.floor(rand() * 3) * 100,
    createdMs: now - i * 1000,
    waitingSinceMs: now - i * 1000,
    workload: shapes[i % shapes.length]!,
    ...(running && { held: { queue, charge: { 'nvidia.com/gpu': 8, cpu: 16, memory: 128 * 2 ** 30 }, site: 'site-000', pool: 'h100', preemptible: true, admittedMs: now - 60_000 } }),
  });
}

const input = { queues, workloads, snapshot, config: DEFAULT_PLACEMENT_CONFIG, now };
admissionCycle(input); // warm-up: let the JIT settle
global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const times: number[] = [];
let last = admissionCycle(input);
for (let i = 0; i < cycles; i++) {
  const t0 = performance.now();
  last = admissionCycle(input);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const pct = (p: number): string => (times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] as number).toFixed(1);
const kinds = { Admit: 0, Wait: 0, Preempt: 0 };
for (const v of last.verdicts.values()) kinds[v.kind] += 1;
const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
console.log(
  `admission cycle: ${waiting} waiting + ${workloads.length - waiting} running TrainingJobs, ${queueCount} queues, ${siteCount} sites × 4 pools; ` +
    `${cycles} cycles: ms p50 ${pct(50)} p99 ${pct(99)}; ${last.placements} placements per cycle; ` +
    `verdicts: ${kinds.Admit} admitted, ${kinds.Wait} waiting, ${kinds.Preempt} preempted; heap change ${heap >= 0 ? '+' : ''}${heap.toFixed(1)} MiB`,
);
recordFigure({
  bench: 'admission',
  figure: `admission cycle: ${waiting.toLocaleString('en-US')} waiting TrainingJobs (+${(workloads.length - waiting).toLocaleString('en-US')} running) in ${queueCount} queues over ${siteCount} sites × 4 pools`,
  value: `p50 ${pct(50)} ms, p99 ${pct(99)} ms per cycle (${cycles} cycles; ${last.placements} placements, ${kinds.Admit} admitted per cycle)`,
  reproduce: `node bench/admission.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
});
