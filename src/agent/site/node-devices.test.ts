import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { encodeDeviceAnnotation, toDeviceAnnotation } from './device-annotation.ts';
import { nodeDevices, type HealthTally, type ReportFreshness } from './node-devices.ts';
import { H100, makeNode, simReport, T0 } from './testing.ts';

const MAX_AGE_MS = 90_000;
const T0_MS = Date.parse(T0);
const gpuNode = () => makeNode('g').pool('h100').resources({ cpu: '96', memory: '1Ti' }).accelerators(H100);
/** freshness: the agent reads the node `afterMs` after T0. */
const freshness = (afterMs: number): ReportFreshness => ({ now: T0_MS + afterMs, maxAgeMs: MAX_AGE_MS });
/** oldAnnotation is what a reporter wrote before `seen` existed: the state's first sample time only. */
const oldAnnotation = (): string => {
  const { seen: _dropped, ...rest } = toDeviceAnnotation(simReport('g', H100));
  return encodeDeviceAnnotation({ ...rest });
};

describe('nodeDevices', () => {
  interface Case {
    name: string;
    node: V1Node;
    /** afterMs is when the agent reads the node, after T0 (the sample time of simReport). */
    afterMs: number;
    wantAllocatable: string;
    wantCounts: HealthTally | undefined;
    /** wantStatuses lists the wire status of each reported device, when given. */
    wantStatuses?: string[];
  }
  const healthy8 = { healthy: 8, degraded: 0, unhealthy: 0, unknown: 0, lost: 0 };
  const cases: Case[] = [
    {
      name: 'a fresh report (one minute old) is believed',
      node: gpuNode().devices(simReport('g', H100)).obj(),
      afterMs: 60_000,
      wantAllocatable: '8',
      wantCounts: healthy8,
    },
    {
      name: 'a report exactly the max age old is still fresh',
      node: gpuNode().devices(simReport('g', H100)).obj(),
      afterMs: MAX_AGE_MS,
      wantAllocatable: '8',
      wantCounts: healthy8,
    },
    {
      name: 'a stale report (older than the max age) makes every device Unknown and none allocatable',
      node: gpuNode().devices(simReport('g', H100)).obj(),
      afterMs: MAX_AGE_MS + 1,
      wantAllocatable: '0',
      wantCounts: { healthy: 0, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
      wantStatuses: Array(8).fill('HEALTH_STATUS_UNKNOWN'),
    },
    {
      name: 'a report stamped further ahead of the agent clock than the max age cannot be judged: stale',
      node: gpuNode().devices(simReport('g', H100)).obj(),
      afterMs: -(MAX_AGE_MS + 1),
      wantAllocatable: '0',
      wantCounts: { healthy: 0, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
    {
      name: 'an annotation without seen is judged by at: fresh while at is recent',
      node: gpuNode().annotation(oldAnnotation()).obj(),
      afterMs: 10_000,
      wantAllocatable: '8',
      wantCounts: healthy8,
    },
    {
      name: 'an annotation without seen is judged by at: stale once at is older than the max age',
      node: gpuNode().annotation(oldAnnotation()).obj(),
      afterMs: 10 * 60_000,
      wantAllocatable: '0',
      wantCounts: { healthy: 0, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
    {
      name: 'a device missing from the listing (7 of 8) counts as lost and is not allocatable',
      node: gpuNode().devices(simReport('g', { ...H100, count: 7 })).obj(),
      afterMs: 0,
      wantAllocatable: '7',
      wantCounts: { healthy: 7, degraded: 0, unhealthy: 0, unknown: 0, lost: 1 },
    },
    {
      name: 'missing and unhealthy devices add up',
      node: gpuNode().devices(simReport('g', { ...H100, count: 7 }, { xids: [{ device: 2, xid: 79 }] })).obj(),
      afterMs: 0,
      wantAllocatable: '6',
      wantCounts: { healthy: 6, degraded: 0, unhealthy: 1, unknown: 0, lost: 1 },
    },
    {
      name: 'a blind provider stays all Unknown, fresh or not',
      node: gpuNode().devices(simReport('g', H100, { unavailable: 'nvidia-smi: not found' })).obj(),
      afterMs: 0,
      wantAllocatable: '0',
      wantCounts: { healthy: 0, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
  ];

  it.each(cases)('$name', (c) => {
    const d = nodeDevices(c.node, 'nvidia', freshness(c.afterMs));
    expect(String(d.allocatable.get('nvidia.com/gpu'))).toBe(c.wantAllocatable);
    expect(d.counts).toEqual(c.wantCounts);
    if (c.wantStatuses) expect(d.devices.map((x) => x.health?.status)).toEqual(c.wantStatuses);
  });

  it('says why a stale report is not believed, in words that do not change while it stays stale', () => {
    const node = gpuNode().devices(simReport('g', H100)).obj();
    const a = nodeDevices(node, 'nvidia', freshness(MAX_AGE_MS + 1));
    const b = nodeDevices(node, 'nvidia', freshness(60 * 60_000));
    expect(a.devices[0]?.health?.reasons).toEqual([`node reporter's last sample at ${T0} is more than 90s from the agent's clock`]);
    expect(JSON.stringify(b.devices)).toBe(JSON.stringify(a.devices));
  });

  it('tells when a fresh report turns stale, so the agent can look again then', () => {
    const node = gpuNode().devices(simReport('g', H100)).obj();
    expect(nodeDevices(node, 'nvidia', freshness(1000)).freshUntil).toBe(T0_MS + MAX_AGE_MS);
    expect(nodeDevices(node, 'nvidia', freshness(MAX_AGE_MS + 1)).freshUntil).toBeUndefined();
  });
});

describe('nodeDevices on the same Node object again', () => {
  it('returns the same result while the report stays fresh, a new one when it turns stale, and that one while stale', () => {
    const node = gpuNode().devices(simReport('g', H100)).obj();
    const fresh = nodeDevices(node, 'nvidia', freshness(1_000));
    expect(nodeDevices(node, 'nvidia', freshness(60_000))).toBe(fresh);
    const stale = nodeDevices(node, 'nvidia', freshness(MAX_AGE_MS + 1));
    expect(stale).not.toBe(fresh);
    expect(stale.counts?.unknown).toBe(8);
    expect(nodeDevices(node, 'nvidia', freshness(MAX_AGE_MS + 60_000))).toBe(stale);
    // A clock that comes back (the report is fresh again) gives the fresh result again, equal to the first.
    expect(nodeDevices(node, 'nvidia', freshness(2_000))).toEqual(fresh);
  });

  it('computes anew for another max age or vendor, and for a replaced Node object', () => {
    const node = gpuNode().devices(simReport('g', H100)).obj();
    const first = nodeDevices(node, 'nvidia', freshness(1_000));
    expect(nodeDevices(node, 'nvidia', { now: T0_MS + 1_000, maxAgeMs: MAX_AGE_MS * 2 })).not.toBe(first);
    expect(nodeDevices(node, undefined, freshness(1_000)).allocatable.get('nvidia.com/gpu')).toBe(8);
    expect(nodeDevices({ ...node }, 'nvidia', freshness(1_000))).not.toBe(first);
  });
});
