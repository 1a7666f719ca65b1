import { describe, expect, it } from 'vitest';
import { buildSnapshot, priceOf } from './snapshot.ts';
import { gpuPool, makeSite } from './testing.ts';

const GI = 2 ** 30;

describe('buildSnapshot', () => {
  it('parses quantities once: cpu in cores, memory in bytes, devices as counts', () => {
    const site = makeSite('a').obj();
    site.status!.nodePools = [
      {
        name: 'h100',
        architecture: 'amd64',
        nodes: 2,
        readyNodes: 1,
        accelerator: { vendor: 'nvidia', model: 'NVIDIA-H100-80GB-HBM3', memory: '80Gi', precisions: ['bf16'], count: 8 },
        allocatable: { cpu: '383500m', memory: '2Ti', 'nvidia.com/gpu': '15' },
        allocated: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': 8 },
        healthyDevices: 15,
        unhealthyDevices: 1,
      },
    ];
    const pool = buildSnapshot([site]).sites[0]?.pools[0];
    expect(pool).toEqual({
      name: 'h100',
      architecture: 'amd64',
      accelerator: {
        vendor: 'nvidia',
        model: 'NVIDIA-H100-80GB-HBM3',
        // The resource name defaults from the vendor when the site does not say.
        resourceName: 'nvidia.com/gpu',
        memoryBytes: 80 * GI,
        precisions: ['bf16'],
        perNode: 8,
      },
      nodes: 2,
      readyNodes: 1,
      allocatable: { cpu: 383.5, memory: 2048 * GI, 'nvidia.com/gpu': 15 },
      allocated: { cpu: 64, memory: 512 * GI, 'nvidia.com/gpu': 8 },
      promised: {},
      free: { cpu: 319.5, memory: 1536 * GI, 'nvidia.com/gpu': 7 },
      healthyDevices: 15,
      unhealthyDevices: 1,
    });
  });

  it('takes promised capacity off free, never below zero', () => {
    const site = makeSite('a').pool(gpuPool('h100').nvidia('H100', 8).nodes(2).allocated({ 'nvidia.com/gpu': 4 })).obj();
    const promised = { a: { h100: { 'nvidia.com/gpu': 8, cpu: 1000 } }, elsewhere: { x: { cpu: 1 } } };
    const pool = buildSnapshot([site], promised).sites[0]?.pools[0];
    expect(pool?.free).toEqual({ cpu: 0, memory: 1024 * GI, 'nvidia.com/gpu': 4 });
    expect(pool?.promised).toEqual({ 'nvidia.com/gpu': 8, cpu: 1000 });
  });

  it('counts a quantity it cannot read as not reported', () => {
    const site = makeSite('a').obj();
    site.status!.nodePools = [{ name: 'p', nodes: 1, allocatable: { cpu: 'lots', memory: '1Gi' }, allocated: { memory: '??' } }];
    expect(buildSnapshot([site]).sites[0]?.pools[0]?.free).toEqual({ memory: GI });
  });

  it('reads readiness from the Ready condition only', () => {
    const sites = [
      makeSite('ready').obj(),
      makeSite('unknown').notReady('LeaseExpired').obj(),
      makeSite('false').notReady('SiteLost', 'False').obj(),
      makeSite('none').noConditions().obj(),
    ];
    const got = buildSnapshot(sites).sites.map((s) => [s.name, s.ready, s.notReadyReason]);
    expect(got).toEqual([
      ['false', false, 'SiteLost'],
      ['none', false, 'NoReadyCondition'],
      ['ready', true, undefined],
      ['unknown', false, 'LeaseExpired'],
    ]);
  });

  it('sorts sites and pools by name and skips sites without a name', () => {
    const nameless = makeSite('x').obj();
    delete nameless.metadata.name;
    const b = makeSite('b').pool(gpuPool('z').nvidia('H100', 1)).pool(gpuPool('a').nvidia('H100', 1));
    const snap = buildSnapshot([b.obj(), nameless, makeSite('a').obj()]);
    expect(snap.sites.map((s) => s.name)).toEqual(['a', 'b']);
    expect(snap.sites[1]?.pools.map((p) => p.name)).toEqual(['a', 'z']);
  });

  it('matches prices by model case-insensitively, ignoring spaces, "-" and "_"', () => {
    const site = buildSnapshot([makeSite('a').price('NVIDIA-H100-80GB-HBM3', 28).price('K100_AI', 9).obj()]).sites[0]!;
    expect(priceOf(site, 'NVIDIA H100 80GB HBM3')).toBe(28);
    expect(priceOf(site, 'k100-ai')).toBe(9);
    // A price names the model as reported, not a substring of it.
    expect(priceOf(site, 'H100')).toBeUndefined();
    expect(site.currency).toBe('CNY');
  });
});

describe('buildSnapshot reuses the parse of a Site object it has seen', () => {
  const site = (): ReturnType<ReturnType<typeof makeSite>['obj']> => {
    const s = makeSite('a').pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2)).obj();
    s.metadata.resourceVersion = '7';
    return s;
  };

  it('gives the same SiteInfo for the same object and version, a fresh one for a new object', () => {
    const s = site();
    const first = buildSnapshot([s]).sites[0];
    expect(buildSnapshot([s]).sites[0]).toBe(first);
    const replaced = site();
    expect(buildSnapshot([replaced]).sites[0]).not.toBe(first);
    expect(buildSnapshot([replaced]).sites[0]).toEqual(first);
  });

  it('parses again when the object was edited in place under a new resourceVersion', () => {
    const s = site();
    const before = buildSnapshot([s]).sites[0];
    s.status!.nodePools![0]!.allocated = { 'nvidia.com/gpu': '8' };
    s.metadata.resourceVersion = '8';
    const after = buildSnapshot([s]).sites[0];
    expect(after).not.toBe(before);
    expect(after?.pools[0]?.allocated['nvidia.com/gpu']).toBe(8);
  });

  it('does not keep a parse that has promises taken off, and the kept parse is untouched by them', () => {
    const s = site();
    const plain = buildSnapshot([s]).sites[0];
    const promised = buildSnapshot([s], { a: { h100: { 'nvidia.com/gpu': 8 } } }).sites[0];
    expect(promised).not.toBe(plain);
    expect(promised?.pools[0]?.free['nvidia.com/gpu']).toBe((plain?.pools[0]?.free['nvidia.com/gpu'] ?? 0) - 8);
    expect(buildSnapshot([s]).sites[0]).toBe(plain);
  });
});
