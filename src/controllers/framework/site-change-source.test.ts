import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/generated/types.ts';
import { labSites } from '../../placement/testing.ts';
import { MemoryCache } from '../../runtime/memory-cache.ts';
import { siteChangeMatters, siteChangeOf, siteChangeSource } from './site-change-source.ts';

function allocated(site: Site): Site {
  const next = structuredClone(site);
  const pool = next.status?.nodePools?.[0];
  if (pool !== undefined) pool.allocated = { 'nvidia.com/gpu': '8' };
  return next;
}

function withReady(site: Site, status: 'True' | 'False' | 'Unknown', reason: string, since: string): Site {
  return { ...site, status: { ...site.status, conditions: [{ type: 'Ready', status, reason, message: '', lastTransitionTime: since }] } };
}

const heartbeat = (s: Site, at: string): Site => ({ ...s, metadata: { ...s.metadata, resourceVersion: at }, status: { ...s.status, lastHeartbeatTime: at } });

describe('siteChangeMatters', () => {
  const base = labSites().beijing.obj();
  it.each([
    { what: 'a new Site', previous: undefined, next: base, want: true },
    { what: 'a heartbeat alone', previous: heartbeat(base, '1'), next: heartbeat(base, '2'), want: false },
    { what: 'Ready turning Unknown', previous: base, next: withReady(base, 'Unknown', 'LeaseExpired', '2026-01-01T00:00:00Z'), want: true },
    { what: 'a cordon', previous: base, next: { ...base, spec: { ...base.spec, cordon: true } }, want: true },
    { what: 'capacity allocated', previous: base, next: allocated(base), want: true },
  ])('$what: $want', ({ previous, next, want }) => {
    expect(siteChangeMatters(previous, next)).toBe(want);
  });
});

describe('siteChangeOf', () => {
  const base = labSites().beijing.obj();
  const unhealthy = (s: Site): Site => {
    const next = structuredClone(s);
    const pool = next.status?.nodePools?.[0];
    if (pool !== undefined) pool.unhealthyDevices = 1;
    return next;
  };
  it.each([
    { what: 'a new Site', previous: undefined, next: base, want: 'State' },
    { what: 'a heartbeat alone', previous: heartbeat(base, '1'), next: heartbeat(base, '2'), want: undefined },
    { what: 'capacity allocated', previous: base, next: allocated(base), want: 'Capacity' },
    { what: 'a device failing', previous: base, next: unhealthy(base), want: 'State' },
    { what: 'a device failing as capacity is allocated', previous: base, next: unhealthy(allocated(base)), want: 'State' },
    { what: 'Ready turning Unknown', previous: base, next: withReady(base, 'Unknown', 'LeaseExpired', '2026-01-01T00:00:00Z'), want: 'State' },
    { what: 'a cordon', previous: base, next: { ...base, spec: { ...base.spec, cordon: true } }, want: 'State' },
  ])('$what: $want', ({ previous, next, want }) => {
    expect(siteChangeOf(previous, next)).toBe(want);
  });
});

describe('siteChangeSource', () => {
  it('wakes the site’s workloads on a change placement can see and on deletion, not on a heartbeat alone', () => {
    const cache = new MemoryCache<Site>();
    const base = labSites().beijing.obj();
    cache.set(heartbeat(base, '1'));
    cache.set(labSites().guizhou.obj());
    const enqueued: string[] = [];
    const changes: string[] = [];
    const unsubscribe = siteChangeSource(cache, (site, change) => {
      changes.push(`${site} ${change}`);
      return [`job-at-${site}`, 'pending-job'];
    }).subscribe((key) => enqueued.push(key));
    // Subscribing replays the cached Sites, each key once.
    expect(enqueued.sort()).toEqual(['job-at-beijing', 'job-at-guizhou', 'pending-job']);

    enqueued.length = 0;
    cache.set(heartbeat(base, '2'));
    expect(enqueued).toEqual([]);
    cache.set(allocated(heartbeat(base, '3')));
    expect(enqueued).toEqual(['job-at-beijing', 'pending-job']);
    expect(changes.at(-1)).toBe('beijing Capacity');

    enqueued.length = 0;
    cache.remove(undefined, 'guizhou');
    expect(enqueued).toEqual(['job-at-guizhou', 'pending-job']);
    expect(changes.at(-1)).toBe('guizhou State');

    unsubscribe();
    enqueued.length = 0;
    cache.set(withReady(base, 'Unknown', 'LeaseExpired', '2026-01-01T00:00:00Z'));
    expect(enqueued).toEqual([]);
  });
});
