/**
 * Property test: whatever valid inputs placement is handed — quantities at the top of what the CRDs accept, empty
 * and zero-sized pools, free shapes of such numbers, free and astronomically dear prices — every number in a decision and its record is finite,
 * every score an integer in [0, 100], and no text says NaN or Infinity. The inputs come from a seeded generator, so
 * a failure names its case and reproduces.
 */
import { describe, expect, it } from 'vitest';
import type { NodePool, Quantity, Site } from '../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
import { distribute } from './distribute.ts';
import { place } from './place.ts';
import type { PromisedCapacity } from './snapshot.ts';
import { makeInferenceService, makeSite, makeTrainingJob, snapshotOf, variant, type VariantBuilder } from './testing.ts';

/** random is a small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(xs: readonly T[]) => T;

// Extreme but valid: every string passes the CRDs' quantity pattern and is at most int64; counts are int32.
// Pool sizes lean large and usage small, so that most cases reach the score stage rather than stop at a filter.
const POOL_CPU: readonly Quantity[] = ['0', '96', '1e18', '9223372036854775807', 2 ** 62];
const POOL_MEMORY: readonly Quantity[] = ['0', '1Ti', '7Ei', '8Ei', '9E', '9223372036854775807'];
const POOL_DEVICES: readonly Quantity[] = ['0', 8, '2147483647', '9223372036854775807'];
const USED: readonly Quantity[] = ['0', '0', '0', '1', '9223372036854775807'];
const CPU: readonly Quantity[] = ['0', '0', '1m', '1', '96', '9223372036854775807'];
const MEMORY: readonly Quantity[] = ['0', '0', '1', '64Gi', '8Ei'];
const NODES: readonly number[] = [0, 1, 2, 2, 4096, 2147483647];
const COUNTS: readonly number[] = [0, 1, 8, 2147483647];
const PRICES: readonly number[] = [0, Number.MIN_VALUE, 1e-300, 1, 28, 1e15, 1e300, Number.MAX_VALUE];
const MODEL = 'NVIDIA H100 80GB HBM3';

/** pool draws a pool; `shapePick`, a stream of its own (so that adding shapes changed no other draw), its free shape. */
function pool(pick: Pick, shapePick: Pick, name: string, accelerator: boolean): NodePool {
  const nodes = pick(NODES);
  const allocatable: Record<string, Quantity> = {
    cpu: pick(POOL_CPU),
    memory: pick(POOL_MEMORY),
    ...(accelerator ? { 'nvidia.com/gpu': pick(POOL_DEVICES) } : {}),
  };
  const allocated: Record<string, Quantity> = Object.fromEntries(Object.keys(allocatable).map((r) => [r, pick(USED)]));
  return {
    name,
    nodes,
    readyNodes: pick([0, nodes, nodes, nodes]),
    architecture: 'amd64',
    capacity: allocatable,
    allocatable,
    allocated,
    ...(accelerator
      ? {
          accelerator: {
            vendor: 'nvidia',
            model: MODEL,
            resourceName: 'nvidia.com/gpu',
            memory: pick(['80Gi', '0', '8Ei']),
            precisions: ['bf16', 'fp16'],
            ...(pick([true, false]) ? { count: pick([0, 8, 2147483647]) } : {}),
          },
          healthyDevices: pick(COUNTS),
          unhealthyDevices: pick(COUNTS),
        }
      : {}),
    // A third of the pools report a free shape of extreme sizes. Its buckets hold something: a shape that holds
    // nothing rejects the case at the filters (the unit tables cover that), and most cases should reach the scores.
    ...(shapePick([true, false, false])
      ? {
          freeShape: Array.from({ length: shapePick([1, 3]) }, () => ({
            nodes: shapePick([1, 4096, 2147483647]),
            devices: shapePick([8, 64, 2147483647]),
            cpu: shapePick(POOL_CPU.slice(1)),
            memory: shapePick(POOL_MEMORY.slice(1)),
          })),
        }
      : {}),
  };
}

function sites(pick: Pick, next: () => number, shapePick: Pick): Site[] {
  const n = 1 + Math.floor(next() * 4);
  return Array.from({ length: n }, (_, i) => {
    const b = makeSite(`site-${i}`).region(pick(['cn-east', 'cn-north']));
    if (pick([true, true, false])) b.price(MODEL, pick(PRICES));
    if (pick([true, false, false])) b.currency('USD');
    b.pool(pool(pick, shapePick, 'gpu', true));
    if (pick([true, false])) b.pool(pool(pick, shapePick, 'cpu', false));
    return b.obj();
  });
}

function promised(pick: Pick, all: readonly Site[]): PromisedCapacity {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const s of all) {
    if (pick([true, false])) out[s.metadata.name ?? ''] = { gpu: { 'nvidia.com/gpu': pick([0, 8, 2 ** 63]), cpu: pick([0, 2 ** 63]) } };
  }
  return out;
}

function variants(pick: Pick): VariantBuilder[] {
  const gpu = variant('gpu').nvidia(pick(['H100', undefined]), pick([1, 8, 64]));
  if (pick([true, false])) gpu.minMemory(pick(['0', '80Gi']));
  if (pick([true, false, false])) gpu.resources({ cpu: pick(CPU), memory: pick(MEMORY) });
  return pick([true, false]) ? [gpu] : [gpu, variant('cpu').cpuOnly(pick(['1Gi', '8Ei', '0']))];
}

const CONFIGS: readonly PlacementConfig[] = [
  DEFAULT_PLACEMENT_CONFIG,
  { weights: { price: 0, locality: 0, health: 0, packing: 0, fragmentation: 0, variantOrder: 0 } },
  { weights: { price: 1, locality: 0, health: 0, packing: 0, fragmentation: 0, variantOrder: 0 } },
  { weights: { price: 0, locality: 0, health: 0, packing: 1, fragmentation: 0, variantOrder: 0 } },
  { weights: { price: 0, locality: 0, health: 0, packing: 0, fragmentation: 1, variantOrder: 0 } },
];

/** problems lists every number that is not finite and every text that says NaN or Infinity, with its path. */
function problems(x: unknown, path = '$'): string[] {
  if (typeof x === 'number') return Number.isFinite(x) ? [] : [`${path} = ${x}`];
  if (typeof x === 'string') return /NaN|Infinity/.test(x) ? [`${path} = ${JSON.stringify(x)}`] : [];
  if (Array.isArray(x)) return x.flatMap((v, i) => problems(v, `${path}[${i}]`));
  if (typeof x === 'object' && x !== null) return Object.entries(x).flatMap(([k, v]) => problems(v, `${path}.${k}`));
  return [];
}

/** badScores lists scores that are not integers in [0, 100]. */
function badScores(candidates: readonly { score?: number; scores?: Record<string, number> }[]): string[] {
  const bad: string[] = [];
  for (const c of candidates) {
    for (const s of [c.score, ...Object.values(c.scores ?? {})]) {
      if (s !== undefined && !(Number.isInteger(s) && s >= 0 && s <= 100)) bad.push(String(s));
    }
  }
  return bad;
}

const CASES = 1000;

describe('placement with extreme but valid inputs', () => {
  it('place: every number in the decision and its record is finite, every score an integer in [0, 100]', () => {
    const next = random(7);
    const shapes = random(8);
    let placed = 0;
    const pick: Pick = (xs) => xs[Math.floor(next() * xs.length)] as (typeof xs)[number];
    const shapePick: Pick = (xs) => xs[Math.floor(shapes() * xs.length)] as (typeof xs)[number];
    for (let i = 0; i < CASES; i++) {
      const all = sites(pick, next, shapePick);
      const job = makeTrainingJob().workers(pick([1, 1, 1, 2, 4096])).resources(pick(CPU), pick(MEMORY));
      for (const v of variants(pick)) job.variant(v);
      if (pick([true, false, false])) job.maxPrice(pick(PRICES));
      const decision = place(job.workload(), snapshotOf(all, promised(pick, all)), pick(CONFIGS));
      placed += decision.kind === 'Placed' ? 1 : 0;
      expect(problems(decision), `case ${i}`).toEqual([]);
      expect(badScores(decision.record.candidates), `case ${i}`).toEqual([]);
    }
    // The cases exercise the score stage, not only the filters (a fifth of them place without free shapes; the
    // shapes' node-by-node fit rejects a few more).
    expect(placed).toBeGreaterThan(CASES / 6);
  });

  it('distribute: every number in the decision and its record is finite, every score an integer in [0, 100]', () => {
    const next = random(13);
    const shapes = random(14);
    let placed = 0;
    const pick: Pick = (xs) => xs[Math.floor(next() * xs.length)] as (typeof xs)[number];
    const shapePick: Pick = (xs) => xs[Math.floor(shapes() * xs.length)] as (typeof xs)[number];
    for (let i = 0; i < CASES; i++) {
      const all = sites(pick, next, shapePick);
      const svc = makeInferenceService().replicas(pick([1, 1, 3, 4096])).resources(pick(CPU), pick(MEMORY));
      for (const v of variants(pick)) svc.variant(v);
      if (pick([true, false])) svc.preferredRegions('cn-north', 'cn-east');
      if (pick([true, false])) svc.minSites(pick([1, 2, 64]));
      if (pick([true, false])) svc.maxPerSite(pick([1, 4096]));
      const current = pick([[], [{ site: 'site-0', variant: 'gpu', replicas: 4096 }]]);
      const decision = distribute(svc.workload(), snapshotOf(all, promised(pick, all)), pick(CONFIGS), current);
      placed += decision.assignments.length > 0 ? 1 : 0;
      expect(problems(decision), `case ${i}`).toEqual([]);
      expect(badScores(decision.record.candidates), `case ${i}`).toEqual([]);
    }
    expect(placed).toBeGreaterThan(CASES / 5);
  });
});
