import { describe, expect, it } from 'vitest';
import { asBuilt, neverPlaced, neverSpread } from './as-built.ts';
import { verdict } from './filters/filter.ts';
import { place } from './place.ts';
import { gpuPool, makeInferenceService, makeSite, makeTrainingJob, snapshotOf, variant, type SiteBuilder } from './testing.ts';

/** Two sites of 2 nodes × 8 H100: 16 devices each, 32 in the federation, never more than 16 on one site. */
const h100 = (): ReturnType<typeof gpuPool> => gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2);
const sites = (): SiteBuilder[] => [makeSite('a').pool(h100()), makeSite('b').pool(h100())];
const job = (workers: number) => makeTrainingJob('train').workers(workers).variant(variant('h100').nvidia('H100', 8)).workload();

describe('neverPlaced: not now, or never (the federation as built)', () => {
  const cases: ReadonlyArray<{ name: string; sites: () => SiteBuilder[]; workers: number; wantNever: boolean; wantNow: boolean }> = [
    { name: 'fits now', sites, workers: 2, wantNow: true, wantNever: false },
    {
      name: 'every device in use: not now, but once they are free',
      sites: () => [makeSite('a').pool(h100().allocated({ 'nvidia.com/gpu': '16' })), makeSite('b').pool(h100().allocated({ 'nvidia.com/gpu': '16' }))],
      workers: 2,
      wantNow: false,
      wantNever: false,
    },
    {
      name: 'every site not Ready or cordoned: not now, but once they are back',
      sites: () => [makeSite('a').notReady('LeaseExpired').pool(h100()), makeSite('b').cordon().pool(h100())],
      workers: 2,
      wantNow: false,
      wantNever: false,
    },
    {
      name: 'devices unhealthy and nodes down: not now, but once repaired',
      sites: () => [makeSite('a').pool(h100().unhealthy(12).readyNodes(1))],
      workers: 2,
      wantNow: false,
      wantNever: false,
    },
    {
      name: 'more workers than any one site holds, though the federation has the devices in all',
      sites,
      workers: 3,
      wantNow: false,
      wantNever: true,
    },
    { name: '1,000 workers', sites, workers: 1000, wantNow: false, wantNever: true },
    { name: 'no site at all', sites: () => [], workers: 1, wantNow: false, wantNever: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = snapshotOf(c.sites());
      expect(place(job(c.workers), snapshot).kind === 'Placed').toBe(c.wantNow);
      const never = neverPlaced(job(c.workers), snapshot);
      expect(never !== undefined).toBe(c.wantNever);
    });
  }

  it('names why, from the look at the federation as built', () => {
    expect(neverPlaced(job(3), snapshotOf(sites()))).toMatch(/needs 24 nvidia\.com\/gpu, 16 healthy free/);
  });

  it('rules of the spec are never waited out: a region no site is in', () => {
    const tj = makeTrainingJob('train').workers(1).regions('eu-west').variant(variant('h100').nvidia('H100', 8)).workload();
    expect(neverPlaced(tj, snapshotOf(sites()))).toMatch(/region cn-east not allowed/);
  });

  it('extra filters (a queue quota with nothing used) count as rules', () => {
    const refuseAll = () => verdict(['quota']);
    expect(neverPlaced(job(1), snapshotOf(sites()), undefined, [refuseAll])).toBeDefined();
  });
});

describe('asBuilt', () => {
  it('frees, readies and uncordons everything, and counts unhealthy devices back', () => {
    const snapshot = snapshotOf([
      makeSite('a').notReady('SiteLost', 'False').cordon().pool(h100().unhealthy(4).readyNodes(1).allocated({ 'nvidia.com/gpu': '8' })),
    ]);
    const site = asBuilt(snapshot).sites[0];
    expect(site).toMatchObject({ ready: true, cordoned: false });
    expect(site?.notReadyReason).toBeUndefined();
    expect(site?.pools[0]).toMatchObject({ readyNodes: 2, allocated: {}, promised: {}, free: { 'nvidia.com/gpu': 16 } });
    expect(site?.pools[0]?.shape).toBeUndefined();
    // The input is untouched.
    expect(snapshot.sites[0]).toMatchObject({ ready: false, cordoned: true });
  });
});

describe('neverSpread: an InferenceService below replicas.min for good', () => {
  const svc = (min: number, perReplica: number) =>
    makeInferenceService('llm').replicas(min).variant(variant('h100').nvidia('H100', perReplica)).workload();
  it('fits: min replicas on an idle federation', () => {
    expect(neverSpread(svc(4, 8), snapshotOf(sites()), 4)).toBeUndefined();
  });
  it('busy now is not never', () => {
    const busy = [makeSite('a').pool(h100().allocated({ 'nvidia.com/gpu': '16' }))];
    expect(neverSpread(svc(2, 8), snapshotOf(busy), 2)).toBeUndefined();
  });
  it('more replicas than the federation holds', () => {
    expect(neverSpread(svc(5, 8), snapshotOf(sites()), 5)).toMatch(/^4 of 5 replicas fit: /);
  });
  it('a replica larger than any node', () => {
    expect(neverSpread(svc(1, 16), snapshotOf(sites()), 1)).toMatch(/^0 of 1 replicas fit: /);
  });
});
