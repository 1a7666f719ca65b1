import type { KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { InferenceService, Site, TrainingJob } from '../api/generated/types.ts';
import { MAX_LIST_WAIT_MS } from '../cache/member-informers.ts';
import { FakeClock } from '../runtime/clock.ts';
import type { SiteName } from '../wire/identity.ts';
import type { MemberReportOut, MemberSync } from '../wire/messages.ts';
import type { MessageMeta, SiteAgentHandler } from '../wire/site-agent-handler.ts';
import { PullTransport } from './pull-transport.ts';

const PULL = 'far' as SiteName;
const PUSH = 'near' as SiteName;

function site(name: string, mode: 'Push' | 'Pull'): Site {
  return { apiVersion: 'suanwang.io/v1alpha1', kind: 'Site', metadata: { name }, spec: { region: 'r', connection: { mode } } } as Site;
}

function job(name: string, uid: string): TrainingJob {
  return { metadata: { namespace: 'team', name, uid } } as TrainingJob;
}

function member(kind: 'Job' | 'Service' | 'Deployment', workload: string, uid: string): KubernetesObject {
  return {
    apiVersion: kind === 'Deployment' ? 'apps/v1' : kind === 'Job' ? 'batch/v1' : 'v1',
    kind,
    metadata: {
      namespace: 'team',
      name: `${workload}-m`,
      labels: { 'app.kubernetes.io/managed-by': 'suanwang', 'suanwang.io/namespace': 'team', 'suanwang.io/workload': workload, 'suanwang.io/owner-uid': uid },
    },
  };
}

function report(full: boolean, ...objects: KubernetesObject[]): MemberReportOut {
  return {
    full,
    states: objects.map((o) => ({
      ref: { kind: o.kind ?? '', namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' },
      objectJson: JSON.stringify(o),
      appliedHash: 'h',
      refusalReason: '',
      refusalMessage: '',
    })),
    gone: [],
    appliedGeneration: 1,
    part: 0,
    parts: 0,
  } as MemberReportOut;
}

const META: MessageMeta = { sessionId: 's', agentInstanceId: 'a', seq: 1, receivedAt: 0 };

function setup(o: { synced?: boolean; jobs?: TrainingJob[]; services?: InferenceService[]; sites?: () => Site[] } = {}) {
  const clock = new FakeClock(1_000_000);
  const sent: { site: string; sync: MemberSync }[] = [];
  const woken: string[] = [];
  let synced = o.synced ?? true;
  const inner = { onSessionOpened: () => {}, onMemberReport: () => {}, onDisconnect: () => {} } as unknown as SiteAgentHandler;
  const transport = new PullTransport({
    clock,
    logger: pino({ level: 'silent' }),
    owners: {
      synced: () => synced,
      trainingJob: (ns, name) => (o.jobs ?? []).find((j) => j.metadata.namespace === ns && j.metadata.name === name),
      inferenceService: (ns, name) => (o.services ?? []).find((s) => s.metadata.namespace === ns && s.metadata.name === name),
      sites: o.sites ?? (() => [site(PULL, 'Pull'), site(PUSH, 'Push')]),
    },
    wake: (kind, ns, name) => woken.push(`${kind} ${ns}/${name}`),
  });
  transport.attach((s, sync) => {
    sent.push({ site: s, sync });
    return true;
  });
  const handler = transport.handler(inner);
  return { clock, sent, woken, transport, handler, setSynced: (v: boolean) => (synced = v) };
}

/** flush advances the fake clock in steps and lets the promise continuations its timers cause run. */
async function flush(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await new Promise(setImmediate);
  }
}

describe('PullTransport', () => {
  it('sends a pull site its desired set when its session opens, and nothing to a push site', () => {
    const { sent, transport, handler } = setup();
    transport.members.apply(PULL, member('Job', 'train', 'u1'));
    expect(sent).toEqual([]); // a fresh store owes a full sync: nothing goes before a session
    handler.onSessionOpened?.(PUSH, { sessionId: 's', agentInstanceId: 'a', capabilities: [] });
    handler.onSessionOpened?.(PULL, { sessionId: 's', agentInstanceId: 'a', capabilities: ['member-sync'] });
    expect(sent.map((s) => [s.site, s.sync.full, s.sync.apply?.map((a) => a.ref?.name)])).toEqual([[PULL, true, ['train-m']]]);
    expect(JSON.parse(sent[0]?.sync.apply?.[0]?.manifestJson ?? '{}')).toMatchObject({ kind: 'Job', metadata: { name: 'train-m' } });
  });

  it('a session opened before the Site cache knows the site gets its full sync once the Site is known', async () => {
    // The operator just started: its Site cache has not listed when the agent's session opens (seen 0.3 s apart).
    let known: Site[] = [];
    const { clock, sent, transport, handler } = setup({ sites: () => known });
    transport.members.apply(PULL, member('Job', 'train', 'u1'));
    handler.onSessionOpened?.(PULL, { sessionId: 's1', agentInstanceId: 'a', capabilities: ['member-sync'] });
    handler.onSessionOpened?.(PUSH, { sessionId: 's2', agentInstanceId: 'a', capabilities: [] });
    expect(sent).toEqual([]);
    known = [site(PULL, 'Pull'), site(PUSH, 'Push')];
    await flush(clock, 1_000);
    expect(sent.map((s) => [s.site, s.sync.full])).toEqual([[PULL, true]]);
  });

  it('a session that ends before its Site is known gets nothing, and the next one is served', async () => {
    let known: Site[] = [];
    const { clock, sent, handler } = setup({ sites: () => known });
    handler.onSessionOpened?.(PULL, { sessionId: 's1', agentInstanceId: 'a', capabilities: ['member-sync'] });
    handler.onDisconnect(PULL, { sessionId: 's1', agentInstanceId: 'a', reason: 'gone' });
    known = [site(PULL, 'Pull')];
    await flush(clock, 1_000);
    expect(sent).toEqual([]);
    handler.onSessionOpened?.(PULL, { sessionId: 's2', agentInstanceId: 'a', capabilities: ['member-sync'] });
    expect(sent.map((s) => s.site)).toEqual([PULL]);
  });

  it('on a full report removes what no workload on the hub owns (gone, or another uid), and keeps the rest', () => {
    const { sent, handler, woken } = setup({ jobs: [job('alive', 'u1'), job('recreated', 'u-new')] });
    handler.onSessionOpened?.(PULL, { sessionId: 's', agentInstanceId: 'a', capabilities: ['member-sync'] });
    sent.length = 0;
    handler.onMemberReport?.(PULL, report(true, member('Job', 'alive', 'u1'), member('Job', 'deleted', 'u2'), member('Service', 'recreated', 'u-old')), META);
    const removed = sent.flatMap((s) => s.sync.remove ?? []).map((r) => `${r.kind} ${r.name}`);
    expect(removed.sort()).toEqual(['Job deleted-m', 'Service recreated-m']);
    expect(woken).toContain('Job team/alive');
  });

  it('removes nothing before the hub caches have listed: "not found" proves nothing then', () => {
    const { sent, handler, transport, setSynced } = setup({ synced: false });
    handler.onSessionOpened?.(PULL, { sessionId: 's', agentInstanceId: 'a', capabilities: ['member-sync'] });
    sent.length = 0;
    handler.onMemberReport?.(PULL, report(true, member('Job', 'deleted', 'u2')), META);
    expect(sent).toEqual([]);
    setSynced(true);
    expect(transport.collectGarbage(PULL).map((k) => k.name)).toEqual(['deleted-m']);
  });

  it('finds a workload\'s members at pull sites, not synced until the first full report or the list wait', () => {
    const { clock, handler, transport } = setup({ jobs: [job('alive', 'u1')] });
    expect(transport.findMembers('Job', 'team', 'alive')).toEqual([{ site: PULL, synced: false, members: [] }]);
    clock.advance(MAX_LIST_WAIT_MS);
    expect(transport.findMembers('Job', 'team', 'alive')).toEqual([{ site: PULL, synced: true, members: [] }]);
    handler.onMemberReport?.(PULL, report(true, member('Job', 'alive', 'u1')), META);
    const [found] = transport.findMembers('Job', 'team', 'alive');
    expect(found?.members.map((m) => (m as KubernetesObject).metadata?.name)).toEqual(['alive-m']);
  });
});
