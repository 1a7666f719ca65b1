/**
 * Metrics scrape benchmark (issue 15): the operator's /metrics with a large federation in its caches — by default 100
 * sites of four pools, 10,000 workloads (8,000 TrainingJobs in every phase, running ones with attempts, and 2,000
 * InferenceServices) and 10 Queues — served by the operator's own MetricsServer on 127.0.0.1 and fetched over HTTP,
 * as Prometheus would. Prints the scrape time (p50, p99), the body size and the sample count, and checks the series
 * count does not grow with the workloads (the scrape-time gauges label by site, pool, phase and queue, never by
 * workload).
 *
 *   node bench/metrics-scrape.bench.ts [sites=100] [workloads=10000] [scrapes=50]
 */
import pino from 'pino';
import type { InferenceService, Queue, TrainingJob } from '../src/api/generated/types.ts';
import { OperatorMetrics } from '../src/operator/metrics/operator-metrics.ts';
import { gpuPool, cpuPool, makeSite } from '../src/placement/testing.ts';
import { parseSamples } from '../src/runtime/metrics-exposition.ts';
import { newMetricsRegistry } from '../src/runtime/metrics-registry.ts';
import { MetricsServer } from '../src/runtime/metrics-server.ts';
import { recordFigure } from './support/summary.ts';

const siteCount = Number(process.argv[2] ?? 100);
const workloadCount = Number(process.argv[3] ?? 10_000);
const scrapes = Number(process.argv[4] ?? 50);
for (const [what, v] of [['sites', siteCount], ['workloads', workloadCount], ['scrapes', scrapes]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${String(v)}`);
}
const QUEUES = 10;
const PHASES = ['Pending', 'Placed', 'Running', 'Succeeded', 'Failed'] as const;

const sites = Array.from({ length: siteCount }, (_, i) =>
  makeSite(`site-${String(i).padStart(3, '0')}`)
    .pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(4).allocated({ 'nvidia.com/gpu': '8' }))
    .pool(gpuPool('a100').nvidia('NVIDIA-A100-SXM4-80GB', 8).nodes(4))
    .pool(gpuPool('ascend').huawei('Ascend910B3', 8).arch('arm64').nodes(4))
    .pool(cpuPool('cpu').nodes(8))
    .obj(),
);

function trainingJobs(n: number): TrainingJob[] {
  return Array.from({ length: n }, (_, i): TrainingJob => {
    const phase = PHASES[i % PHASES.length] as (typeof PHASES)[number];
    const queue = `queue-${i % QUEUES}`;
    const site = `site-${String(i % siteCount).padStart(3, '0')}`;
    return {
      apiVersion: 'suanwang.io/v1alpha1',
      kind: 'TrainingJob',
      metadata: { name: `job-${i}`, namespace: `team-${i % 50}`, uid: `uid-${i}` },
      spec: { queue } as TrainingJob['spec'],
      status: {
        phase,
        ...(phase !== 'Pending' && {
          attempts: [{ site, variant: 'h100', startTime: '2026-01-01T10:00:00Z', outcome: phase === 'Running' || phase === 'Placed' ? ('Running' as const) : phase, pricePerHour: 20, currency: 'CNY', queue }],
        }),
      },
    };
  });
}

function inferenceServices(n: number): InferenceService[] {
  return Array.from({ length: n }, (_, i): InferenceService => ({
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: `svc-${i}`, namespace: `team-${i % 50}` },
    spec: {} as InferenceService['spec'],
    status: { replicas: i % 3, conditions: [{ type: 'Ready', status: i % 3 === 0 ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'R', message: '' }] },
  }));
}

const queues: Queue[] = Array.from({ length: QUEUES }, (_, i) => ({
  apiVersion: 'suanwang.io/v1alpha1',
  kind: 'Queue',
  metadata: { name: `queue-${i}` },
  spec: {},
  status: { pending: 40, admitted: 60, usage: { 'nvidia.com/gpu': '64', cpu: '512', memory: '2Ti' }, cost: '1234.50 CNY' },
}));

/** measure serves the caches holding `workloads` workloads and scrapes them over HTTP. */
async function measure(workloads: number, times: number): Promise<{ ms: number[]; bytes: number; samples: number; ours: number }> {
  const training = trainingJobs(Math.round(workloads * 0.8));
  const inference = inferenceServices(workloads - training.length);
  const metrics = new OperatorMetrics(newMetricsRegistry());
  const now = Date.now();
  metrics.watchCaches({ sites: () => sites, trainingJobs: () => training, inferenceServices: () => inference, queues: () => queues, sessions: () => undefined, now: () => now });
  const server = new MetricsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, logger: pino({ level: 'silent' }) });
  const port = await server.start();
  try {
    const ms: number[] = [];
    let body = '';
    for (let i = 0; i < times + 3; i++) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      body = await res.text();
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
      if (i >= 3) ms.push(performance.now() - t); // the first scrapes warm the JIT
    }
    const samples = parseSamples(body);
    // The process defaults (heap spaces, handle types, GC kinds) vary with what the process did; Suanwang's own series
    // are what must not grow with the workloads.
    return { ms, bytes: Buffer.byteLength(body), samples: samples.length, ours: samples.filter((x) => x.name.startsWith('suanwang_')).length };
  } finally {
    await server.stop();
  }
}

const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;

const small = await measure(Math.max(1, Math.round(workloadCount / 100)), 5);
const big = await measure(workloadCount, scrapes);
console.log(`operator /metrics over HTTP with ${siteCount} sites × 4 pools, ${QUEUES} queues (${scrapes} scrapes, Node ${process.version}):`);
console.log(`  ${workloadCount} workloads: p50 ${pct(big.ms, 50).toFixed(1)} ms, p99 ${pct(big.ms, 99).toFixed(1)} ms; ${(big.bytes / 1024).toFixed(0)} KiB, ${big.samples} samples`);
console.log(`  suanwang_ series: ${big.ours} with ${workloadCount} workloads, ${small.ours} with ${Math.round(workloadCount / 100)} (${small.ours === big.ours ? 'they do not grow' : 'THEY GROW'} with the workloads)`);
const reproduce = `node bench/metrics-scrape.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
const setting = `${siteCount} sites × 4 pools, ${workloadCount.toLocaleString('en-US')} workloads, ${QUEUES} queues`;
recordFigure({
  bench: 'metrics-scrape',
  figure: `operator /metrics scrape over HTTP, ${setting}`,
  value: `p50 ${pct(big.ms, 50).toFixed(1)} ms, p99 ${pct(big.ms, 99).toFixed(1)} ms (${scrapes} scrapes); ${(big.bytes / 1024).toFixed(0)} KiB, ${big.samples.toLocaleString('en-US')} samples`,
  reproduce,
});
recordFigure({
  bench: 'metrics-scrape',
  figure: `suanwang_ series in one scrape, ${setting}`,
  value: big.ours.toLocaleString('en-US'),
  // The series must not grow with the workloads: the same caches with a hundredth of them are the comparison.
  limit: `${small.ours.toLocaleString('en-US')} with ${Math.max(1, Math.round(workloadCount / 100))} workloads: ${small.ours === big.ours ? 'they do not grow' : 'THEY GROW'} with the workloads`,
  reproduce,
});
process.exitCode = small.ours === big.ours ? 0 : 1;
