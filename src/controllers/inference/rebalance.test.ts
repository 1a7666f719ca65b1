import { describe, expect, it } from 'vitest';
import type { InferenceSiteStatus, Site } from '../../api/generated/types.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import { siteLost } from '../framework/site-liveness.ts';
import { planRebalance, type RebalanceInput } from './rebalance.ts';
import { gpuPool, labSites, makeService, makeSite, variant, withReady } from './testing.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace('.000Z', 'Z');

function chat() {
  return makeService('chat')
    .replicas(3)
    .minSites(2)
    .variant(variant('gpu').nvidia(undefined, 1))
    .variant(variant('cpu').cpuOnly('48Gi').resources({ cpu: '32', memory: '64Gi' }))
    .obj();
}

function workload() {
  const w = inferenceWorkload(chat());
  if (!w.ok) throw new Error(w.errors.join('; '));
  return w.value;
}

const recorded: InferenceSiteStatus[] = [
  { site: 'beijing', variant: 'gpu', replicas: 1, readyReplicas: 1 },
  { site: 'shanghai', variant: 'gpu', replicas: 2, readyReplicas: 2 },
];

function sites(edit: (s: { shanghai: Site; beijing: Site }) => void = () => {}): Site[] {
  const lab = labSites();
  const s = { shanghai: lab.shanghai.obj(), beijing: lab.beijing.obj() };
  edit(s);
  return [s.beijing, s.shanghai];
}

function input(over: Partial<RebalanceInput>): RebalanceInput {
  return { recorded, sites: sites(), workload: workload(), graceMs: 60_000, nowMs: NOW, ...over };
}

describe('planRebalance', () => {
  it.each([
    {
      what: 'every site Ready: everything stays',
      in: input({}),
      wantCurrent: ['beijing=1', 'shanghai=2'],
      wantMoves: [],
      wantRecheck: undefined,
    },
    {
      what: 'a site Unknown within the grace: its replicas stay, and the grace is watched',
      in: input({ sites: sites((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(45)))) }),
      wantCurrent: ['beijing=1', 'shanghai=2'],
      wantMoves: [],
      wantRecheck: 15_000,
    },
    {
      what: 'a site Unknown beyond the grace: its share moves',
      in: input({ sites: sites((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(61)))) }),
      wantCurrent: ['shanghai=2'],
      wantMoves: ['beijing-1:SiteLost:site beijing not Ready (LeaseExpired) for 61s, longer than the grace of 60s'],
      wantRecheck: undefined,
    },
    {
      what: 'the grace is configurable',
      in: input({ graceMs: 120_000, sites: sites((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(61)))) }),
      wantCurrent: ['beijing=1', 'shanghai=2'],
      wantMoves: [],
      wantRecheck: 59_000,
    },
    {
      what: 'a cordoned site keeps its replicas however long the cordon lasts: it is alive, just closed to new work',
      in: input({ sites: sites((s) => (s.beijing = withReady(s.beijing, 'False', 'Cordoned', ago(3600)))) }),
      wantCurrent: ['beijing=1', 'shanghai=2'],
      wantMoves: [],
      wantRecheck: undefined,
    },
    {
      what: 'a site marked SiteLost moves at once',
      in: input({ sites: sites((s) => (s.beijing = withReady(s.beijing, 'False', 'SiteLost', ago(1)))) }),
      wantCurrent: ['shanghai=2'],
      wantMoves: ['beijing-1:SiteLost:site beijing is lost (SiteLost)'],
      wantRecheck: undefined,
    },
    {
      what: 'a site removed from the federation moves at once',
      in: input({ sites: sites().filter((s) => s.metadata.name !== 'beijing') }),
      wantCurrent: ['shanghai=2'],
      wantMoves: ['beijing-1:SiteRemoved:site beijing was removed from the federation'],
      wantRecheck: undefined,
    },
    {
      what: 'a pool whose devices failed keeps only what its healthy devices hold',
      in: input({
        sites: sites((s) => {
          s.shanghai = makeSite('shanghai').pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8).nodes(2).unhealthy(15)).obj();
        }),
        pools: new Map([['shanghai', 'h100']]),
      }),
      wantCurrent: ['beijing=1', 'shanghai=1'],
      wantMoves: ['shanghai-1:DeviceUnhealthy:site shanghai: its healthy devices and Ready nodes hold 1 of 2 replicas of variant gpu'],
      wantRecheck: undefined,
    },
    {
      what: 'a pool whose nodes are gone moves all its replicas',
      in: input({
        sites: sites((s) => {
          s.shanghai = makeSite('shanghai').pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8).nodes(2).readyNodes(0)).obj();
        }),
        pools: new Map([['shanghai', 'h100']]),
      }),
      wantCurrent: ['beijing=1'],
      wantMoves: ['shanghai-2:DeviceUnhealthy:site shanghai: its healthy devices and Ready nodes hold 0 of 2 replicas of variant gpu'],
      wantRecheck: undefined,
    },
  ])('$what', ({ in: i, wantCurrent, wantMoves, wantRecheck }) => {
    const plan = planRebalance(i);
    expect(plan.current.map((a) => `${a.site}=${a.replicas}`)).toEqual(wantCurrent);
    expect(plan.moves.map((m) => `${m.site}-${m.replicas}:${m.reason}:${m.message}`)).toEqual(wantMoves);
    expect(plan.recheckInMs).toBe(wantRecheck);
  });

  it('does not judge pool health at a site that is not Ready (its report is stale)', () => {
    const stale = sites((s) => {
      s.shanghai = withReady(makeSite('shanghai').obj(), 'Unknown', 'LeaseExpired', ago(10));
    });
    expect(planRebalance(input({ sites: stale })).current.map((a) => a.site)).toEqual(['beijing', 'shanghai']);
  });
});

describe('siteLost', () => {
  it('counts a site without a Ready condition, or with an unreadable time, as Ready (nothing to measure from)', () => {
    const bare = labSites().beijing.noConditions().obj();
    expect(siteLost(bare, 60_000, NOW)).toEqual({ kind: 'Ready' });
    expect(siteLost(withReady(bare, 'Unknown', 'LeaseExpired', 'not a time'), 60_000, NOW)).toEqual({ kind: 'Ready' });
  });
});

describe('planRebalance and a Ready site the hub cannot reach', () => {
  it('keeps its share within the grace and looks again when the grace runs out', () => {
    const plan = planRebalance(input({ unreachableSince: new Map([['shanghai', NOW - 20_000]]) }));
    expect(plan.moves).toEqual([]);
    expect(plan.recheckInMs).toBe(40_000);
  });

  it('moves its share once it has not answered for the grace, saying so', () => {
    const plan = planRebalance(input({ unreachableSince: new Map([['shanghai', NOW - 60_000]]) }));
    expect(plan.moves).toEqual([
      { site: 'shanghai', variant: 'gpu', replicas: 2, reason: 'SiteUnreachable', message: 'site shanghai could not be reached from the hub for 1m' },
    ]);
    expect(plan.current).toEqual([{ site: 'beijing', variant: 'gpu', replicas: 1 }]);
  });
});
