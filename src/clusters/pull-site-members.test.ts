import type { KubernetesObject, V1Job, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_OWNER_UID, LABEL_WORKLOAD, NODE_CONDITION_ACCELERATORS } from '../api/names.ts';
import { FakeClock } from '../runtime/clock.ts';
import { ApiError } from '../runtime/errors.ts';
import { desiredMemberOf } from './pull-desired-member.ts';
import type { MemberReport, MemberSync, ReportedKey, ReportedMember } from './pull-member-messages.ts';
import { PullSiteMembers } from './pull-site-members.ts';
import { isSiteNotReporting } from './pull-site-not-reporting.ts';
import { memberKeyOf, type SiteMemberPort } from './site-member-port.ts';

const SITE = 'shanghai';
const REFUSAL = { reason: 'ImageNotAllowed', message: 'image evil:1 is not on the site allow-list' };

/** job renders a member Job of workload `workload` (namespace team-a), the way the controllers would. */
function job(workload: string, opts: { epoch?: number; image?: string; namespace?: string } = {}): V1Job {
  const namespace = opts.namespace ?? 'team-a';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${workload}-${opts.epoch ?? 1}`,
      namespace,
      labels: { [LABEL_WORKLOAD]: workload, [LABEL_NAMESPACE]: namespace, [LABEL_EPOCH]: String(opts.epoch ?? 1), [LABEL_OWNER_UID]: `uid-${workload}` },
    },
    spec: { template: { spec: { containers: [{ name: 'worker', image: opts.image ?? 'trainer:1' }], restartPolicy: 'Never' } } },
  };
}

function service(workload: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: workload, namespace: 'team-a', labels: { [LABEL_WORKLOAD]: workload, [LABEL_NAMESPACE]: 'team-a' } },
    spec: { clusterIP: 'None' },
  };
}

/** asHeld is `obj` as the site's apiserver holds it after applying it: with server metadata and a status. */
function asHeld<T extends KubernetesObject>(obj: T, extra: { status?: unknown; deleting?: boolean } = {}): T {
  const held = structuredClone(obj) as T & { status?: unknown };
  held.metadata = { ...held.metadata, uid: `site-${held.metadata?.name}`, resourceVersion: '7', ...(extra.deleting === true && { deletionTimestamp: new Date(0) }) };
  if (extra.status !== undefined) held.status = extra.status;
  return held;
}

/** applied is the agent's state for `obj` applied as the operator sent it. */
function applied(obj: KubernetesObject, extra: { status?: unknown; deleting?: boolean } = {}): ReportedMember {
  return { key: memberKeyOf(obj), object: asHeld(obj, extra), appliedHash: desiredMemberOf(obj).hash };
}

/** observedPod is a worker pod of workload `a` as the agent reports it; unbound when `node` is undefined. */
function observedPod(name: string, node: string | undefined, opts: { namespace?: string } = {}): ReportedMember {
  const namespace = opts.namespace ?? 'team-a';
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { [LABEL_WORKLOAD]: 'a', [LABEL_NAMESPACE]: namespace, [LABEL_EPOCH]: '1' } },
    spec: { containers: [], ...(node !== undefined && { nodeName: node }) },
    status: { phase: node === undefined ? 'Pending' : 'Running' },
  };
  return { key: { kind: 'Pod', namespace, name }, object: pod };
}

/** observedNode is a Node as the agent reports it: its name and AcceleratorHealthy. */
function observedNode(name: string, healthy: 'True' | 'False'): ReportedMember {
  const node: V1Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [{ type: NODE_CONDITION_ACCELERATORS, status: healthy, ...(healthy === 'False' && { message: 'XID 79' }) }] },
  };
  return { key: { kind: 'Node', namespace: '', name }, object: node };
}

function full(...states: ReportedMember[]): MemberReport {
  return { full: true, states, gone: [] };
}

function changed(states: ReportedMember[], gone: ReportedKey[] = []): MemberReport {
  return { full: false, states, gone };
}

/** Harness is a store whose fake session records what was sent and can be cut. */
class Harness {
  readonly clock = new FakeClock(1_000);
  readonly sent: MemberSync[] = [];
  connected = true;
  readonly members = new PullSiteMembers({
    clock: this.clock,
    send: (site, sync) => {
      expect(site).toBe(SITE);
      if (!this.connected) return false;
      this.sent.push(structuredClone(sync));
      return true;
    },
  });
  readonly port: SiteMemberPort = this.members.port(SITE);

  /** connected opens the session (the store's first sync is full) and forgets what it sent. */
  static connected(): Harness {
    const h = new Harness();
    h.members.sessionOpened(SITE);
    h.members.report(SITE, full());
    h.sent.length = 0;
    return h;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('PullSiteMembers: apply', () => {
  it('sends a member once however often the same content is applied', async () => {
    const h = Harness.connected();
    await h.port.apply(job('a'));
    await h.port.apply(job('a'));
    expect(h.sent).toEqual([{ full: false, apply: [desiredMemberOf(job('a'))], remove: [] }]);
  });

  it('sends changed content again, under its new hash', async () => {
    const h = Harness.connected();
    await h.port.apply(job('a'));
    await h.port.apply(job('a', { image: 'trainer:2' }));
    expect(h.sent.map((s) => s.apply.map((m) => m.hash))).toEqual([[desiredMemberOf(job('a')).hash], [desiredMemberOf(job('a', { image: 'trainer:2' })).hash]]);
    expect(h.members.stats(SITE).desired).toBe(1);
  });

  it('returns the desired object until the agent reports this content applied, then the site copy with its status', async () => {
    const h = Harness.connected();
    const status = { active: 2 };
    const first = await h.port.apply({ ...job('a'), status: { active: 9 } } as V1Job);
    expect(first).toEqual(job('a'));
    h.members.report(SITE, changed([applied(job('a'), { status })]));
    expect(await h.port.apply(job('a'))).toEqual(asHeld(job('a'), { status }));
    // New content: the site's copy is of the old one, so it is not what apply returns.
    expect(await h.port.apply(job('a', { image: 'trainer:2' }))).toEqual(job('a', { image: 'trainer:2' }));
  });

  it('reads and lists an applied member before the agent reports it, as a push-mode read after an apply would', async () => {
    // Without this a workload read "no Job" right after creating it, took the member as vanished and placed it again:
    // in the member-latency benchmark every pull job went through epochs 1 to 9 in 0.6 s.
    const h = Harness.connected();
    await h.port.apply(job('a'));
    expect(await h.port.read({ kind: 'Job', namespace: 'team-a', name: 'a-1' })).toEqual(job('a'));
    expect((await h.port.list('Job', 'team-a', `${LABEL_WORKLOAD}=a`)).map((o) => o.metadata?.name)).toEqual(['a-1']);
    // Refused: nothing to read, and refusal() says why.
    h.members.report(SITE, changed([{ key: { kind: 'Job', namespace: 'team-a', name: 'a-1' }, refusal: REFUSAL }]));
    expect(await h.port.read({ kind: 'Job', namespace: 'team-a', name: 'a-1' })).toBeUndefined();
    expect(await h.port.list('Job', 'team-a', `${LABEL_WORKLOAD}=a`)).toEqual([]);
  });

  it('hands out copies: changing a returned object changes nothing held', async () => {
    const h = Harness.connected();
    h.members.report(SITE, changed([applied(job('a'))]));
    const read = await h.port.read<V1Job>(memberKeyOf(job('a')));
    read!.metadata!.labels![LABEL_EPOCH] = '99';
    expect((await h.port.read<V1Job>(memberKeyOf(job('a'))))?.metadata?.labels?.[LABEL_EPOCH]).toBe('1');
  });
});

describe('PullSiteMembers: delete', () => {
  it('sends one remove, and the object stays readable, marked deleted, until the agent reports it gone', async () => {
    const h = Harness.connected();
    const key = memberKeyOf(job('a'));
    await h.port.apply(job('a'));
    h.members.report(SITE, changed([applied(job('a'))]));
    h.sent.length = 0;

    await h.port.delete(key);
    await h.port.delete(key);
    expect(h.sent).toEqual([{ full: false, apply: [], remove: [key] }]);
    expect(await h.port.read(key)).toEqual(asHeld(job('a')));

    h.members.report(SITE, changed([applied(job('a'), { deleting: true })]));
    expect((await h.port.read(key))?.metadata?.deletionTimestamp).toEqual(new Date(0));
    expect(await h.port.list('Job', 'team-a', `${LABEL_WORKLOAD}=a`)).toHaveLength(1);
    expect(h.members.stats(SITE)).toMatchObject({ desired: 0, reported: 1, removing: 1 });

    h.members.report(SITE, changed([], [key]));
    expect(await h.port.read(key)).toBeUndefined();
    expect(await h.port.list('Job', 'team-a', `${LABEL_WORKLOAD}=a`)).toEqual([]);
    expect(h.members.stats(SITE)).toMatchObject({ reported: 0, removing: 0 });
  });

  it('sends a member deleted and applied again as new, and drops its pending remove', async () => {
    const h = Harness.connected();
    await h.port.apply(job('a'));
    await h.port.delete(memberKeyOf(job('a')));
    await h.port.apply(job('a'));
    expect(h.sent.map((s) => [s.apply.length, s.remove.length])).toEqual([[1, 0], [0, 1], [1, 0]]);
    expect(h.members.stats(SITE).removing).toBe(0);
  });
});

describe('PullSiteMembers: sessions', () => {
  it('keeps changes made without a session and sends them all as one full sync when the session opens', async () => {
    const h = Harness.connected();
    await h.port.apply(job('old'));
    h.connected = false;
    await h.port.apply(job('a')); // finds no session
    await h.port.apply(service('a')); // not tried: a full sync is owed
    await h.port.delete(memberKeyOf(job('old')));
    expect(h.members.stats(SITE).fullSyncPending).toBe(true);
    expect(h.sent).toHaveLength(1);

    h.connected = true;
    h.members.sessionOpened(SITE);
    expect(h.sent[1]).toEqual({ full: true, apply: [desiredMemberOf(job('a')), desiredMemberOf(service('a'))], remove: [memberKeyOf(job('old'))] });

    await h.port.apply(job('b')); // incremental again
    expect(h.sent[2]).toEqual({ full: false, apply: [desiredMemberOf(job('b'))], remove: [] });
    expect(h.members.stats(SITE).fullSyncPending).toBe(false);
  });

  it('sends nothing before the first session, then everything in full', async () => {
    const h = new Harness();
    await h.port.apply(job('a'));
    expect(h.sent).toEqual([]);
    h.members.sessionOpened(SITE);
    expect(h.sent).toEqual([{ full: true, apply: [desiredMemberOf(job('a'))], remove: [] }]);
  });

  it('repeats a remove in every full sync until the agent reports the member gone', async () => {
    const h = Harness.connected();
    const key = memberKeyOf(job('a'));
    h.members.report(SITE, full(applied(job('a'))));
    await h.port.delete(key);
    h.members.sessionOpened(SITE); // the remove may have been lost with the old session
    expect(h.sent.at(-1)).toEqual({ full: true, apply: [], remove: [key] });
    h.members.report(SITE, full());
    h.members.sessionOpened(SITE);
    expect(h.sent.at(-1)).toEqual({ full: true, apply: [], remove: [] });
  });

  it('tries the full sync again at the next session when the first one finds the session gone', async () => {
    const h = new Harness();
    await h.port.apply(job('a'));
    h.connected = false;
    h.members.sessionOpened(SITE);
    expect(h.members.stats(SITE).fullSyncPending).toBe(true);
    h.connected = true;
    h.members.sessionOpened(SITE);
    expect(h.sent).toEqual([{ full: true, apply: [desiredMemberOf(job('a'))], remove: [] }]);
  });
});

describe('PullSiteMembers: reports', () => {
  it('refuses reads before the first full report, naming the site, and serves the last report after', async () => {
    const h = new Harness();
    for (const read of [h.port.read(memberKeyOf(job('a'))), h.port.list('Job', 'team-a', '')]) {
      const err = await rejection(read);
      expect(err).toBeInstanceOf(ApiError);
      expect(isSiteNotReporting(err)).toBe(true);
      expect((err as ApiError).code).toBe('Unavailable');
      expect((err as ApiError).message).toContain(SITE);
    }
    h.members.report(SITE, changed([applied(job('a'))])); // incremental: says nothing of what else the site holds
    expect(isSiteNotReporting(await rejection(h.port.list('Job', 'team-a', '')))).toBe(true);

    h.members.report(SITE, full(applied(job('a'))));
    expect(await h.port.read(memberKeyOf(job('a')))).toEqual(asHeld(job('a')));
    h.connected = false; // the session ends: reads keep the last word
    expect(await h.port.list('Job', 'team-a', '')).toHaveLength(1);
    expect(h.members.stats(SITE)).toMatchObject({ reporting: true, lastReportAt: 1_000 });
  });

  it('replaces everything known of the site with a full report', async () => {
    const h = Harness.connected();
    h.members.report(SITE, changed([applied(job('a')), applied(job('b')), applied(service('a'))]));
    h.members.report(SITE, full(applied(job('b'), { status: { succeeded: 1 } })));
    expect(await h.port.read(memberKeyOf(job('a')))).toBeUndefined();
    expect(await h.port.read(memberKeyOf(service('a')))).toBeUndefined();
    expect(await h.port.read(memberKeyOf(job('b')))).toEqual(asHeld(job('b'), { status: { succeeded: 1 } }));
    expect(h.members.stats(SITE).reported).toBe(1);
  });

  it('shows a refusal until a report shows the content applied', async () => {
    const h = Harness.connected();
    const key = memberKeyOf(job('a'));
    await h.port.apply(job('a', { image: 'evil:1' }));
    h.members.report(SITE, changed([{ key, refusal: REFUSAL }]));
    expect(h.port.refusal(key)).toEqual(REFUSAL);
    expect(await h.port.read(key)).toBeUndefined(); // a refused create: nothing at the site
    expect(h.members.stats(SITE)).toMatchObject({ refused: 1, reported: 0 });

    h.members.report(SITE, full({ key, refusal: REFUSAL })); // repeated in the next full report: still refused
    expect(h.port.refusal(key)).toEqual(REFUSAL);

    await h.port.apply(job('a'));
    h.members.report(SITE, changed([applied(job('a'))]));
    expect(h.port.refusal(key)).toBeUndefined();
    expect(h.members.stats(SITE).refused).toBe(0);
  });

  it('forgets a refusal when the member leaves the desired set', async () => {
    const h = Harness.connected();
    const key = memberKeyOf(job('a'));
    await h.port.apply(job('a', { image: 'evil:1' }));
    h.members.report(SITE, changed([{ key, refusal: REFUSAL }]));
    await h.port.delete(key);
    expect(h.port.refusal(key)).toBeUndefined();
  });

  it('lists by kind, namespace and equality labels', async () => {
    const h = Harness.connected();
    h.members.report(SITE, full(applied(job('a', { epoch: 1 })), applied(job('a', { epoch: 2 })), applied(job('b')), applied(service('a')), applied(job('a', { namespace: 'team-b' }))));
    const names = async (namespace: string, selector: string): Promise<string[]> =>
      (await h.port.list('Job', namespace, selector)).map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort();
    expect(await names('team-a', `${LABEL_WORKLOAD}=a,${LABEL_NAMESPACE}=team-a`)).toEqual(['team-a/a-1', 'team-a/a-2']);
    expect(await names('team-a', `${LABEL_WORKLOAD}=a,${LABEL_EPOCH}=2`)).toEqual(['team-a/a-2']);
    expect(await names('team-a', '')).toEqual(['team-a/a-1', 'team-a/a-2', 'team-a/b-1']);
    expect(await names('', `${LABEL_WORKLOAD}=a`)).toEqual(['team-a/a-1', 'team-a/a-2', 'team-b/a-1']);
    expect((await h.port.list('Service', 'team-a', `${LABEL_WORKLOAD}=a`)).map((o) => o.metadata?.name)).toEqual(['a']);
    expect(await rejection(h.port.list('Job', 'team-a', `${LABEL_WORKLOAD}!=a`))).toMatchObject({ code: 'Invalid' });
  });
});

describe('PullSiteMembers: listing one workload', () => {
  it('follows applies, reports, deletes and refusals', async () => {
    const h = Harness.connected();
    const names = async (): Promise<string[]> => (await h.port.list('Job', '', `${LABEL_WORKLOAD}=a,${LABEL_NAMESPACE}=team-a`)).map((o) => o.metadata?.name ?? '').sort();
    await h.port.apply(job('a', { epoch: 1 }));
    expect(await names()).toEqual(['a-1']);
    h.members.report(SITE, full(applied(job('a', { epoch: 1 })), applied(job('a', { epoch: 2 })), applied(job('b'))));
    expect(await names()).toEqual(['a-1', 'a-2']);
    await h.port.delete(memberKeyOf(job('a', { epoch: 2 })));
    expect(await names()).toEqual(['a-1', 'a-2']); // readable, marked deleted, until the agent reports it gone
    h.members.report(SITE, changed([], [memberKeyOf(job('a', { epoch: 2 }))]));
    expect(await names()).toEqual(['a-1']);
    await h.port.apply(job('a', { epoch: 3, image: 'evil:1' }));
    h.members.report(SITE, changed([{ key: memberKeyOf(job('a', { epoch: 3 })), refusal: REFUSAL }]));
    expect(await names()).toEqual(['a-1']);
    h.members.report(SITE, full(applied(job('b'))));
    expect(await names()).toEqual(['a-1']); // still desired: as applied, without status
    await h.port.delete(memberKeyOf(job('a', { epoch: 1 })));
    expect(await names()).toEqual([]);
  });
});

describe('PullSiteMembers: refusals', () => {
  /** refusedState is the agent's word that it refused `obj` as the operator sent it. */
  const refusedState = (obj: KubernetesObject): ReportedMember => ({ key: memberKeyOf(obj), appliedHash: desiredMemberOf(obj).hash, refusal: REFUSAL });

  it('takes a member refused with the content it wants out of the desired set: the next full sync leaves it out', async () => {
    const h = Harness.connected();
    const bad = job('a', { image: 'evil:1' });
    await h.port.apply(bad);
    await h.port.apply(service('a'));
    h.members.report(SITE, changed([refusedState(bad)]));
    h.sent.length = 0;

    h.members.sessionOpened(SITE);
    expect(h.sent).toEqual([{ full: true, apply: [desiredMemberOf(service('a'))], remove: [] }]);
    expect(h.members.stats(SITE)).toMatchObject({ desired: 1, refused: 1 });
  });

  it('keeps saying why after the agent forgets the refusal, until the key is applied anew or deleted', async () => {
    const h = Harness.connected();
    const bad = job('a', { image: 'evil:1' });
    const key = memberKeyOf(bad);
    await h.port.apply(bad);
    h.members.report(SITE, changed([refusedState(bad)]));
    // Told the member is no longer wanted, the agent drops its refusal and names the key gone.
    h.members.sessionOpened(SITE);
    h.members.report(SITE, changed([], [key]));
    h.members.report(SITE, full());
    expect(h.port.refusal(key)).toEqual(REFUSAL);
    expect(await h.port.read(key)).toBeUndefined();

    // The very content refused, applied again, is not sent again: the site answered it.
    h.sent.length = 0;
    expect(await h.port.apply(bad)).toEqual(bad);
    expect(h.sent).toEqual([]);
    expect(h.port.refusal(key)).toEqual(REFUSAL);

    // Other content is applied anew.
    await h.port.apply(job('a'));
    expect(h.port.refusal(key)).toBeUndefined();
    expect(h.sent).toEqual([{ full: false, apply: [desiredMemberOf(job('a'))], remove: [] }]);

    // Refused again, then deleted: the refusal goes with the delete.
    h.members.report(SITE, changed([refusedState(job('a'))]));
    expect(h.port.refusal(key)).toEqual(REFUSAL);
    await h.port.delete(key);
    expect(h.port.refusal(key)).toBeUndefined();
    expect(h.members.stats(SITE)).toMatchObject({ desired: 0, refused: 0, removing: 1 });
  });

  it('keeps an older copy the site still holds readable beside the refusal of the new content', async () => {
    const h = Harness.connected();
    const old = job('a');
    const bad = job('a', { image: 'evil:1' });
    const key = memberKeyOf(old);
    h.members.report(SITE, full(applied(old, { status: { active: 1 } })));
    await h.port.apply(bad);
    h.members.report(SITE, changed([refusedState(bad)]));
    h.members.sessionOpened(SITE);
    h.members.report(SITE, full(applied(old, { status: { active: 1 } }))); // the agent no longer refuses anything
    expect(h.port.refusal(key)).toEqual(REFUSAL);
    expect(await h.port.read(key)).toEqual(asHeld(old, { status: { active: 1 } }));
    expect(h.sent.at(-1)).toEqual({ full: true, apply: [], remove: [] });
  });

  it('drops the refusal once the site reports the refused content applied after all', async () => {
    const h = Harness.connected();
    const bad = job('a', { image: 'evil:1' });
    await h.port.apply(bad);
    h.members.report(SITE, changed([refusedState(bad)]));
    h.members.report(SITE, changed([applied(bad)]));
    expect(h.port.refusal(memberKeyOf(bad))).toBeUndefined();
    expect(await h.port.read(memberKeyOf(bad))).toEqual(asHeld(bad));
  });

  it('ignores a refusal of content it no longer wants, and of a member it is removing', async () => {
    const h = Harness.connected();
    const bad = job('a', { image: 'evil:1' });
    await h.port.apply(bad);
    await h.port.apply(job('a')); // fixed before the agent answered
    h.members.report(SITE, changed([refusedState(bad)]));
    expect(h.port.refusal(memberKeyOf(bad))).toBeUndefined();
    expect(h.members.stats(SITE).desired).toBe(1);

    await h.port.apply(job('b', { image: 'evil:1' }));
    await h.port.delete(memberKeyOf(job('b')));
    h.members.report(SITE, changed([refusedState(job('b', { image: 'evil:1' }))]));
    expect(h.port.refusal(memberKeyOf(job('b')))).toBeUndefined();
  });

  it('keeps a refusal of a member it has not asked for yet (an earlier operator did), until it is applied anew', async () => {
    const h = Harness.connected();
    const bad = job('a', { image: 'evil:1' });
    h.members.report(SITE, full(refusedState(bad)));
    expect(h.port.refusal(memberKeyOf(bad))).toEqual(REFUSAL);
    h.sent.length = 0;
    await h.port.apply(bad);
    expect(h.sent).toEqual([]);
  });
});

describe('PullSiteMembers: change notification', () => {
  it('tells listeners of each reported change, with the labels to find the owner, and not of repeats', async () => {
    const h = Harness.connected();
    const heard: Array<[string, string, boolean, string | undefined]> = [];
    const unsubscribe = h.members.onChange((site, key, object, labels) => heard.push([site, `${key.kind}/${key.name}`, object !== undefined, labels[LABEL_WORKLOAD]]));

    h.members.report(SITE, full(applied(job('a')), applied(service('b'))));
    h.members.report(SITE, full(applied(job('a')), applied(service('b')))); // a repeat: nothing changed
    h.members.report(SITE, changed([applied(job('a'), { status: { active: 1 } })]));
    h.members.report(SITE, full(applied(job('a'), { status: { active: 1 } }))); // service b gone
    expect(heard).toEqual([
      [SITE, 'Job/a-1', true, 'a'],
      [SITE, 'Service/b', true, 'b'],
      [SITE, 'Job/a-1', true, 'a'],
      [SITE, 'Service/b', false, 'b'],
    ]);

    unsubscribe();
    h.members.report(SITE, full());
    expect(heard).toHaveLength(4);
  });

  it('names the owner of a refused create from the desired object', async () => {
    const h = Harness.connected();
    const heard: Array<string | undefined> = [];
    h.members.onChange((_site, _key, _object, labels) => heard.push(labels[LABEL_OWNER_UID]));
    await h.port.apply(job('a'));
    h.members.report(SITE, changed([{ key: memberKeyOf(job('a')), refusal: REFUSAL }]));
    expect(heard).toEqual(['uid-a']);
  });

  it('tells every listener and keeps the report even when one listener throws', () => {
    const h = Harness.connected();
    const heard: string[] = [];
    h.members.onChange(() => {
      throw new Error('listener bug');
    });
    h.members.onChange((_site, key) => heard.push(key.name));
    expect(() => h.members.report(SITE, changed([applied(job('a')), applied(job('b'))]))).toThrow(AggregateError);
    expect(heard).toEqual(['a-1', 'b-1']);
    expect(h.members.stats(SITE).reported).toBe(2);
  });
});

describe('PullSiteMembers: stats and sites', () => {
  it('counts desired, reported, refused and removing members per site, and forgets a site', async () => {
    const h = Harness.connected();
    await h.port.apply(job('a'));
    await h.port.apply(job('b', { image: 'evil:1' }));
    h.members.report(SITE, changed([applied(job('a')), applied(job('old')), { key: memberKeyOf(job('b')), refusal: REFUSAL }]));
    await h.port.delete(memberKeyOf(job('old')));
    h.clock.advance(5_000);
    h.members.report(SITE, changed([]));
    h.members.report(SITE, changed([observedPod('w-0', 'node-a'), observedNode('node-a', 'True')]));
    // The refused member b is no longer desired.
    expect(h.members.stats(SITE)).toEqual({ desired: 1, reported: 2, refused: 1, observed: 2, removing: 1, reporting: true, lastReportAt: 6_000, fullSyncPending: false });
    expect(h.members.stats('beijing')).toEqual({ desired: 0, reported: 0, refused: 0, observed: 0, removing: 0, reporting: false, lastReportAt: undefined, fullSyncPending: true });
    expect(h.members.sites()).toEqual([SITE]);

    h.members.forgetSite(SITE);
    expect(h.members.sites()).toEqual([]);
    expect(isSiteNotReporting(await rejection(h.port.read(memberKeyOf(job('a')))))).toBe(true);
  });
});

describe('PullSiteMembers: observed pods and nodes', () => {
  it('shows the reported pods by namespace and labels, and the reported nodes by name, as copies', async () => {
    const h = Harness.connected();
    h.members.report(SITE, full(observedPod('w-0', 'node-a'), observedPod('w-1', undefined), observedPod('w-0', 'node-b', { namespace: 'team-b' }), observedNode('node-a', 'False')));
    const names = async (namespace: string, selector: string): Promise<string[]> =>
      (await h.port.pods!(namespace, selector)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort();
    expect(await names('team-a', `${LABEL_WORKLOAD}=a,${LABEL_EPOCH}=1`)).toEqual(['team-a/w-0', 'team-a/w-1']);
    expect(await names('', `${LABEL_WORKLOAD}=a`)).toEqual(['team-a/w-0', 'team-a/w-1', 'team-b/w-0']);
    expect(await names('team-a', `${LABEL_WORKLOAD}=b`)).toEqual([]);
    expect((await h.port.node!('node-a'))?.status?.conditions).toEqual([{ type: NODE_CONDITION_ACCELERATORS, status: 'False', message: 'XID 79' }]);
    expect(await h.port.node!('node-b')).toBeUndefined(); // not reported: the agent reports nodes under its pods only

    const read = await h.port.node!('node-a');
    read!.status!.conditions![0]!.status = 'True';
    expect((await h.port.node!('node-a'))?.status?.conditions?.[0]?.status).toBe('False');
  });

  it('changes them with each report: a full report replaces them, a change report names what changed or went', async () => {
    const h = Harness.connected();
    h.members.report(SITE, full(observedPod('w-0', undefined), observedPod('w-1', 'node-a'), observedNode('node-a', 'True')));
    h.members.report(SITE, changed([observedPod('w-0', 'node-b'), observedNode('node-b', 'False')], [{ kind: 'Pod', namespace: 'team-a', name: 'w-1' }, { kind: 'Node', namespace: '', name: 'node-a' }]));
    expect((await h.port.pods!('team-a', '')).map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`)).toEqual(['w-0@node-b']);
    expect(await h.port.node!('node-a')).toBeUndefined();
    expect(await h.port.node!('node-b')).toBeDefined();

    h.members.report(SITE, full(applied(job('a'))));
    expect(await h.port.pods!('team-a', '')).toEqual([]);
    expect(await h.port.node!('node-b')).toBeUndefined();
    expect(h.members.stats(SITE)).toMatchObject({ observed: 0, reported: 1 });
  });

  it('keeps them out of the members: not listed, not read, never sent, and no listener hears of them', async () => {
    const h = Harness.connected();
    const heard: string[] = [];
    h.members.onChange((_site, key) => heard.push(key.kind));
    h.members.report(SITE, full(observedPod('a-1', 'node-a'), observedNode('node-a', 'False')));
    h.members.report(SITE, changed([], [{ kind: 'Pod', namespace: 'team-a', name: 'a-1' }]));
    expect(heard).toEqual([]);
    expect(await h.port.list('Job', '', '')).toEqual([]);
    expect(await h.port.read({ kind: 'Job', namespace: 'team-a', name: 'a-1' })).toBeUndefined();
    h.members.sessionOpened(SITE);
    expect(h.sent).toEqual([{ full: true, apply: [], remove: [] }]);
  });

  it('refuses to show them before the first full report, as reads', async () => {
    const h = new Harness();
    h.members.sessionOpened(SITE);
    h.members.report(SITE, changed([observedPod('w-0', 'node-a')]));
    expect(isSiteNotReporting(await rejection(h.port.pods!('team-a', '')))).toBe(true);
    expect(isSiteNotReporting(await rejection(h.port.node!('node-a')))).toBe(true);
  });
});

describe('PullMemberPort', () => {
  it('is a pull-mode port that shows pods and nodes, whose ensureNamespace sends nothing', async () => {
    const h = Harness.connected();
    expect(h.port).toMatchObject({ site: SITE, mode: 'Pull' });
    expect(h.port.pods).toBeTypeOf('function');
    expect(h.port.node).toBeTypeOf('function');
    await h.port.ensureNamespace({ metadata: { name: 'team-a' } });
    expect(h.sent).toEqual([]);
  });
});
