import { describe, expect, it } from 'vitest';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import type { SiteRead } from './fencing.ts';
import { renderInferenceMembers } from './member-objects.ts';
import { placeInferenceService, type InferencePlacement, type PlacingInput } from './placing.ts';
import { nextInferenceStatus } from './status.ts';
import { InferenceWorld } from './testing-world.ts';
import { chatService, labSiteObjects, withReady } from './testing.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
const GRACE = 60_000;
const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const chat = chatService;
const lab = labSiteObjects;

/** expired is `site` with its lease expired `ms` ago (Ready=Unknown/LeaseExpired, as the Site controller writes it). */
const expired = (site: Site, ms: number) => withReady(site, 'Unknown', 'LeaseExpired', at(NOW - ms));

function decide(svc: InferenceService, sites: readonly Site[], reads: ReadonlyMap<string, SiteRead>, more: Partial<PlacingInput> = {}): InferencePlacement {
  const workload = inferenceWorkload(svc);
  if (!workload.ok) throw new Error(workload.errors.join('; '));
  return placeInferenceService({ svc, workload: workload.value, sites, reads, promised: {}, config: DEFAULT_PLACEMENT_CONFIG, graceMs: GRACE, now: new Date(NOW), ...more });
}

const recorded = (svc: InferenceService, d: InferencePlacement): InferenceService => ({ ...svc, status: nextInferenceStatus(svc, d, new Map(), new Date(NOW)) });

/** reads: the members the decision rendered at each assigned site, and what `extra` says elsewhere. */
function reads(svc: InferenceService, d: InferencePlacement, extra: Record<string, SiteRead> = {}): Map<string, SiteRead> {
  const out = new Map<string, SiteRead>([['beijing', none], ['guizhou', none], ['shanghai', none]]);
  for (const a of d.assignments) {
    const { deployment, service } = renderInferenceMembers(svc, a, d.epoch);
    out.set(a.site, { ok: true, members: { deployments: [deployment], services: [service] } });
  }
  for (const [site, r] of Object.entries(extra)) out.set(site, r);
  return out;
}

const none: SiteRead = { ok: true, members: { deployments: [], services: [] } };
const timeout: SiteRead = { ok: false, error: 'Timeout' };
const summary = (d: InferencePlacement) => d.assignments.map((a) => `${a.site}=${a.replicas}(${a.variant})`);

function placedChat(): { svc: InferenceService; first: InferencePlacement } {
  const fresh = chat();
  const first = decide(fresh, lab(), reads(fresh, { assignments: [], epoch: 0 } as unknown as InferencePlacement));
  expect(summary(first)).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
  return { svc: recorded(fresh, first), first };
}

describe('placeInferenceService while a site’s lease is expired', () => {
  it('adds replacement replicas elsewhere at once, keeping the silent site’s replicas planned', () => {
    const { svc, first } = placedChat();
    const d = decide(svc, lab((s) => (s.shanghai = expired(s.shanghai, 5_000))), reads(svc, first, { shanghai: timeout }));
    expect(d.changed).toBe(true);
    // minSites 2 without shanghai: the replacement opens guizhou (CPU fallback: no NVIDIA there).
    expect(summary(d)).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)', 'shanghai=1(gpu)']);
    expect(d.placement.message).toContain("1 replacement replica at guizhou while shanghai's lease is expired");
    expect(d.moves).toEqual([]);
    expect(d.replacements).toEqual({ expired: ['shanghai'], bySite: { guizhou: 1 } });
  });

  it('respects maxPerSite and minSites among the sites that still answer', () => {
    const { svc, first } = placedChat();
    const d = decide(svc, lab((s) => (s.beijing = expired(s.beijing, 5_000))), reads(svc, first, { beijing: timeout }));
    // beijing's 2 stay planned; shanghai takes one more (max 2 per site), guizhou the other (a second site).
    expect(summary(d)).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)', 'shanghai=2(gpu)']);
    expect(d.placement.message).toContain("2 replacement replicas at guizhou 1, shanghai 1 while beijing's lease is expired");
  });

  it('keeps the plan as it is on later passes within the grace', () => {
    const { svc, first } = placedChat();
    const sites = lab((s) => (s.shanghai = expired(s.shanghai, 5_000)));
    const d = decide(svc, sites, reads(svc, first, { shanghai: timeout }));
    const again = decide(recorded(svc, d), sites, reads(svc, d, { shanghai: timeout }), { replacements: d.replacements });
    expect(again.changed).toBe(false);
    expect(summary(again)).toEqual(summary(d));
    expect(again.replacements).toEqual(d.replacements);
  });

  it('keeps the plan as recorded after a restart (nothing remembered), and is at its replica count once the site is back', () => {
    const { svc, first } = placedChat();
    const sites = lab((s) => (s.shanghai = expired(s.shanghai, 5_000)));
    const d = decide(svc, sites, reads(svc, first, { shanghai: timeout }));
    const restarted = decide(recorded(svc, d), sites, reads(svc, d, { shanghai: timeout }));
    expect(restarted.changed).toBe(false);
    expect(summary(restarted)).toEqual(summary(d));
    const back = decide(recorded(svc, d), lab(), reads(svc, d));
    expect(back.assignments.reduce((n, a) => n + a.replicas, 0)).toBe(3);
    expect(back.sitesShort).toBe(0);
  });

  it('scales the replacements back when the site is Ready again within the grace', () => {
    const { svc, first } = placedChat();
    const d = decide(svc, lab((s) => (s.shanghai = expired(s.shanghai, 5_000))), reads(svc, first, { shanghai: timeout }));
    const back = decide(recorded(svc, d), lab(), reads(svc, d), { replacements: d.replacements });
    expect(summary(back)).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
    expect(back.scaledBack).toEqual([{ site: 'guizhou', replicas: 1 }]);
    expect(back.replacements).toBeUndefined();
  });

  it('keeps the replacements, and adds nothing, once the grace is over', () => {
    const { svc, first } = placedChat();
    const d = decide(svc, lab((s) => (s.shanghai = expired(s.shanghai, 5_000))), reads(svc, first, { shanghai: timeout }));
    const lost = decide(recorded(svc, d), lab((s) => (s.shanghai = expired(s.shanghai, GRACE + 1_000))), reads(svc, d, { shanghai: timeout }), {
      replacements: d.replacements,
    });
    expect(summary(lost)).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)']);
    expect(lost.moves).toMatchObject([{ site: 'shanghai', replicas: 1, reason: 'SiteLost' }]);
    expect(lost.scaledBack).toEqual([]);
  });

  it('does not add replacements for a cordoned site, nor for one the hub cannot reach while its agent reports', () => {
    const { svc, first } = placedChat();
    const cordoned = decide(svc, lab((s) => (s.shanghai = withReady(s.shanghai, 'False', 'Cordoned', at(NOW - 5_000)))), reads(svc, first));
    expect(summary(cordoned)).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
    const silent = decide(svc, lab(), reads(svc, first, { shanghai: timeout }), { unreachableSince: new Map([['shanghai', NOW - 5_000]]) });
    expect(summary(silent)).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
  });
});

describe('InferenceServiceReconciler while a site’s lease is expired', () => {
  async function placed(): Promise<InferenceWorld> {
    const w = new InferenceWorld(chat(), lab(), { nowMs: NOW, graceMs: GRACE });
    await w.pass();
    expect(w.running()).toEqual(['beijing=2', 'shanghai=1']);
    return w;
  }

  /** expire makes shanghai's lease expire now: its Site says so and its member port stops answering. */
  function expire(w: InferenceWorld): void {
    w.setSite(withReady(lab().find((s) => s.metadata.name === 'shanghai') as Site, 'Unknown', 'LeaseExpired', at(w.clock.now())));
    w.port('shanghai').reachable = false;
  }

  it('serves from replacements at once and scales them back when the site returns within the grace', async () => {
    const w = await placed();
    expire(w);
    w.clock.advance(1_000);
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)', 'shanghai=1(gpu)']);
    expect(w.running()).toEqual(['beijing=2', 'guizhou=1', 'shanghai=1']);
    expect(w.svc.status?.placement?.message).toContain("1 replacement replica at guizhou while shanghai's lease is expired");
    expect(w.port('shanghai').deletes).toEqual([]);
    const note = "1 replacement replica at guizhou while shanghai's lease is expired (its 1 replica stays planned until the grace ends)";
    expect(w.svc.status?.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'LeaseExpired', message: note });
    expect(w.events).toContain(`Warning ReplacementsPlaced: ${note}`);

    w.clock.advance(20_000);
    w.setSite(lab().find((s) => s.metadata.name === 'shanghai') as Site);
    w.port('shanghai').reachable = true;
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
    expect(w.running()).toEqual(['beijing=2', 'shanghai=1']);
    expect(w.events).toContain(
      "Normal ReplacementsScaledBack: scaling back 1 replacement replica at guizhou (placed while shanghai's lease was expired): the service is at its replica count again",
    );
    expect(w.svc.status?.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('keeps the replacements as the service’s replicas once the site is lost', async () => {
    const w = await placed();
    expire(w);
    w.clock.advance(1_000);
    await w.pass();
    w.clock.advance(GRACE);
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)']);
    expect(w.running()).toEqual(['beijing=2', 'guizhou=1', 'shanghai=1']); // shanghai cannot be told yet
  });
});
