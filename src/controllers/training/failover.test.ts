import type { V1Job, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Site, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { PushMemberPort } from '../../clusters/push-member-port.ts';
import type { SiteClient } from '../../clusters/site-clients.ts';
import { labSites } from '../../placement/testing.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { trainingJobKey, waitsForSite } from './controller.ts';
import { isStaleMember } from '../framework/fencing.ts';
import { judgeSite, sitesToFence } from './failover.ts';
import type { HubPatcher as TrainingJobPatcher } from '../framework/hub-writer.ts';
import { memberName } from '../framework/member-names.ts';
import { LABEL_OWNER_UID } from '../framework/member-labels.ts';
import { deleteMembers } from './site-members.ts';
import { TrainingJobReconciler } from './reconciler.ts';
import { makeTrainingJob, variant } from './testing.ts';
import { applyMergePatch } from '../../runtime/merge-patch.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const GRACE = 60_000;
const KEY = trainingJobKey('default', 'train');
const NAME = memberName('default', 'train');
const UID = 'uid-1';

const ago = (ms: number): string => new Date(NOW - ms).toISOString();

/** site is a lab site with its Ready condition set as given (`since` ms ago), or Ready when no status is given. */
function site(name: 'shanghai' | 'guizhou', ready?: { status: 'True' | 'False' | 'Unknown'; reason: string; sinceMs: number }): Site {
  const s = labSites()[name].obj();
  if (ready !== undefined) {
    s.status = { ...s.status, conditions: [{ type: 'Ready', status: ready.status, reason: ready.reason, message: '', lastTransitionTime: ago(ready.sinceMs) }] };
  }
  return s;
}

const unknownFor = (ms: number) => ({ status: 'Unknown' as const, reason: 'LeaseExpired', sinceMs: ms });

/** placedOnGuizhou is a running 1 × 8 job that can run on Ascend (guizhou) or H100 (shanghai), placed on guizhou. */
function placedOnGuizhou(o: { failovers?: number; max?: number } = {}): TrainingJob {
  const status: TrainingJobStatus = {
    phase: 'Running',
    site: 'guizhou',
    variant: 'ascend',
    placement: { epoch: 1 },
    attempts: [{ site: 'guizhou', variant: 'ascend', epoch: 1, startTime: ago(600_000), outcome: 'Running' }],
    conditions: [{ type: 'Placed', status: 'True', reason: 'SiteSelected', message: 'placed on guizhou', lastTransitionTime: ago(600_000) }],
    ...(o.failovers !== undefined && { failovers: o.failovers }),
  };
  return makeTrainingJob('train')
    .resources('16', '64Gi')
    .variant(variant('h100').nvidia('H100', 8))
    .variant(variant('ascend').huawei('Ascend910B', 8))
    .checkpoint('s3://ckpt/train/')
    .status(status)
    .edit((tj) => {
      tj.metadata.uid = UID;
      tj.metadata.resourceVersion = '1';
      tj.metadata.finalizers = [FINALIZER_CLEANUP];
      if (o.max !== undefined) tj.spec.failurePolicy = { maxSiteFailovers: o.max };
    })
    .obj();
}

function labels(epoch: number, uid = UID): Record<string, string> {
  return { [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: String(epoch), [LABEL_OWNER_UID]: uid };
}

function notFound(): Error {
  return Object.assign(new Error('HTTP-Code: 404'), { code: 404, body: JSON.stringify({ kind: 'Status', reason: 'NotFound', code: 404 }) });
}

/** FakeSite is a site's apiserver holding member Jobs and Services by name, answering the calls the controller makes. */
class FakeSite {
  readonly jobs = new Map<string, V1Job>();
  readonly services = new Map<string, V1Service>();
  /** Every Job delete, as `name:propagationPolicy`. */
  readonly jobDeletes: string[] = [];
  reachable = true;

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  hold(epoch: number, uid = UID): this {
    this.jobs.set(NAME, { metadata: { name: NAME, namespace: 'default', labels: labels(epoch, uid) }, status: { active: 1, ready: 1 } });
    this.services.set(NAME, { metadata: { name: NAME, namespace: 'default', labels: labels(epoch, uid) } });
    return this;
  }

  /** port is the site's push member port, over a fake of its apiserver. */
  port(): PushMemberPort {
    return new PushMemberPort(this.client());
  }

  client(): SiteClient {
    const get = <T>(m: Map<string, T>, name: string): Promise<T> => {
      const v = m.get(name);
      return v === undefined ? Promise.reject(notFound()) : Promise.resolve(structuredClone(v));
    };
    const del = <T>(m: Map<string, T>, name: string): Promise<unknown> => (m.delete(name) ? Promise.resolve({}) : Promise.reject(notFound()));
    const apis = {
      batch: {
        readNamespacedJob: (p: { name: string }) => get(this.jobs, p.name),
        deleteNamespacedJob: (p: { name: string; propagationPolicy?: string }) => {
          this.jobDeletes.push(`${p.name}:${p.propagationPolicy ?? 'default'}`);
          return del(this.jobs, p.name);
        },
      },
      core: {
        readNamespacedService: (p: { name: string }) => get(this.services, p.name),
        deleteNamespacedService: (p: { name: string }) => del(this.services, p.name),
        readNamespace: async () => ({}),
        createNamespace: async () => ({}),
      },
      objects: {
        patch: async (obj: V1Job | V1Service & { kind?: string }) => {
          const m = (obj as { kind?: string }).kind === 'Job' ? this.jobs : this.services;
          m.set(obj.metadata?.name ?? '', structuredClone(obj) as V1Job & V1Service);
          return structuredClone(obj);
        },
      },
    };
    return {
      site: this.name,
      call: async (_what: string, fn: (a: typeof apis) => Promise<unknown>) => {
        if (!this.reachable) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return fn(apis);
      },
    } as unknown as SiteClient;
  }
}

/** World is a hub holding one TrainingJob, the Sites and their apiservers, and a reconciler over them. */
class World {
  tj: TrainingJob;
  sites: Site[];
  readonly at: Record<string, FakeSite> = { shanghai: new FakeSite('shanghai'), guizhou: new FakeSite('guizhou') };
  readonly clock = new FakeClock(NOW);
  readonly events: string[] = [];
  /** statusWrites counts the status patches sent to the hub. */
  statusWrites = 0;
  /** agentFences records what was asked of site agents: `site:namespace/name@epoch`. */
  readonly agentFences: string[] = [];
  readonly reconciler: TrainingJobReconciler;

  constructor(tj: TrainingJob, sites: Site[]) {
    this.tj = tj;
    this.sites = sites;
    const write = async (p: { body: Record<string, unknown> }): Promise<unknown> => {
      const { metadata, ...rest } = p.body as { metadata?: Record<string, unknown> };
      const { resourceVersion: _rv, ...meta } = metadata ?? {};
      const next = applyMergePatch(this.tj, { ...rest, metadata: meta }) as TrainingJob;
      next.metadata.resourceVersion = String(Number(this.tj.metadata.resourceVersion ?? '0') + 1);
      this.tj = next;
      return structuredClone(next);
    };
    const writeStatus = (p: { body: Record<string, unknown> }): Promise<unknown> => {
      this.statusWrites++;
      return write(p);
    };
    const hub = { patchNamespacedCustomObject: write, patchNamespacedCustomObjectStatus: writeStatus } as unknown as TrainingJobPatcher;
    this.reconciler = new TrainingJobReconciler({
      hub,
      trainingJobs: () => structuredClone(this.tj),
      sites: () => this.sites,
      sitePorts: { forSite: (s) => (this.at[s.metadata.name ?? ''] as FakeSite).port() },
      clock: this.clock,
      logger: pino({ level: 'silent' }),
      events: { record: (_s, _t, reason, message) => this.events.push(`${reason}: ${message}`), forget: () => {} },
      siteLostGraceMs: GRACE,
      fenceThroughAgent: (site, w) => this.agentFences.push(`${site}:${w.namespace}/${w.name}@${w.epoch}`),
      // Every FakeSite is watched and synced: what the member informers would hold.
      findMemberJobs: (namespace, name) =>
        Object.values(this.at).map((fake) => ({
          site: fake.name,
          synced: true,
          members: [...fake.jobs.values()].filter((j) => j.metadata?.labels?.[LABEL_NAMESPACE] === namespace && j.metadata.labels[LABEL_WORKLOAD] === name),
        })),
    });
  }
}

describe('judgeSite', () => {
  const tj = placedOnGuizhou();
  it.each([
    { what: 'Ready', site: site('guizhou'), wantKind: 'Stay' },
    { what: 'cordoned for an hour', site: site('guizhou', { status: 'False', reason: 'Cordoned', sinceMs: 3_600_000 }), wantKind: 'Stay' },
    { what: 'Unknown within the grace', site: site('guizhou', unknownFor(GRACE - 1000)), wantKind: 'Wait' },
    { what: 'Unknown beyond the grace', site: site('guizhou', unknownFor(GRACE + 1000)), wantKind: 'FailOver' },
    { what: 'False (apiserver unreachable) beyond the grace', site: site('guizhou', { status: 'False', reason: 'ApiServerUnreachable', sinceMs: GRACE }), wantKind: 'FailOver' },
    { what: 'removed from the federation', site: undefined, wantKind: 'FailOver' },
  ])('$what: $wantKind', ({ site: s, wantKind }) => {
    expect(judgeSite(tj, 'guizhou', s, GRACE, NOW).kind).toBe(wantKind);
  });

  it('says when to look again within the grace', () => {
    expect(judgeSite(tj, 'guizhou', site('guizhou', unknownFor(45_000)), GRACE, NOW)).toEqual({ kind: 'Wait', recheckInMs: 15_000 });
  });

  it.each([
    { failovers: 0, max: undefined, want: 'FailOver' },
    { failovers: 1, max: undefined, want: 'FailOver' },
    { failovers: 2, max: undefined, want: 'GiveUp' },
    { failovers: 0, max: 0, want: 'GiveUp' },
  ])('after $failovers failovers with maxSiteFailovers $max: $want', ({ failovers, max, want }) => {
    const j = placedOnGuizhou({ failovers, ...(max !== undefined && { max }) });
    expect(judgeSite(j, 'guizhou', site('guizhou', unknownFor(GRACE)), GRACE, NOW).kind).toBe(want);
  });
});

describe('isStaleMember', () => {
  it.each([
    { what: 'the current epoch', labels: labels(2), want: false },
    { what: 'an older epoch', labels: labels(1), want: true },
    { what: 'a newer epoch (hub cache behind)', labels: labels(3), want: false },
    { what: 'the current epoch of another uid', labels: labels(2, 'uid-0'), want: true },
    { what: 'no uid label (made before it existed)', labels: { [LABEL_EPOCH]: '2' }, want: false },
    { what: 'no epoch label', labels: {}, want: true },
  ])('$what: $want', ({ labels: l, want }) => {
    expect(isStaleMember({ metadata: { labels: l } }, 2, UID)).toBe(want);
  });
});

describe('sitesToFence', () => {
  const lostTwice = (): TrainingJob => {
    const tj = placedOnGuizhou();
    tj.status = {
      ...tj.status,
      site: 'beijing',
      placement: { epoch: 3 },
      attempts: [
        { site: 'guizhou', variant: 'v', startTime: ago(0), epoch: 1, outcome: 'SiteLost' },
        { site: 'shanghai', variant: 'v', startTime: ago(0), epoch: 2, outcome: 'Suspended' },
        { site: 'beijing', variant: 'v', startTime: ago(0), epoch: 3, outcome: 'Running' },
      ],
    };
    return tj;
  };
  it('lists the sites an attempt was lost at, other than the current one, until known clean', () => {
    expect(sitesToFence(lostTwice(), undefined)).toEqual([{ site: 'guizhou', lostEpoch: 1 }]);
    expect(sitesToFence(lostTwice(), new Map([['guizhou', 1]]))).toEqual([]);
    expect(sitesToFence(placedOnGuizhou(), undefined)).toEqual([]);
  });
  it('wakes the job when a site it was lost at changes', () => {
    expect(waitsForSite(lostTwice(), 'guizhou')).toBe(true);
    expect(waitsForSite(lostTwice(), 'shanghai')).toBe(false);
  });
});

describe('TrainingJobReconciler failover', () => {
  it('keeps the job on a site that is not Ready within the grace, and looks again when the grace runs out', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(50_000))]);
    w.at.guizhou?.hold(1);
    const result = await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('guizhou');
    expect(w.tj.status?.placement?.epoch).toBe(1);
    expect(w.at.guizhou?.jobs.has(NAME)).toBe(true);
    expect(result.requeueAfter).toBeLessThanOrEqual(10_000);
  });

  it('keeps the job on a cordoned site, however long', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', { status: 'False', reason: 'Cordoned', sinceMs: 3_600_000 })]);
    w.at.guizhou?.hold(1);
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('guizhou');
    expect(w.tj.status?.attempts?.map((a) => a.outcome)).toEqual(['Running']);
  });

  it('does not fail over when a site within the grace does not answer', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(55_000))]);
    w.at.guizhou?.hold(1);
    if (w.at.guizhou !== undefined) w.at.guizhou.reachable = false;
    const result = await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('guizhou');
    expect(result).toEqual({ requeueAfter: 5000 });
  });

  it('fails over beyond the grace: attempt closed SiteLost, new epoch elsewhere, old copy deleted first, resumed', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(50_000))]);
    w.at.guizhou?.hold(1);
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('guizhou');
    w.clock.advance(10_000); // 60 s not Ready: the grace is over
    await w.reconciler.reconcile(KEY);
    const s = w.tj.status;
    expect(s?.site).toBe('shanghai');
    expect(s?.variant).toBe('h100');
    expect(s?.placement?.epoch).toBe(2);
    expect(s?.failovers).toBe(1);
    expect(s?.attempts?.map((a) => [a.site, a.epoch, a.outcome])).toEqual([
      ['guizhou', 1, 'SiteLost'],
      ['shanghai', 2, 'Running'],
    ]);
    expect(s?.attempts?.[0]?.message).toMatch(/not Ready \(LeaseExpired\) for 60s/);
    expect(w.at.guizhou?.jobs.size).toBe(0); // its apiserver answered: the old copy is gone
    expect(w.at.guizhou?.services.size).toBe(0);
    const job = w.at.shanghai?.jobs.get(NAME);
    expect(job?.metadata?.labels).toMatchObject({ [LABEL_EPOCH]: '2', [LABEL_OWNER_UID]: UID });
    expect(JSON.stringify(job?.spec?.template.spec?.containers[0]?.env ?? [])).toMatch(/s3:\/\/ckpt\/train\//);
    expect(w.events.some((e) => e.startsWith('FailingOver: site guizhou not Ready'))).toBe(true);
  });

  it('fences a lost site that was unreachable once it answers again', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    w.at.guizhou?.hold(1);
    if (w.at.guizhou !== undefined) w.at.guizhou.reachable = false;
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('shanghai');
    expect(w.at.guizhou?.jobs.has(NAME)).toBe(true); // could not be reached
    // Back: Ready again and answering. The old copy goes, the current one stays.
    if (w.at.guizhou !== undefined) w.at.guizhou.reachable = true;
    w.sites = [site('shanghai'), site('guizhou')];
    await w.reconciler.reconcile(KEY);
    expect(w.at.guizhou?.jobs.size).toBe(0);
    expect(w.at.shanghai?.jobs.get(NAME)?.metadata?.labels?.[LABEL_EPOCH]).toBe('2');
    expect(w.events.some((e) => e.startsWith('Fenced:'))).toBe(true);
  });

  it('deletes a member Job left by an earlier TrainingJob of the same name instead of adopting it', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou')]);
    w.at.guizhou?.hold(1, 'uid-0');
    await w.reconciler.reconcile(KEY);
    expect(w.at.guizhou?.jobs.has(NAME)).toBe(false);
    expect(w.tj.status?.phase).toBe('Running'); // nothing mirrored from the foreign Job
  });

  it('fails the job with FailoverLimitExceeded when it may fail over no more', async () => {
    const w = new World(placedOnGuizhou({ failovers: 1, max: 1 }), [site('shanghai'), site('guizhou', unknownFor(GRACE + 1))]);
    w.at.guizhou?.hold(1);
    const result = await w.reconciler.reconcile(KEY);
    expect(result).toEqual({});
    const s = w.tj.status;
    expect(s?.phase).toBe('Failed');
    expect(s?.site).toBeUndefined();
    expect(s?.attempts?.map((a) => a.outcome)).toEqual(['SiteLost']);
    expect(s?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'FailoverLimitExceeded' });
    expect(w.at.shanghai?.jobs.size).toBe(0);
    expect(w.at.guizhou?.jobs.size).toBe(0);
    expect(w.events.some((e) => e.startsWith('FailoverLimitExceeded:'))).toBe(true);
  });

  it('on delete, cleans every reachable site that held members and gives up on one lost beyond the grace', async () => {
    const tj = placedOnGuizhou();
    tj.metadata.deletionTimestamp = ago(0);
    tj.status = {
      ...tj.status,
      site: 'shanghai',
      attempts: [
        { site: 'guizhou', variant: 'v', startTime: ago(0), epoch: 1, outcome: 'SiteLost' },
        { site: 'shanghai', variant: 'v', startTime: ago(0), epoch: 2, outcome: 'Running' },
      ],
    };
    const lostLong = new World(structuredClone(tj), [site('shanghai'), site('guizhou', unknownFor(GRACE + 1))]);
    lostLong.at.shanghai?.hold(2);
    if (lostLong.at.guizhou !== undefined) lostLong.at.guizhou.reachable = false;
    await lostLong.reconciler.reconcile(KEY);
    expect(lostLong.at.shanghai?.jobs.size).toBe(0);
    expect(lostLong.tj.metadata.finalizers ?? []).toEqual([]);

    const withinGrace = new World(structuredClone(tj), [site('shanghai'), site('guizhou', unknownFor(10_000))]);
    if (withinGrace.at.guizhou !== undefined) withinGrace.at.guizhou.reachable = false;
    await expect(withinGrace.reconciler.reconcile(KEY)).rejects.toThrow(/ECONNREFUSED/);
    expect(withinGrace.tj.metadata.finalizers).toEqual([FINALIZER_CLEANUP]);
  });
});

describe('deleteMembers', () => {
  it('deletes only member objects carrying this workload’s labels', async () => {
    const site = new FakeSite('shanghai').hold(1);
    const foreign = { metadata: { name: NAME, namespace: 'default', labels: { app: 'someone-else' } } };
    site.services.set(NAME, foreign);
    expect(await deleteMembers(site.port(), 'default', NAME, 'train')).toBe(true);
    expect(site.jobs.has(NAME)).toBe(false);
    expect(site.services.get(NAME)).toEqual(foreign);
  });

  it('says not yet when its own Job is still there after the delete (held by a finalizer)', async () => {
    const site = new FakeSite('shanghai').hold(1);
    site.jobs.delete = () => true; // the apiserver accepts the delete; the object stays until its finalizer goes
    expect(await deleteMembers(site.port(), 'default', NAME, 'train')).toBe(false);
  });
});

describe('TrainingJobReconciler passes', () => {
  it('writes status at most once per pass: a failover records the lost attempt and the new placement together', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    w.at.guizhou?.hold(1);
    await w.reconciler.reconcile(KEY);
    expect(w.statusWrites).toBe(1);
    expect(w.tj.status?.attempts?.map((a) => [a.site, a.outcome])).toEqual([
      ['guizhou', 'SiteLost'],
      ['shanghai', 'Running'],
    ]);
    expect(w.at.shanghai?.jobs.has(NAME)).toBe(true); // created in the same pass, after the write
    // The next pass mirrors the member Job: one more write, and only one.
    await w.reconciler.reconcile(KEY);
    expect(w.statusWrites).toBe(2);
    await w.reconciler.reconcile(KEY);
    expect(w.statusWrites).toBe(2); // nothing changed: nothing written
  });

  it('records the whole decision, pool included, and renders it again after a restart that lost the members', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    w.at.guizhou?.hold(1);
    await w.reconciler.reconcile(KEY);
    const s = w.tj.status;
    expect(s?.pool).toBeDefined();
    expect(s?.attempts?.at(-1)?.pool).toBe(s?.pool);
    const selector = w.at.shanghai?.jobs.get(NAME)?.spec?.template.spec?.nodeSelector;
    expect(selector?.['suanwang.io/pool']).toBe(s?.pool);
    // An operator that stopped between the write and the create: a fresh reconciler finds only the status.
    w.at.shanghai?.jobs.clear();
    w.at.shanghai?.services.clear();
    const fresh = new World(w.tj, w.sites);
    await fresh.reconciler.reconcile(KEY);
    expect(fresh.at.shanghai?.jobs.get(NAME)?.spec?.template.spec?.nodeSelector?.['suanwang.io/pool']).toBe(s?.pool);
    expect(fresh.at.shanghai?.jobs.get(NAME)?.spec?.template.spec?.containers[0]?.resources?.limits).toHaveProperty(s?.acceleratorResource ?? 'nvidia.com/gpu');
    expect(fresh.statusWrites).toBe(1); // the created Job mirrored: the pass's one write
  });
});

describe('TrainingJobReconciler after a lost status', () => {
  /** runningOnShanghai is the job running at shanghai in epoch 3, as the sites see it, with its status gone. */
  function wiped(): World {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou')]);
    w.at.shanghai?.hold(3);
    const job = w.at.shanghai?.jobs.get(NAME);
    if (job?.metadata?.labels !== undefined) Object.assign(job.metadata.labels, { 'suanwang.io/variant': 'h100', 'suanwang.io/site': 'shanghai' });
    if (job !== undefined) job.spec = { template: { spec: { nodeSelector: { 'suanwang.io/pool': 'h100' }, containers: [{ name: 'worker', resources: { limits: { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '8' } } }] } } };
    const { status: _gone, ...rest } = w.tj;
    w.tj = rest as TrainingJob; // the status subresource wiped (or restored from a backup without it)
    return w;
  }

  it('adopts the newest running member instead of placing a second copy, and never lets the epoch go back', async () => {
    const w = wiped();
    await w.reconciler.reconcile(KEY);
    const all = [...(w.at.shanghai?.jobs.values() ?? []), ...(w.at.guizhou?.jobs.values() ?? [])];
    expect(all).toHaveLength(1);
    expect(w.tj.status).toMatchObject({ site: 'shanghai', variant: 'h100', pool: 'h100', placement: { epoch: 3 } });
    await w.reconciler.reconcile(KEY); // the next pass mirrors the adopted Job: the job leaves Placed
    expect(w.tj.status?.phase).toBe('Running');
    expect(w.at.shanghai?.jobs.get(NAME)?.metadata?.labels?.[LABEL_EPOCH]).toBe('3');
  });

  it('fences members it cannot adopt and places above their epoch', async () => {
    const w = wiped();
    const job = w.at.shanghai?.jobs.get(NAME);
    if (job?.metadata?.labels !== undefined) delete job.metadata.labels['suanwang.io/variant']; // made before the label
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.placement?.epoch).toBe(3);
    expect(w.at.shanghai?.jobs.size).toBe(0); // fenced
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.placement?.epoch).toBe(4);
    const all = [...(w.at.shanghai?.jobs.values() ?? []), ...(w.at.guizhou?.jobs.values() ?? [])];
    expect(all.map((j) => j.metadata?.labels?.[LABEL_EPOCH])).toEqual(['4']);
  });

  it('fences a copy left by an earlier TrainingJob of the same name before placing', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou')]);
    w.at.shanghai?.hold(7, 'uid-of-an-earlier-job');
    const { status: _none, ...fresh } = w.tj;
    w.tj = fresh as TrainingJob;
    await w.reconciler.reconcile(KEY);
    const all = [...(w.at.shanghai?.jobs.values() ?? []), ...(w.at.guizhou?.jobs.values() ?? [])];
    expect(all.map((j) => j.metadata?.labels?.[LABEL_OWNER_UID])).toEqual([UID]);
  });

  it('waits while a Ready site’s member informer has not listed yet', async () => {
    const w = wiped();
    const r = new TrainingJobReconciler({
      hub: { patchNamespacedCustomObject: async () => w.tj, patchNamespacedCustomObjectStatus: async () => w.tj } as unknown as TrainingJobPatcher,
      trainingJobs: () => structuredClone(w.tj),
      sites: () => w.sites,
      sitePorts: { forSite: (s) => (w.at[s.metadata.name ?? ''] as FakeSite).port() },
      clock: w.clock,
      logger: pino({ level: 'silent' }),
      findMemberJobs: () => [{ site: 'shanghai', synced: false, members: [] }],
    });
    expect(await r.reconcile(KEY)).toEqual({ requeueAfter: 1000 });
    expect(w.at.guizhou?.jobs.size).toBe(0);
  });
});

describe('TrainingJobReconciler and a Ready site the hub cannot reach', () => {
  it('says so on the job, releases the promise, and re-places after the grace', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou')]);
    w.at.guizhou?.hold(1);
    if (w.at.guizhou !== undefined) w.at.guizhou.reachable = false; // credentials revoked: the Site itself stays Ready
    const first = await w.reconciler.reconcile(KEY);
    const placed = w.tj.status?.conditions?.find((c) => c.type === 'Placed');
    expect(placed).toMatchObject({ status: 'False', reason: 'SiteUnreachable' });
    expect(placed?.message).toMatch(/guizhou/);
    expect(placed?.message).toMatch(/ECONNREFUSED/);
    expect(first.requeueAfter).toBeLessThanOrEqual(GRACE);
    expect(w.tj.status?.site).toBe('guizhou'); // within the grace it stays
    w.clock.advance(GRACE);
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('shanghai');
    expect(w.tj.status?.attempts?.map((a) => [a.site, a.outcome])).toEqual([
      ['guizhou', 'SiteLost'],
      ['shanghai', 'Running'],
    ]);
    expect(w.at.shanghai?.jobs.has(NAME)).toBe(true);
  });
});

describe('member deletion', () => {
  it('deletes member Jobs in the foreground, so the Job stays visible until its pods are gone', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    w.at.guizhou?.hold(1);
    await w.reconciler.reconcile(KEY); // fails over: the old copy at guizhou is fenced
    expect(w.at.guizhou?.jobDeletes).toEqual([`${NAME}:Foreground`]);
  });
});

describe('fencing through the site agent', () => {
  it('asks the lost site\'s agent to fence when the operator cannot reach its apiserver, and not when it can', async () => {
    const w = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    w.at.guizhou?.hold(1);
    if (w.at.guizhou !== undefined) w.at.guizhou.reachable = false;
    await w.reconciler.reconcile(KEY);
    expect(w.tj.status?.site).toBe('shanghai');
    expect(w.agentFences).toEqual(['guizhou:default/train@2']);

    const reachable = new World(placedOnGuizhou(), [site('shanghai'), site('guizhou', unknownFor(GRACE))]);
    reachable.at.guizhou?.hold(1);
    await reachable.reconciler.reconcile(KEY);
    expect(reachable.agentFences).toEqual([]);
  });
});
