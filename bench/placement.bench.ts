/**
 * Placement engine benchmark: the pure `place()` (training gangs) and `distribute()` (inference replicas) over a
 * federation far larger than the lab — 100 sites of four pools each (NVIDIA, Ascend, Hygon and CPU, with some
 * capacity in use and some devices unhealthy) — printing decisions per second, latency percentiles and heap growth.
 * Peer anchor: Karmada's cluster_schedule P50/P90/P99 = 12/15/32 ms at 100 member clusters
 * (../shared/research/performance-anchors.md §1.2).
 *
 *   node bench/placement.bench.ts [sites=100] [decisions=2000]
 */
import { buildSnapshot, distribute, place } from '../src/placement/index.ts';
import { cpuPool, gpuPool, makeInferenceService, makeSite, makeTrainingJob, variant } from '../src/placement/testing.ts';

const siteCount = Number(process.argv[2] ?? 100);
const decisions = Number(process.argv[3] ?? 2000);
const regions = ['cn-east', 'cn-north', 'cn-south', 'cn-southwest', 'cn-northwest'];

// A deterministic pseudo-random sequence, so every run measures the same federation.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const sites = Array.from({ length: siteCount }, (_, i) => {
  const s = makeSite(`site-${String(i).padStart(3, '0')}`).region(regions[i % regions.length] as string);
  s.price('NVIDIA-H100-80GB-HBM3', 20 + Math.floor(rand() * 15)).price('Ascend910B3', 8 + Math.floor(rand() * 8)).price('K100_AI', 6 + Math.floor(rand() * 6));
  s.pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2 + Math.floor(rand() * 30)).allocated({ 'nvidia.com/gpu': String(8 * Math.floor(rand() * 2)) }).unhealthy(Math.floor(rand() * 3)));
  s.pool(gpuPool('ascend').huawei('Ascend910B3', 8).arch('arm64').nodes(2 + Math.floor(rand() * 30)));
  s.pool(gpuPool('dcu').accelerator('hygon', 'K100_AI', 8).nodes(1 + Math.floor(rand() * 10)));
  s.pool(cpuPool('cpu').nodes(4 + Math.floor(rand() * 60)));
  return s.obj();
});
const snapshot = buildSnapshot(sites);

const trainingJobs = Array.from({ length: 16 }, (_, i) =>
  makeTrainingJob(`job-${i}`)
    .workers(1 + (i % 8) * 2)
    .resources('32', '256Gi')
    .variant(variant('h100').nvidia('H100', 8))
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

function measure(name: string, fn: (i: number) => unknown): void {
  for (let i = 0; i < 50; i++) fn(i); // warm-up: let the JIT settle
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < decisions; i++) {
    const s = performance.now();
    fn(i);
    lat.push(performance.now() - s);
  }
  const total = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] as number).toFixed(2);
  const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  console.log(`${name}: ${decisions} decisions over ${siteCount} sites × 4 pools in ${total.toFixed(2)} s = ${(decisions / total).toFixed(0)}/s; latency ms p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)}; heap change ${heap >= 0 ? "+" : ""}${heap.toFixed(1)} MiB`);
}

measure('place (training gang, 2 variants)', (i) => place(trainingJobs[i % trainingJobs.length]!, snapshot));
measure('distribute (inference, GPU + CPU fallback)', (i) => distribute(services[i % services.length]!, snapshot));
