import { describe, expect, it } from 'vitest';
import type { InjectedFaults } from '../devices/simulated.ts';
import { DEFAULT_MAX_REPORT_AGE_MS } from './node-devices.ts';
import { buildPools } from './pool-builder.ts';
import { deviceBaseline, diffPools, diffPoolDigests, healthChanges, poolDigest, poolDigests } from './pool-changes.ts';
import { H100, makeNode, simReport, T0 } from './testing.ts';

const TWO_GPUS = { ...H100, count: 2 };

/** site builds the pools of a site with GPU nodes g-0.. carrying the given faults (null: no annotation). */
function site(...faults: (InjectedFaults | null)[]) {
  const nodes = faults.map((f, i) => {
    const b = makeNode(`g-${i}`).pool('h100').accelerators(TWO_GPUS);
    return (f === null ? b : b.devices(simReport(`g-${i}`, TWO_GPUS, f))).obj();
  });
  return buildPools([...nodes, makeNode('c-0').pool('cpu').obj()], [], { now: Date.parse(T0), maxAgeMs: DEFAULT_MAX_REPORT_AGE_MS });
}

describe('diffPools', () => {
  it('is undefined when nothing changed', () => {
    expect(diffPools(site({}), site({}))).toBeUndefined();
  });

  it('upserts the changed pools only, and removes the gone ones', () => {
    const before = site({});
    const after = site({ xids: [{ device: 0, xid: 79 }] });
    expect(diffPools(before, after)?.upsertedPools.map((p) => p.name)).toEqual(['h100']);
    expect(diffPools(before, after)?.removedPoolNames).toEqual([]);
    const cpuOnly = after.filter((p) => p.name === 'cpu');
    expect(diffPools(after, cpuOnly)).toEqual({ upsertedPools: [], removedPoolNames: ['h100'] });
  });
});

describe('diffPoolDigests', () => {
  it('compares against digests of the pools before, as diffPools does, and hands back those of the pools after', () => {
    const before = site({});
    const after = site({ xids: [{ device: 0, xid: 79 }] });
    const { delta, digests } = diffPoolDigests(poolDigests(before), after);
    expect(delta).toEqual(diffPools(before, after));
    expect(digests).toEqual(poolDigests(after));
    expect(diffPoolDigests(digests, after).delta).toBeUndefined();
    expect(diffPoolDigests(digests, []).delta).toEqual({ upsertedPools: [], removedPoolNames: ['cpu', 'h100'] });
  });
});

describe('poolDigest', () => {
  it('is equal for equal pools, whether their records are the same objects or copies, and differs when any part does', () => {
    const [h100] = site({}).filter((p) => p.name === 'h100');
    if (h100 === undefined) throw new Error('no h100 pool');
    const copy = structuredClone(h100);
    expect(poolDigest(copy)).toBe(poolDigest(h100));
    const node = copy.nodes?.[0];
    if (node === undefined) throw new Error('no node');
    const allocatedOne = { ...copy, nodes: [{ ...node, resources: { ...node.resources, allocated: { ...node.resources?.allocated, 'nvidia.com/gpu': '1' } } }, ...(copy.nodes ?? []).slice(1)] };
    expect(poolDigest(allocatedOne)).not.toBe(poolDigest(h100));
    const unhealthy = site({ xids: [{ device: 0, xid: 79 }] }).find((p) => p.name === 'h100');
    if (unhealthy === undefined) throw new Error('no h100 pool');
    expect(poolDigest(unhealthy)).not.toBe(poolDigest(h100));
    expect(poolDigest({ ...h100, freeShape: { buckets: [] } })).not.toBe(poolDigest(h100));
    expect(poolDigest({ ...h100, devices: (h100.devices ?? []).slice(1) })).not.toBe(poolDigest(h100));
  });
});

describe('healthChanges', () => {
  const cases: { name: string; before: (InjectedFaults | null)[]; after: (InjectedFaults | null)[]; want: string[] }[] = [
    { name: 'nothing changed', before: [{}], after: [{}], want: [] },
    {
      name: 'a device turns unhealthy',
      before: [{}],
      after: [{ xids: [{ device: 1, xid: 79 }] }],
      want: ['DeviceUnhealthy g-0/sim-g-0-nvidia-1 SEVERITY_CRITICAL'],
    },
    {
      name: 'it recovers',
      before: [{ xids: [{ device: 1, xid: 79 }] }],
      after: [{}],
      want: ['DeviceRecovered g-0/sim-g-0-nvidia-1 SEVERITY_INFO resolved'],
    },
    {
      name: 'a warning alone changes nothing',
      before: [{}],
      after: [{ xids: [{ device: 1, xid: 94 }] }],
      want: [],
    },
    {
      name: 'the provider goes blind: every listed device becomes unknown',
      before: [{}, {}],
      after: [{}, { unavailable: 'nvidia-smi hung' }],
      want: ['DeviceUnknown g-1/sim-g-1-nvidia-0 SEVERITY_WARNING', 'DeviceUnknown g-1/sim-g-1-nvidia-1 SEVERITY_WARNING'],
    },
    {
      name: 'a node leaving the site raises nothing',
      before: [{}, { xids: [{ device: 0, xid: 79 }] }],
      after: [{}],
      want: [],
    },
    {
      name: 'a new node arriving unhealthy raises its event',
      before: [{}],
      after: [{}, { eccUncorrectable: [{ device: 1, count: 1 }] }],
      want: ['DeviceUnhealthy g-1/sim-g-1-nvidia-1 SEVERITY_CRITICAL'],
    },
  ];
  it.each(cases)('$name', (c) => {
    const { events } = healthChanges(deviceBaseline(site(...c.before)), site(...c.after));
    expect(events.map((e) => `${e.code} ${e.nodeName}/${e.deviceId} ${e.severity}${e.resolved ? ' resolved' : ''}`)).toEqual(c.want);
    for (const e of events) expect(e.pool).toBe('h100');
  });

  it('remembers a device that went unlisted, so it recovers once', () => {
    let baseline = deviceBaseline(site({}));
    const blind = healthChanges(baseline, site({ unavailable: 'hung' }));
    expect(blind.events.map((e) => e.code)).toEqual(['DeviceUnknown', 'DeviceUnknown']);
    baseline = blind.baseline;
    const still = healthChanges(baseline, site({ unavailable: 'hung' }));
    expect(still.events).toEqual([]);
    const back = healthChanges(still.baseline, site({}));
    expect(back.events.map((e) => e.code)).toEqual(['DeviceRecovered', 'DeviceRecovered']);
    expect(healthChanges(back.baseline, site({})).events).toEqual([]);
  });

  it('keeps the baseline entry of a device record that did not change, and makes one for a record that did', () => {
    const healthy = site({}, {});
    const baseline = deviceBaseline(healthy);
    const again = healthChanges(baseline, healthy).baseline;
    expect([...again.keys()]).toEqual([...baseline.keys()]);
    for (const [key, state] of again) expect(state).toBe(baseline.get(key));
    const unhealthy = site({ xids: [{ device: 1, xid: 79 }] }, {});
    const next = healthChanges(baseline, unhealthy);
    expect(next.events.map((e) => e.code)).toEqual(['DeviceUnhealthy']);
    expect(next.baseline.get('g-0/sim-g-0-nvidia-1')?.state).toBe('Unhealthy');
    expect(next.baseline.get('g-1/sim-g-1-nvidia-1')).toEqual(baseline.get('g-1/sim-g-1-nvidia-1'));
  });

  it('names the device and the reasons in the message', () => {
    const { events } = healthChanges(deviceBaseline(site({})), site({ xids: [{ device: 1, xid: 79 }] }));
    expect(events[0]?.message).toMatch(/^device 1 \(sim-g-0-nvidia-1\) on g-0 is unhealthy: XID 79/);
  });
});
