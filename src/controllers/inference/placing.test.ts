import { describe, expect, it } from 'vitest';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { MAX_RECORDED_CANDIDATES } from '../../placement/explain.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import { planSites, type SiteRead } from './fencing.ts';
import { inferenceMemberName, renderInferenceMembers, type MemberAssignment } from './member-objects.ts';
import { placeInferenceService, type InferencePlacement } from './placing.ts';
import { nextInferenceStatus } from './status.ts';
import { cpuPool, gpuPool, labSites, makeService, makeSite, memberDeployment, variant, withReady } from './testing.ts';

const NOW = new Date(Date.UTC(2026, 3, 1, 12, 0, 0));
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace('.000Z', 'Z');

function chat(replicas = 3): InferenceService {
  return makeService('chat')
    .replicas(replicas)
    .minSites(2)
    .maxPerSite(2)
    .variant(variant('gpu').nvidia(undefined, 1))
    .variant(variant('cpu').cpuOnly('48Gi').resources({ cpu: '32', memory: '64Gi' }))
    .obj();
}

function lab(edit: (s: Record<'shanghai' | 'guizhou' | 'beijing', Site>) => void = () => {}): Site[] {
  const b = labSites();
  const s = { shanghai: b.shanghai.obj(), guizhou: b.guizhou.obj(), beijing: b.beijing.obj() };
  edit(s);
  return Object.values(s);
}

function decide(svc: InferenceService, sites: readonly Site[], reads: ReadonlyMap<string, SiteRead>, now = NOW): InferencePlacement {
  const workload = inferenceWorkload(svc);
  if (!workload.ok) throw new Error(workload.errors.join('; '));
  return placeInferenceService({ svc, workload: workload.value, sites, reads, promised: {}, config: DEFAULT_PLACEMENT_CONFIG, graceMs: 60_000, now });
}

/** recorded returns svc with the decision written to its status, as the reconciler does before acting. */
function recorded(svc: InferenceService, d: InferencePlacement): InferenceService {
  return { ...svc, status: nextInferenceStatus(svc, d, new Map(), NOW) };
}

/** running reads: at each assigned site, the Deployment the decision rendered (variant, pool, epoch). */
function running(svc: InferenceService, d: InferencePlacement, extra: Record<string, SiteRead> = {}): Map<string, SiteRead> {
  const reads = new Map<string, SiteRead>();
  for (const a of d.assignments) {
    const { deployment, service } = renderInferenceMembers(svc, a, d.epoch);
    reads.set(a.site, { ok: true, members: { deployments: [deployment], services: [service] } });
  }
  for (const [site, r] of Object.entries(extra)) reads.set(site, r);
  return reads;
}

const none: SiteRead = { ok: true, members: { deployments: [], services: [] } };
const summary = (d: InferencePlacement) => d.assignments.map((a) => `${a.site}=${a.replicas}(${a.variant})`);

/** placedChat is chat placed from scratch on the default lab, recorded, with its members running. */
function placedChat(): { svc: InferenceService; first: InferencePlacement } {
  const fresh = chat();
  const first = decide(fresh, lab(), new Map([['shanghai', none], ['guizhou', none], ['beijing', none]]));
  return { svc: recorded(fresh, first), first };
}

describe('placeInferenceService', () => {
  it('places from scratch in epoch 1, then finds nothing to change (same epoch, same record: no write)', () => {
    const { svc, first } = placedChat();
    expect(first).toMatchObject({ changed: true, epoch: 1, short: 0, sitesShort: 0 });
    expect(summary(first)).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
    const again = decide(svc, lab(), running(svc, first));
    expect(again.changed).toBe(false);
    expect(again.epoch).toBe(1);
    expect(again.placement).toBe(svc.status?.placement);
    expect(summary(again)).toEqual(summary(first));
  });

  it('keeps the share of a site Unknown within the grace (replacements serve beside it), and moves it once the grace is over', () => {
    const { svc, first } = placedChat();
    const timeout: SiteRead = { ok: false, error: 'Timeout: site beijing did not answer' };
    const within = decide(svc, lab((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(30)))), running(svc, first, { beijing: timeout }));
    // beijing's 2 stay planned, not moved; replacements.test.ts covers the 2 replacements beside them.
    expect(summary(within).filter((a) => a.startsWith('beijing'))).toEqual(['beijing=2(gpu)']);
    expect(within.moves).toEqual([]);

    const beyond = decide(svc, lab((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(90)))), running(svc, first, { beijing: timeout }));
    expect(beyond).toMatchObject({ changed: true, epoch: 2, short: 0, sitesShort: 0 });
    expect(summary(beyond)).toEqual(['guizhou=1(cpu)', 'shanghai=2(gpu)']);
    expect(beyond.moves.map((m) => [m.site, m.replicas, m.reason])).toEqual([['beijing', 2, 'SiteLost']]);
    expect(beyond.placement).toMatchObject({ epoch: 2, decisionTime: '2026-04-01T12:00:00Z' });
  });

  it('moves the share of a pool whose devices failed to sites that fit', () => {
    const { svc, first } = placedChat();
    const broken = lab((s) => {
      const pool = s.shanghai.status?.nodePools?.find((p) => p.name === 'h100');
      if (pool === undefined) throw new Error('fixture');
      pool.allocatable = { ...pool.allocatable, 'nvidia.com/gpu': '0' };
      pool.healthyDevices = 0;
      pool.unhealthyDevices = 16;
    });
    const d = decide(svc, broken, running(svc, first));
    expect(d.moves.map((m) => [m.site, m.replicas, m.reason])).toEqual([['shanghai', 1, 'DeviceUnhealthy']]);
    expect(d).toMatchObject({ changed: true, epoch: 2, short: 0, sitesShort: 0 });
    expect(d.assignments.find((a) => a.site === 'beijing')).toMatchObject({ variant: 'gpu', replicas: 2 });
    expect(d.assignments.filter((a) => a.variant === 'gpu').map((a) => a.site)).toEqual(['beijing']);
    expect(d.assignments.reduce((n, a) => n + a.replicas, 0)).toBe(3);
  });

  it('does not give a returning site replicas again while it holds old objects; fencing deletes them', () => {
    const { svc, first } = placedChat();
    const lost = lab((s) => (s.beijing = withReady(s.beijing, 'Unknown', 'LeaseExpired', ago(90))));
    const moved = decide(svc, lost, running(svc, first, { beijing: { ok: false, error: 'Timeout' } }));
    const after = recorded(svc, moved);

    // beijing is back, still running its epoch-1 Deployment of 2 replicas.
    const old = memberDeployment(svc, 'beijing').variant('gpu').pool('a100').epoch(1).replicas(2).ready(2).obj();
    const reads = running(after, moved, { beijing: { ok: true, members: { deployments: [old], services: [] } } });
    const back = decide(after, lab(), reads);
    expect(back.changed).toBe(false);
    expect(summary(back)).toEqual(['guizhou=1(cpu)', 'shanghai=2(gpu)']);
    expect(back.placement.candidates?.find((c) => c.site === 'beijing')).toMatchObject({
      verdict: 'Rejected',
      reasons: ['holds member objects of an earlier placement; deleting them first'],
    });
    const fence = planSites(inferenceMemberName(after), back.assignments, back.epoch, reads);
    expect(fence.kind === 'Act' && fence.sites.find((p) => p.site === 'beijing')).toEqual({
      site: 'beijing',
      apply: undefined,
      deletes: [{ kind: 'Deployment', name: inferenceMemberName(after), epoch: 1 }],
    });
    // Once clean, beijing is a candidate again, and what runs elsewhere stays (no replica is duplicated or moved).
    const clean = decide(after, lab(), running(after, moved, { beijing: none }));
    expect(clean.changed).toBe(false);
    expect(summary(clean)).toEqual(['guizhou=1(cpu)', 'shanghai=2(gpu)']);
  });

  it('never lets the epoch go back when the status is lost: members of a newer epoch are fenced, not waited for', () => {
    const { svc, first } = placedChat();
    // The sites run epoch 3 (two re-placements after `first`); the hub object lost its status.
    const reads = new Map<string, SiteRead>();
    for (const a of first.assignments) {
      const { deployment, service } = renderInferenceMembers(svc, a, 3);
      reads.set(a.site, { ok: true, members: { deployments: [deployment], services: [service] } });
    }
    const { status: _lost, ...wiped } = svc;
    const d = decide(wiped, lab(), reads);
    expect(d.changed).toBe(true);
    expect(d.epoch).toBeGreaterThan(3);
    const fence = planSites(inferenceMemberName(wiped), d.assignments, d.epoch, reads);
    expect(fence.kind).toBe('Act'); // today: Wait forever ("the hub cache is behind the site"), writing nothing
  });

  it.each([
    { what: 'scaling up', replicas: 4, want: ['beijing=2(gpu)', 'shanghai=2(gpu)'] },
    { what: 'scaling down', replicas: 2, want: ['beijing=1(gpu)', 'shanghai=1(gpu)'] },
  ])('$what keeps every staying site on its Deployment and pod template; only replicas change', ({ replicas, want }) => {
    const { svc, first } = placedChat();
    const scaled: InferenceService = { ...chat(replicas), status: svc.status ?? {} };
    const reads = running(svc, first);
    const d = decide(scaled, lab(), reads);
    expect(summary(d)).toEqual(want);
    expect(d.changed).toBe(true);
    const fence = planSites(inferenceMemberName(scaled), d.assignments, d.epoch, reads);
    if (fence.kind !== 'Act') throw new Error(fence.reason);
    for (const before of first.assignments) {
      const after = d.assignments.find((a) => a.site === before.site) as MemberAssignment;
      expect(after).toMatchObject({ variant: before.variant, pool: before.pool });
      const old = renderInferenceMembers(svc, before, first.epoch).deployment;
      const next = renderInferenceMembers(scaled, after, d.epoch).deployment;
      expect(next.metadata?.name).toBe(old.metadata?.name);
      expect(next.spec?.template).toEqual(old.spec?.template);
      expect(fence.sites.find((p) => p.site === before.site)).toEqual({ site: before.site, apply: after, deletes: [] });
    }
  });

  it('keeps the pool a site runs in, though another would do; a new variant takes the pool placement chose', () => {
    const svc = makeService('l40s').replicas(1).variant(variant('gpu').nvidia('L40S', 1)).variant(variant('old').nvidia('L40S', 1)).obj();
    let site = makeSite('x');
    for (const p of ['a', 'b']) site = site.pool(gpuPool(p).nvidia('NVIDIA L40S', 8));
    const sites = [site.obj()];
    const first = decide(svc, sites, new Map([['x', none]]));
    expect(first.assignments[0]).toMatchObject({ variant: 'gpu', pool: 'a' });
    const placed = recorded(svc, first);
    const runs = (variantName: string): Map<string, SiteRead> => {
      const d = memberDeployment(placed, 'x').variant(variantName).pool('b').epoch(1).replicas(1).obj();
      return new Map([['x', { ok: true, members: { deployments: [d], services: [] } }]]);
    };
    expect(decide(placed, sites, runs('gpu')).assignments[0]?.pool).toBe('b');
    expect(decide(placed, sites, runs('old')).assignments[0]?.pool).toBe('a');
  });

  it('bounds the record once at a federation of 100 sites: one note whose counts add up, the blocked and held sites listed', () => {
    // 30 sites fit, 68 lack a GPU, `blocked` refused the members, `held` holds a replica while its lease is expired.
    const name = (i: number) => `s${String(i).padStart(3, '0')}`;
    const gpu = (n: string) => makeSite(n).pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8)).obj();
    const sites: Site[] = [];
    for (let i = 0; i < 30; i++) sites.push(gpu(name(i)));
    for (let i = 30; i < 98; i++) sites.push(makeSite(name(i)).pool(cpuPool('cpu')).obj());
    sites.push(gpu('blocked'), withReady(gpu('held'), 'Unknown', 'LeaseExpired', ago(30)));
    const svc = makeService('chat').replicas(3).variant(variant('gpu').nvidia(undefined, 1)).running('held', 'gpu', 1).obj();
    const workload = inferenceWorkload(svc);
    if (!workload.ok) throw new Error(workload.errors.join('; '));
    const reads = new Map<string, SiteRead>(sites.map((s) => [s.metadata.name ?? '', none]));
    reads.set('held', { ok: false, error: 'Timeout' });
    const d = placeInferenceService({
      svc,
      workload: workload.value,
      sites,
      reads,
      promised: {},
      config: DEFAULT_PLACEMENT_CONFIG,
      graceMs: 60_000,
      now: NOW,
      refused: [{ site: 'blocked', reason: 'ImageNotAllowed', message: 'not on the allow list', fresh: true }],
    });

    const message = d.placement.message ?? '';
    const notes = [...message.matchAll(/(\d+) more sites not listed \(([^)]*)\)/g)];
    expect(notes.map((n) => n[0]), message).toHaveLength(1);
    const [, left = '0', parts = ''] = notes[0] ?? [];
    const candidates = d.placement.candidates ?? [];
    expect(candidates).toHaveLength(MAX_RECORDED_CANDIDATES);
    expect(candidates.length + Number(left)).toBe(sites.length);
    expect(parts.split(', ').reduce((n, p) => n + Number(p.split(' ')[0]), 0)).toBe(Number(left));
    expect(candidates.find((c) => c.site === 'held')).toMatchObject({ verdict: 'Selected', replicas: 1 });
    expect(candidates.find((c) => c.site === 'blocked')).toMatchObject({ verdict: 'Rejected', reasons: [message.match(/site blocked refused[^;]*/)?.[0]] });
  });
});
