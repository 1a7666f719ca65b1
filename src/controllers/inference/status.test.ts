import { describe, expect, it } from 'vitest';
import type { InferenceService, PlacementRecord } from '../../api/generated/types.ts';
import type { Assignment } from '../../placement/distribute.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { nextInferenceStatus, serviceUrl, statusChanged, type RecordedDecision, type SiteObservation } from './status.ts';
import { makeService, memberDeployment, memberService, variant } from './testing.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString().replace('.000Z', 'Z');

const record: PlacementRecord = { epoch: 1, decisionTime: iso(0), message: 'placed 3/3 replicas on 2 sites: beijing 1 (gpu), shanghai 2 (gpu)' };

function svc(min = 3, minSites = 2): InferenceService {
  return makeService('chat').replicas(min).minSites(minSites).generation(2).variant(variant('gpu').nvidia(undefined, 1)).obj();
}

function decision(assignments: Assignment[], more: Partial<RecordedDecision> = {}): RecordedDecision {
  return { assignments, placement: record, short: 0, sitesShort: 0, ...more };
}

const both: Assignment[] = [
  { site: 'shanghai', variant: 'gpu', replicas: 2 },
  { site: 'beijing', variant: 'gpu', replicas: 1 },
];

function seen(s: InferenceService, ready: Record<string, number>, ips: Record<string, string> = {}): Map<string, SiteObservation> {
  return new Map(
    Object.entries(ready).map(([site, n]) => [
      site,
      { deployment: memberDeployment(s, site).ready(n).obj(), service: memberService(s, site, ips[site] ?? `10.0.0.${site.length}`) },
    ]),
  );
}

function step(s: InferenceService, d: RecordedDecision, observed: Map<string, SiteObservation>, sec: number): InferenceService {
  return { ...s, status: nextInferenceStatus(s, d, observed, at(sec)) };
}

describe('nextInferenceStatus', () => {
  it('reports replicas and readiness per site in site order, totals, endpoints and the record', () => {
    const s = step(svc(), decision(both), seen(svc(), { shanghai: 2, beijing: 1 }, { shanghai: '10.1.0.7', beijing: '10.2.0.9' }), 0);
    expect(s.status).toMatchObject({
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      sites: [
        { site: 'beijing', variant: 'gpu', replicas: 1, readyReplicas: 1 },
        { site: 'shanghai', variant: 'gpu', replicas: 2, readyReplicas: 2 },
      ],
      endpoints: [
        { site: 'beijing', url: 'http://10.2.0.9:8080' },
        { site: 'shanghai', url: 'http://10.1.0.7:8080' },
      ],
      placement: record,
    });
    expect(findCondition(s.status?.conditions, 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      observedGeneration: 2,
      lastTransitionTime: iso(0),
      reason: 'MinReplicasReady',
      message: '3/3 replicas ready (min 3)',
    });
    expect(findCondition(s.status?.conditions, 'Degraded')).toMatchObject({ status: 'False', reason: 'AllReplicasReady', message: 'all 3 replicas ready on 2 sites' });
  });

  it.each([
    {
      what: 'not Ready below replicas.min, Degraded with the short sites named',
      d: decision(both),
      ready: { shanghai: 1, beijing: 0 },
      wantReady: ['False', 'ReplicasNotReady', '1/3 replicas ready (min 3)'],
      wantDegraded: ['True', 'ReplicasNotReady', 'not ready at beijing (0/1), shanghai (1/2)'],
    },
    {
      what: 'Ready at replicas.min with fewer sites than minSites: Degraded FewerSitesThanRequested',
      d: decision([{ site: 'shanghai', variant: 'gpu', replicas: 3 }], { sitesShort: 1 }),
      ready: { shanghai: 3 },
      wantReady: ['True', 'MinReplicasReady', '3/3 replicas ready (min 3)'],
      wantDegraded: ['True', 'FewerSitesThanRequested', 'replicas on 1 of 2 sites (placement.minSites)'],
    },
    {
      what: 'fewer replicas placed than desired: Degraded ReplicasBelowDesired, and both reasons in the message',
      d: decision([{ site: 'shanghai', variant: 'gpu', replicas: 2 }], { short: 1, sitesShort: 1 }),
      ready: { shanghai: 2 },
      wantReady: ['False', 'ReplicasNotReady', '2/3 replicas ready (min 3)'],
      wantDegraded: ['True', 'FewerSitesThanRequested', 'replicas on 1 of 2 sites (placement.minSites); 2/3 replicas placed'],
    },
    {
      what: 'nothing placed: not Ready, saying why placement found nothing',
      d: { assignments: [], placement: { epoch: 1, message: '0/3 sites fit: ...' }, short: 3, sitesShort: 2 },
      ready: {},
      wantReady: ['False', 'ReplicasNotReady', '0/3 replicas ready (min 3): 0/3 sites fit: ...'],
      wantDegraded: ['True', 'FewerSitesThanRequested', 'replicas on 0 of 2 sites (placement.minSites); 0/3 replicas placed'],
    },
  ])('$what', ({ d, ready, wantReady, wantDegraded }) => {
    const s = step(svc(), d, seen(svc(), ready), 0);
    const r = findCondition(s.status?.conditions, 'Ready');
    const g = findCondition(s.status?.conditions, 'Degraded');
    expect([r?.status, r?.reason, r?.message]).toEqual(wantReady);
    expect([g?.status, g?.reason, g?.message]).toEqual(wantDegraded);
  });

  it('gives an endpoint only to sites with ready replicas and a cluster IP', () => {
    const observed = seen(svc(), { shanghai: 2, beijing: 0 });
    const s = step(svc(), decision(both), observed, 0);
    expect(s.status?.endpoints?.map((e) => e.site)).toEqual(['shanghai']);
    observed.set('shanghai', { deployment: memberDeployment(svc(), 'shanghai').ready(2).obj(), service: undefined });
    expect(step(svc(), decision(both), observed, 0).status?.endpoints).toBeUndefined();
  });

  it('keeps what status said about a site that could not be read (a failed read is not an empty site)', () => {
    const first = step(svc(), decision(both), seen(svc(), { shanghai: 2, beijing: 1 }), 0);
    const unread = seen(first, { shanghai: 2 }); // beijing not read this time
    const next = step(first, decision(both), unread, 30);
    expect(next.status?.sites?.find((x) => x.site === 'beijing')?.readyReplicas).toBe(1);
    expect(next.status?.endpoints?.map((e) => e.site)).toEqual(['beijing', 'shanghai']);
    expect(statusChanged(first.status, next.status ?? {})).toBe(false);
  });

  it('recomputing an unchanged state later changes nothing; transitions move lastTransitionTime', () => {
    const obs = seen(svc(), { shanghai: 2, beijing: 1 });
    const s = step(svc(), decision(both), obs, 0);
    expect(statusChanged(s.status, nextInferenceStatus(s, decision(both), seen(svc(), { shanghai: 2, beijing: 1 }), at(600)))).toBe(false);
    const dropped = step(s, decision(both), seen(svc(), { shanghai: 1, beijing: 1 }), 60);
    expect(findCondition(dropped.status?.conditions, 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: iso(60) });
    expect(findCondition(dropped.status?.conditions, 'Degraded')).toMatchObject({ status: 'True', lastTransitionTime: iso(60) });
    const still = step(dropped, decision(both), seen(svc(), { shanghai: 0, beijing: 1 }), 90);
    expect(findCondition(still.status?.conditions, 'Ready')?.lastTransitionTime).toBe(iso(60));
  });

  it('drops sites and endpoints that are no longer assigned', () => {
    const s = step(svc(), decision(both), seen(svc(), { shanghai: 2, beijing: 1 }), 0);
    const moved = step(s, decision([{ site: 'shanghai', variant: 'gpu', replicas: 3 }], { sitesShort: 1 }), seen(svc(), { shanghai: 2, beijing: 1 }), 10);
    expect(moved.status?.sites).toEqual([{ site: 'shanghai', variant: 'gpu', replicas: 3, readyReplicas: 2 }]);
    expect(moved.status?.endpoints?.map((e) => e.site)).toEqual(['shanghai']);
    expect(moved.status?.readyReplicas).toBe(2);
  });

  it('does not modify its input', () => {
    const s = step(svc(), decision(both), seen(svc(), { shanghai: 2, beijing: 1 }), 0);
    const before = structuredClone(s);
    nextInferenceStatus(s, decision([]), new Map(), at(5));
    expect(s).toEqual(before);
  });
});

describe('serviceUrl', () => {
  it.each([
    { ip: '10.96.3.7', port: 8080, want: 'http://10.96.3.7:8080' },
    { ip: 'fd00::17', port: 9000, want: 'http://[fd00::17]:9000' },
    { ip: 'None', port: 8080, want: undefined },
    { ip: '', port: 8080, want: undefined },
  ])('$ip:$port → $want', ({ ip, port, want }) => {
    expect(serviceUrl(memberService(svc(), 'shanghai', ip, port))).toBe(want);
  });
});

describe('nextInferenceStatus and a Ready site the hub cannot reach', () => {
  it('says so on the service: Degraded names the site and the class of the error', () => {
    const d = decision(both, { unreachable: [{ site: 'beijing', error: 'Forbidden' }] });
    const s = step(svc(), d, seen(svc(), { shanghai: 2 }), 0);
    const degraded = s.status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'SiteUnreachable' });
    expect(degraded?.message).toContain('site beijing cannot be reached from the hub (Forbidden)');
  });
});
