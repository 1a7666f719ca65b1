import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { deferred, flush } from '../../runtime/testing.ts';
import type { DeltaContent } from '../../wire/client-options.ts';
import type { HealthEvent, MemberReport } from '../../wire/messages.ts';
import { MemoryCache } from '../../runtime/memory-cache.ts';
import { SiteAgent, type AgentSession, type SessionSources } from './site-agent.ts';
import { H100, makeNode, makePod, simReport, T0 } from './testing.ts';
import { DEFAULT_RELEASE_GRACE_MS } from './release-grace.ts';
import { acceleratorNode, desired, FakeMemberSite, heldObject, jobManifest, workerPod } from './member-testing.ts';
import { PullMembers } from './pull-members.ts';
import { DEFAULT_SITE_POLICY } from './site-policy.ts';

/** FakeCache is an in-memory cache whose sync the test releases by hand (`synced.resolve()`). */
class FakeCache<T extends { metadata?: { name?: string } }> extends MemoryCache<T> {
  readonly synced = deferred();
  constructor() {
    super();
    this.holdSync(this.synced.promise);
  }
}

/** FakeSession records what the agent sends. */
class FakeSession implements AgentSession {
  readonly deltas: DeltaContent[] = [];
  readonly events: HealthEvent[] = [];
  readonly memberReports: MemberReport[] = [];
  readonly sources: SessionSources;
  started = false;
  stopped = false;

  constructor(sources: SessionSources) {
    this.sources = sources;
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  sendDelta(content: DeltaContent): number {
    this.deltas.push(content);
    return this.deltas.length;
  }
  sendHealthEvent(event: HealthEvent): number {
    this.events.push(event);
    return this.events.length;
  }
  sendMemberReport(report: MemberReport): number {
    this.memberReports.push(report);
    return this.memberReports.length;
  }
}

const gpu = (name: string, faults = {}) => makeNode(name).pool('h100').accelerators(H100).devices(simReport(name, H100, faults)).obj();

async function setup() {
  // The clock reads the time of the simulated reports (T0): their annotations are fresh.
  const clock = new FakeClock(Date.parse(T0));
  const nodes = new FakeCache<V1Node>();
  const pods = new FakeCache<V1Pod>();
  const sessions: FakeSession[] = [];
  /** order records the onSynced calls and the sessions opened, in order. */
  const order: string[] = [];
  const agent = new SiteAgent({
    onSynced: () => order.push(`synced (sessions: ${sessions.length})`),
    site: 'shanghai',
    nodes,
    pods,
    clock,
    logger: pino({ level: 'silent' }),
    eventIdPrefix: 'inst',
    maxReportAgeMs: 90_000,
    openSession: (sources) => {
      const s = new FakeSession(sources);
      sessions.push(s);
      order.push('session');
      return s;
    },
  });
  nodes.set(gpu('g-0'));
  nodes.set(makeNode('c-0').pool('cpu').obj());
  const started = agent.start();
  return { clock, nodes, pods, sessions, agent, started, order };
}

/** settle lets the debounce fire. */
async function settle(clock: FakeClock, ms = 500): Promise<void> {
  clock.advance(ms);
  await flush();
}

describe('SiteAgent', () => {
  it('opens the session only after both caches synced, with a snapshot of the pools', async () => {
    const { nodes, pods, sessions, agent, started } = await setup();
    expect(nodes.started && pods.started).toBe(true);
    nodes.synced.resolve();
    await flush();
    expect(sessions).toHaveLength(0);
    pods.synced.resolve();
    await started;
    expect(agent.ready).toBe(true);
    expect(sessions[0]?.started).toBe(true);
    const snap = sessions[0]?.sources.snapshot();
    expect(snap?.nodePools?.map((p) => p.name)).toEqual(['cpu', 'h100']);
    expect(sessions[0]?.sources.heartbeat()).toEqual({ nodesTotal: 2, nodesReady: 2 });
  });

  it('calls onSynced once both caches synced and before the session opens, and never again', async () => {
    const { clock, nodes, pods, started, order } = await setup();
    nodes.synced.resolve();
    await flush();
    expect(order).toEqual([]);
    pods.synced.resolve();
    await started;
    pods.set(makePod('a').on('g-0').limits({ 'nvidia.com/gpu': '1' }).obj());
    await settle(clock);
    expect(order).toEqual(['synced (sessions: 0)', 'session']);
  });

  it('gathers a burst of changes into one delta of the changed pools, after the debounce', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    const session = sessions[0]!;
    pods.set(makePod('a').on('g-0').limits({ 'nvidia.com/gpu': '2' }).obj());
    clock.advance(300);
    pods.set(makePod('b').on('g-0').limits({ 'nvidia.com/gpu': '2' }).obj());
    await settle(clock, 199);
    expect(session.deltas).toHaveLength(0);
    await settle(clock, 1);
    expect(session.deltas).toHaveLength(1);
    const delta = session.deltas[0];
    expect(delta?.removedPoolNames).toEqual([]);
    expect(delta?.upsertedPools?.map((p) => [p.name, p.resources?.allocated?.['nvidia.com/gpu']])).toEqual([['h100', '4']]);
    expect(session.events).toEqual([]);
  });

  it('reports a finished pod\'s devices free only after the release grace, and a started pod\'s at once', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    const session = sessions[0]!;
    const allocated = (): (string | undefined)[] => session.deltas.map((d) => d.upsertedPools?.find((p) => p.name === 'h100')?.resources?.allocated?.['nvidia.com/gpu']);
    pods.set(makePod('a').on('g-0').limits({ 'nvidia.com/gpu': '2' }).obj());
    await settle(clock);
    expect(allocated()).toEqual(['2']);
    pods.set(makePod('a').on('g-0').phase('Succeeded').limits({ 'nvidia.com/gpu': '2' }).obj());
    await settle(clock);
    expect(allocated()).toEqual(['2']); // finished, but still held for the grace: nothing new to say
    await settle(clock, DEFAULT_RELEASE_GRACE_MS - 1);
    expect(allocated()).toEqual(['2']); // the grace counts from the rebuild that saw the pod finish
    await settle(clock, 1);
    expect(allocated()).toEqual(['2', '0']);
  });

  it('sends nothing when a change leaves the pools as they were', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    pods.set(makePod('done').on('g-0').phase('Succeeded').limits({ 'nvidia.com/gpu': '2' }).obj());
    await settle(clock);
    expect(sessions[0]?.deltas).toEqual([]);
  });

  it('sends a delta and a health event when a device turns unhealthy, and a recovery later', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    const session = sessions[0]!;
    nodes.set(gpu('g-0', { xids: [{ device: 6, xid: 79 }] }));
    await settle(clock);
    expect(session.deltas.map((d) => d.upsertedPools?.map((p) => [p.name, p.resources?.allocatable?.['nvidia.com/gpu'], p.deviceHealth?.unhealthy]))).toEqual([
      [['h100', '7', 1]],
    ]);
    expect(session.events.map((e) => [e.eventId, e.code, e.nodeName, e.deviceId, e.resolved])).toEqual([
      ['inst-1', 'DeviceUnhealthy', 'g-0', 'sim-g-0-nvidia-6', false],
    ]);
    nodes.set(gpu('g-0'));
    await settle(clock);
    expect(session.events.map((e) => [e.eventId, e.code])).toEqual([
      ['inst-1', 'DeviceUnhealthy'],
      ['inst-2', 'DeviceRecovered'],
    ]);
  });

  it("takes a silent reporter's devices off the pool once its report is older than the max age, with no Node event", async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    const session = sessions[0]!;
    await settle(clock, 90_000);
    expect(session.deltas).toEqual([]);
    await settle(clock, 1);
    expect(session.deltas.map((d) => d.upsertedPools?.map((p) => [p.name, p.resources?.allocatable?.['nvidia.com/gpu'], p.deviceHealth?.unknown]))).toEqual([
      [['h100', '0', 8]],
    ]);
    expect(session.events.map((e) => e.code)).toEqual(Array(8).fill('DeviceUnknown'));
    // The reporter writes again: the devices come back.
    nodes.set(makeNode('g-0').pool('h100').accelerators(H100).devices(simReport('g-0', H100, {}, new Date(clock.now()).toISOString())).obj());
    await settle(clock);
    expect(session.deltas.at(-1)?.upsertedPools?.map((p) => [p.name, p.resources?.allocatable?.['nvidia.com/gpu']])).toEqual([['h100', '8']]);
    expect(session.events.slice(8).map((e) => e.code)).toEqual(Array(8).fill('DeviceRecovered'));
  });

  it('removes a pool whose last node left', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    nodes.remove(undefined, 'c-0');
    await settle(clock);
    expect(sessions[0]?.deltas).toEqual([{ upsertedPools: [], removedPoolNames: ['cpu'] }]);
  });

  it('computes deltas against the last snapshot sent', async () => {
    const { clock, nodes, pods, sessions, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    const session = sessions[0]!;
    nodes.set(gpu('g-1'));
    session.sources.snapshot(); // a reconnect snapshot went out before the debounce fired: it carries g-1
    await settle(clock);
    expect(session.deltas).toEqual([]);
  });

  it('stops cleanly, also before the caches synced', async () => {
    const { clock, nodes, pods, sessions, agent, started } = await setup();
    await agent.stop();
    await started;
    expect(sessions).toHaveLength(0);
    expect(nodes.stopped && pods.stopped).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('stops the session and drops a pending rebuild', async () => {
    const { clock, nodes, pods, sessions, agent, started } = await setup();
    nodes.synced.resolve();
    pods.synced.resolve();
    await started;
    nodes.set(gpu('g-1'));
    await agent.stop();
    await settle(clock);
    expect(sessions[0]?.stopped).toBe(true);
    expect(sessions[0]?.deltas).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

describe('SiteAgent in pull mode', () => {
  async function pullSetup() {
    const clock = new FakeClock(Date.parse(T0));
    const nodes = new FakeCache<V1Node>();
    const pods = new FakeCache<V1Pod>();
    nodes.synced.resolve();
    pods.synced.resolve();
    const caches = { Job: new FakeCache<KubernetesObject>(), Service: new FakeCache<KubernetesObject>(), Deployment: new FakeCache<KubernetesObject>() };
    const workerPods = new FakeCache<V1Pod>();
    const site = new FakeMemberSite();
    const logger = pino({ level: 'silent' });
    const members = new PullMembers({ caches, workerPods, nodes, api: site, policy: DEFAULT_SITE_POLICY, clock, random: () => 0.5, logger, debounceMs: 500 });
    const sessions: FakeSession[] = [];
    const agent = new SiteAgent({
      site: 'shanghai',
      nodes,
      pods,
      clock,
      logger,
      eventIdPrefix: 'inst',
      members,
      openSession: (sources) => {
        const s = new FakeSession(sources);
        sessions.push(s);
        return s;
      },
    });
    const started = agent.start();
    return { clock, caches, workerPods, nodes, site, sessions, agent, started };
  }

  it('opens the session once the member watches listed, applies the syncs it passes on, and reports what the watches see', async () => {
    const { clock, caches, workerPods, site, sessions, started } = await pullSetup();
    caches.Job.set(heldObject('Job', 'running', 'h0'));
    caches.Job.synced.resolve();
    caches.Service.synced.resolve();
    caches.Deployment.synced.resolve();
    await flush();
    expect(sessions).toHaveLength(0); // the worker pods' watch has not listed yet
    workerPods.synced.resolve();
    await started;
    expect(workerPods.started).toBe(true);
    expect(caches.Job.started && caches.Service.started && caches.Deployment.started).toBe(true);
    const session = sessions[0]!;
    const members = session.sources.members;
    expect(members?.fullReport()).toMatchObject({ states: [{ ref: { kind: 'Job', namespace: 'ml', name: 'running' }, appliedHash: 'h0' }], appliedGeneration: 0 });

    members?.onSync({ full: true, generation: 1, apply: [desired(jobManifest('a'), 'a1')], remove: [{ kind: 'Job', namespace: 'ml', name: 'running' }] });
    await flush();
    expect(site.calls).toEqual(['namespace ml', 'read Job ml/a', 'apply Job ml/a', 'delete Job ml/running foreground']);
    // The watches see the site change (the fake apiserver does not feed them; the test does).
    caches.Job.set(site.objects.get('Job/ml/a')!);
    caches.Job.remove('ml', 'running');
    await settle(clock);
    expect(session.memberReports).toEqual([
      {
        full: false,
        states: [{ ref: { kind: 'Job', namespace: 'ml', name: 'a' }, objectJson: expect.stringContaining('"suanwang.io/applied-hash":"a1"'), appliedHash: 'a1' }],
        gone: [{ kind: 'Job', namespace: 'ml', name: 'running' }],
        appliedGeneration: 1,
      },
    ]);
  });

  it('reports the member Jobs\' pods and the nodes under them, from the worker pod watch and its own node watch', async () => {
    const { clock, caches, workerPods, nodes, sessions, started } = await pullSetup();
    for (const c of [caches.Job, caches.Service, caches.Deployment, workerPods]) c.synced.resolve();
    workerPods.set(workerPod('w-0', { node: 'n-1' }));
    nodes.set(acceleratorNode('n-1', 'True'));
    await started;
    const report = sessions[0]?.sources.members?.fullReport();
    expect(report?.states?.map((st) => `${st.ref?.kind} ${st.ref?.name}`)).toEqual(['Pod w-0', 'Node n-1']);

    nodes.set(acceleratorNode('n-1', 'False'));
    await settle(clock);
    expect(sessions[0]?.memberReports.at(-1)?.states?.map((st) => JSON.parse(st.objectJson ?? '{}').status)).toEqual([
      { conditions: [{ type: 'AcceleratorHealthy', status: 'False', reason: 'DevicesUnhealthy', message: 'GPU 3: XID 79' }] },
    ]);
  });

  it('stops the member watches with its own', async () => {
    const { clock, caches, workerPods, agent, started } = await pullSetup();
    await agent.stop();
    await started;
    expect(caches.Job.stopped && caches.Service.stopped && caches.Deployment.stopped && workerPods.stopped).toBe(true);
    expect(clock.pending()).toBe(0);
  });
});
