// Pull mode over loopback: a real OperatorServer and AgentClient with mTLS on 127.0.0.1 carrying member syncs to the
// agent and member reports back, big ones in parts. No Kubernetes.
import { describe, expect, it } from 'vitest';
import { Capability, DEFAULT_AGENT_CAPABILITIES } from './capabilities.ts';
import type { AgentClient } from './client.ts';
import type { SiteName } from './identity.ts';
import type { DesiredMember, MemberStateOut, MemberSync, MemberSyncOut } from './messages.ts';
import type { OperatorServer } from './server.ts';
import type { SessionOpenedInfo } from './site-agent-handler.ts';
import { eventually, newAgent, RecordingHandler, site, startServer, TEST_PING_POLICY, useLoopbackSessions } from './test-helpers.ts';

const loopback = useLoopbackSessions(['alpha', 'beta']);
const track = (x: AgentClient | OperatorServer): void => loopback.track(x);
const testPingPolicy = TEST_PING_POLICY;
const MIB = 2 ** 20;

const job = (name: string, padBytes: number): DesiredMember => ({
  ref: { kind: 'Job', namespace: 'ml', name },
  manifestJson: JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { namespace: 'ml', name }, spec: { pad: 'x'.repeat(padBytes) } }),
  contentHash: `hash-${name}`,
});
const state = (name: string, padBytes: number): MemberStateOut => ({
  ref: { kind: 'Job', namespace: 'ml', name },
  objectJson: JSON.stringify({ metadata: { name }, status: { pad: 'y'.repeat(padBytes) } }),
  appliedHash: `hash-${name}`,
});

/** SyncOnOpen sends a full member sync the moment a session opens, as pull mode's operator does. */
class SyncOnOpen extends RecordingHandler {
  server: OperatorServer | undefined;
  readonly sent: boolean[] = [];
  readonly sync: MemberSync;
  constructor(sync: MemberSync) {
    super();
    this.sync = sync;
  }
  override onSessionOpened(s: SiteName, info: SessionOpenedInfo): void {
    super.onSessionOpened(s, info);
    this.sent.push(this.server?.sendMemberSync(s, this.sync) ?? false);
  }
}

describe('pull mode over the session', () => {
  it('sends a full sync in parts when the session opens, follows every snapshot with a full member report, and assembles both ends', async () => {
    // Three 1 MiB Jobs: more than one part's 2 MiB, so the sync travels in two parts.
    const fullSync: MemberSync = { full: true, generation: 1, apply: ['a', 'b', 'c'].map((n) => job(n, MIB)) };
    const handler = new SyncOnOpen(fullSync);
    // Heartbeats every second: the ack timeout (three of them) must not restart a session busy with megabytes.
    const cadence = { heartbeatIntervalMs: 1000, snapshotIntervalMs: 60_000, leaseDurationMs: 4000 };
    const { server, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy, handler, cadence });
    handler.server = server;
    track(server);
    const syncs: MemberSyncOut[] = [];
    let held: MemberStateOut[] = [state('a', 10)];
    const agent = newAgent(loopback.pki, port, 'alpha', {
      capabilities: [...DEFAULT_AGENT_CAPABILITIES, Capability.MemberSync],
      memberReport: () => ({ states: held, appliedGeneration: syncs.length }),
      observer: { onMemberSync: (s) => syncs.push(s) },
    });
    track(agent);
    agent.start();

    const [opened] = await eventually(() => (handler.of('sessionOpened').length === 1 ? handler.of('sessionOpened') : false), { timeoutMs: 5000, what: 'session opened' });
    expect(opened?.site).toBe('alpha');
    expect(opened?.info.capabilities).toContain(Capability.MemberSync);
    expect(handler.sent).toEqual([true]);
    await eventually(() => syncs.length === 1, { timeoutMs: 5000, what: 'the full sync, assembled' });
    expect(syncs[0]).toMatchObject({ full: true, generation: 1 });
    expect(syncs[0]?.apply?.map((m) => [m.ref?.name, m.contentHash, m.manifestJson?.length])).toEqual(
      fullSync.apply?.map((m) => [m.ref?.name, m.contentHash, m.manifestJson?.length]),
    );

    // The snapshot sent on connect is followed, at the next seq, by the full member report.
    const firstReport = await eventually(() => handler.of('memberReport')[0] ?? false, { timeoutMs: 5000, what: 'the first full member report' });
    const firstSnapshot = handler.of('snapshot')[0];
    expect(firstReport.report).toMatchObject({ full: true, states: [state('a', 10)] });
    expect(firstReport.meta.seq).toBe((firstSnapshot?.meta.seq ?? 0) + 1);

    // A resync snapshot brings a new full member report with it.
    held = [state('a', 10), state('b', 10)];
    const snapshots = handler.of('snapshot').length;
    expect(server.requestResync(site('alpha'), 'test')).toBe(true);
    const resync = await eventually(() => handler.of('snapshot')[snapshots] ?? false, { timeoutMs: 5000, what: 'the resync snapshot' });
    const second = await eventually(() => handler.of('memberReport').find((r) => r.meta.seq === resync.meta.seq + 1) ?? false, {
      timeoutMs: 5000,
      what: 'the full report after the resync snapshot',
    });
    expect(second.report).toMatchObject({ full: true, appliedGeneration: 1, states: held });

    // A report of 3 MiB goes in two sequenced parts and reaches the handler once, whole.
    const ackedBefore = agent.lastAckedSeq;
    const big = ['a', 'b', 'c'].map((n) => state(n, MIB));
    const lastSeq = agent.sendMemberReport({ full: false, states: big, gone: [{ kind: 'Service', namespace: 'ml', name: 'old' }], appliedGeneration: 1 });
    const delta = await eventually(() => handler.of('memberReport').find((r) => r.meta.seq === lastSeq) ?? false, { timeoutMs: 5000, what: 'the big report, assembled' });
    expect(lastSeq - ackedBefore).toBeGreaterThanOrEqual(2);
    expect(delta.report.full ?? false).toBe(false);
    expect(delta.report.states?.map((s) => [s.ref?.name, s.objectJson?.length])).toEqual(big.map((s) => [s.ref?.name, s.objectJson?.length]));
    expect(delta.report.gone).toEqual([{ kind: 'Service', namespace: 'ml', name: 'old' }]);
    await eventually(() => agent.lastAckedSeq >= lastSeq, { timeoutMs: 2000, what: 'every part acked' });
    // Its first part was never handed on alone.
    expect(handler.of('memberReport').filter((r) => r.meta.seq > ackedBefore && r.meta.seq < lastSeq)).toEqual([]);

    // One member above grpc-js's default 4 MiB receive limit travels alone and still arrives.
    expect(server.sendMemberSync(site('alpha'), { full: false, generation: 2, apply: [job('huge', 5 * MIB)] })).toBe(true);
    await eventually(() => syncs.length === 2, { timeoutMs: 5000, what: 'the 5 MiB member' });
    expect(syncs[1]?.apply?.[0]?.manifestJson?.length).toBeGreaterThan(5 * MIB);
    expect(agent.connected).toBe(true);
  });

  it('refuses to send a member sync to a site without a session or whose agent does not apply members', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const sync: MemberSync = { full: true, generation: 1, apply: [job('a', 10)] };
    expect(server.sendMemberSync(site('beta'), sync)).toBe(false);
    const syncs: MemberSyncOut[] = [];
    // An agent with a member report source that did not announce member-sync: the operator did not accept it.
    const agent = newAgent(loopback.pki, port, 'beta', { memberReport: () => ({ states: [state('a', 1)] }), observer: { onMemberSync: (s) => syncs.push(s) } });
    track(agent);
    agent.start();
    await eventually(() => handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'a push-mode session' });
    expect(handler.of('sessionOpened')[0]?.info.capabilities).toEqual(['deltas', 'health-events']);
    expect(server.sendMemberSync(site('beta'), sync)).toBe(false);
    // Nor does it send member reports: an operator that predates pull mode would end the session over one.
    expect(agent.sendMemberReport({ full: false, states: [state('a', 1)] })).toBe(0);
    const snapshotSeq = handler.of('snapshot')[0]?.meta.seq ?? 0;
    await eventually(() => handler.of('heartbeat').some((h) => h.meta.seq > snapshotSeq), { timeoutMs: 5000, what: 'a message after the snapshot' });
    expect(handler.of('memberReport')).toEqual([]);
    expect(syncs).toEqual([]);
  });
});
