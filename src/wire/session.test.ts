// End-to-end over loopback: a real OperatorServer and real AgentClients speaking gRPC with mTLS on 127.0.0.1, with
// certificates minted by src/wire/certs.ts. No Kubernetes.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { AgentClient } from './client.ts';
import type { AgentMessage } from './messages.ts';
import type { OperatorServer } from './server.ts';
import { eventually, mintPki, newAgent, site, sleep, startServer, TEST_PING_POLICY, useLoopbackSessions, type LabPki } from './test-helpers.ts';

const loopback = useLoopbackSessions(['alpha', 'beta']);
const track = (x: AgentClient | OperatorServer): void => loopback.track(x);
const testPingPolicy = TEST_PING_POLICY;

describe('agent session over mTLS', () => {
  it('registers, streams heartbeats and a snapshot under the certificate site, and receives acks', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const acks: number[] = [];
    const agent = newAgent(loopback.pki, port, 'alpha', { observer: { onAck: (seq) => acks.push(seq) } });
    track(agent);
    agent.start();

    await eventually(() => handler.of('heartbeat').length >= 3, { timeoutMs: 5000, what: 'three heartbeats' });
    const [reg] = handler.of('register');
    expect(reg?.site).toBe('alpha');
    expect(reg?.registration).toMatchObject({ agentInstanceId: 'instance-alpha', agentVersion: 'test', capabilities: ['deltas', 'health-events'] });

    const [snap] = handler.of('snapshot');
    expect(snap?.site).toBe('alpha');
    expect(snap?.snapshot.site).toBe('alpha');
    const pool = snap?.snapshot.nodePools?.[0];
    expect(pool?.resources?.allocatable).toEqual({ 'nvidia.com/gpu': '7' });
    // An optional measurement that is 0 arrives as 0; one never set stays absent (an [N/A] is not a 0).
    expect(pool?.devices?.[0]?.telemetry?.utilizationPct).toBe(0);
    expect(pool?.devices?.[0]?.telemetry).not.toHaveProperty('temperatureC');
    expect(pool?.deviceHealth?.healthy).toBe(7);
    expect(pool?.deviceHealth).not.toHaveProperty('degraded');
    expect(pool?.devices?.[0]?.health?.status).toBe('HEALTH_STATUS_HEALTHY');

    // Every delivered message is under the certificate's site, with strictly increasing seqs starting at 1.
    const seqs = handler.events.flatMap((e) => ('meta' in e ? [e.meta.seq] : []));
    expect(seqs[0]).toBe(1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(handler.events.every((e) => e.site === 'alpha')).toBe(true);

    await eventually(() => agent.lastAckedSeq >= 3, { timeoutMs: 2000, what: 'acks' });
    expect(acks.length).toBeGreaterThan(0);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    // A heartbeat may be in flight at any moment: at most one message waits for its ack.
    await eventually(() => agent.pending <= 1, { timeoutMs: 2000, what: 'outbox drained' });
    expect(server.connectedSites()).toEqual([site('alpha')]);
  });

  it('delivers deltas and health events in order and reports a clean disconnect on stop', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const agent = newAgent(loopback.pki, port, 'beta');
    track(agent);
    agent.start();
    await eventually(() => handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'first snapshot' });

    agent.sendDelta({ removedPoolNames: ['old'] });
    agent.sendHealthEvent({ eventId: 'e1', nodeName: 'n1', deviceId: 'GPU-1', code: 'nvidia.xid.79', severity: 'SEVERITY_FATAL' });
    await eventually(() => handler.of('healthEvent').length === 1, { timeoutMs: 2000, what: 'health event' });
    const [delta] = handler.of('delta');
    expect(delta?.delta).toMatchObject({ removedPoolNames: ['old'], baseGeneration: 1, generation: 2 });
    expect(handler.of('healthEvent')[0]?.event).toMatchObject({ eventId: 'e1', code: 'nvidia.xid.79', severity: 'SEVERITY_FATAL' });
    expect((delta?.meta.seq ?? 0) < (handler.of('healthEvent')[0]?.meta.seq ?? 0)).toBe(true);

    await agent.stop();
    const disconnect = await eventually(() => handler.of('disconnect')[0] ?? false, { timeoutMs: 2000, what: 'disconnect' });
    expect(disconnect.site).toBe('beta');
    expect(server.connectedSites()).toEqual([]);
  });

  it('keeps refusing an agent whose certificate is for another site than it claims', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const codes: (number | undefined)[] = [];
    // Certificate for alpha, configured as beta.
    const agent = newAgent(loopback.pki, port, 'alpha', { site: 'beta', observer: { onDisconnected: (code) => codes.push(code) } });
    track(agent);
    agent.start();
    await eventually(() => codes.length >= 2, { timeoutMs: 3000, what: 'two refused attempts' });
    expect(codes.every((c) => c === grpc.status.PERMISSION_DENIED)).toBe(true);
    expect(agent.sessions).toBe(0);
    expect(handler.events).toEqual([]);
  });

  it('follows a cadence the operator pushes mid-session', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const agent = newAgent(loopback.pki, port, 'alpha');
    track(agent);
    agent.start();
    await eventually(() => handler.of('heartbeat').length >= 2, { timeoutMs: 5000, what: 'heartbeats at 50 ms' });
    expect(server.pushConfig(site('alpha'), { heartbeatIntervalMs: 60_000 })).toBe(true);
    // The update lands after a round trip (a heartbeat already due may still go out): wait until the count has stood
    // still for six old intervals, however loaded the machine is, then watch ten more.
    let seen = handler.of('heartbeat').length;
    let stillSince = Date.now();
    await eventually(
      () => {
        const n = handler.of('heartbeat').length;
        if (n !== seen) [seen, stillSince] = [n, Date.now()];
        return Date.now() - stillSince >= 300;
      },
      { timeoutMs: 5000, what: 'heartbeats to stop at the old cadence' },
    );
    const before = handler.of('heartbeat').length;
    await sleep(500); // ten old intervals
    expect(handler.of('heartbeat').length).toBe(before);
  });

  it('reads its TLS files again for every attempt: retries an unreadable read and follows a rotated CA', async () => {
    const first = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    const port = first.port;
    // Files as a function of time: a half-written rotation first, then the lab PKI, later a whole new PKI.
    const rotated = await mintPki(['alpha']);
    let current: LabPki | undefined;
    let reads = 0;
    const filesOf = (p: LabPki) => ({ caPem: p.ca.certPem, certPem: p.sites.get('alpha')?.certPem ?? '', keyPem: p.sites.get('alpha')?.keyPem ?? '' });
    const disconnects: string[] = [];
    const agent = newAgent(loopback.pki, port, 'alpha', {
      tls: () => {
        reads += 1;
        if (current === undefined) {
          current = loopback.pki;
          throw new Error('alpha.key: half written');
        }
        return filesOf(current);
      },
      observer: { onDisconnected: (_code, details) => disconnects.push(details) },
    });
    track(agent);
    agent.start();
    await eventually(() => first.handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'a session after the failed read' });
    expect(reads).toBe(2);
    expect(disconnects[0]).toBe('alpha.key: half written');

    // The operator comes back with certificates from another CA; only files read anew can reach it.
    await first.server.stop(0);
    current = rotated;
    const second = await startServer(rotated, { port, pingPolicy: testPingPolicy });
    track(second.server);
    await eventually(() => second.handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'a session with the rotated files' });
    expect(agent.sessions).toBe(2);
    expect(reads).toBeGreaterThanOrEqual(3);
  });

  it('delivers a fence request to the agent: the workloads the operator placed anew, with their epochs', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    const fenced: unknown[] = [];
    const agent = newAgent(loopback.pki, port, 'alpha', { observer: { onFenceRequest: (workloads) => fenced.push(...workloads) } });
    track(agent);
    agent.start();
    await eventually(() => handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'a session' });
    expect(server.requestFence(site('alpha'), [{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }])).toBe(true);
    expect(server.requestFence(site('beta'), [{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }])).toBe(false);
    await eventually(() => fenced.length === 1, { timeoutMs: 2000, what: 'the fence request' });
    expect(fenced).toEqual([{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }]);
  });

  it('answers a sequence gap with a full snapshot, and the operator skips what built on the gap', async () => {
    const { server, handler, port } = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    track(server);
    // Simulate a message lost between the agent and the operator: the interceptor turns the first delta into a
    // retransmit of seq 1 (already accepted, so dropped as a duplicate), leaving a hole at the delta's seq.
    let lostSeq = 0;
    const loseFirstDelta: grpc.Interceptor = (options, next) =>
      new grpc.InterceptingCall(next(options), {
        sendMessage: (message: AgentMessage, send: (m: AgentMessage) => void) => {
          if (lostSeq === 0 && message.delta) {
            lostSeq = Number(message.seq);
            send({ seq: 1, heartbeat: {} });
          } else send(message);
        },
      });
    const resyncs: { reason: string; fromSeq: number }[] = [];
    const agent = newAgent(loopback.pki, port, 'alpha', {
      interceptors: [loseFirstDelta],
      observer: { onResyncRequest: (reason, fromSeq) => resyncs.push({ reason, fromSeq }) },
    });
    track(agent);
    agent.start();
    await eventually(() => handler.of('snapshot').length === 1, { timeoutMs: 5000, what: 'first snapshot' });
    await eventually(() => agent.pending === 0, { timeoutMs: 2000, what: 'all acked' });

    agent.sendDelta({ removedPoolNames: ['lost'] });
    agent.sendHealthEvent({ eventId: 'after-gap', code: 'nvidia.xid.48' });

    const second = await eventually(() => handler.of('snapshot')[1] ?? false, { timeoutMs: 3000, what: 'resync snapshot' });
    expect(resyncs).toEqual([{ reason: 'gap', fromSeq: lostSeq }]);
    expect(second.meta.seq).toBeGreaterThan(lostSeq);
    expect(second.snapshot.generation).toBeGreaterThan(handler.of('snapshot')[0]?.snapshot.generation ?? 0);
    // The lost delta never arrived, and the health event behind the gap was not delivered out of order.
    expect(handler.of('delta')).toEqual([]);
    expect(handler.of('healthEvent')).toEqual([]);
    // The snapshot closed the gap: acks cover it and the agent forgets everything before.
    await eventually(() => agent.lastAckedSeq >= second.meta.seq, { timeoutMs: 2000, what: 'ack of the resync snapshot' });
  });

  it('reconnects with backoff after an operator restart and resends what was never acked', async () => {
    const first = await startServer(loopback.pki, { pingPolicy: testPingPolicy });
    const port = first.port;
    const delays: number[] = [];
    const agent = newAgent(loopback.pki, port, 'alpha', { observer: { onRetryScheduled: (ms) => delays.push(ms) } });
    track(agent);
    agent.start();
    await eventually(() => first.handler.of('snapshot').length === 1 && agent.pending === 0, { timeoutMs: 5000, what: 'first session settled' });
    const ackedBefore = agent.lastAckedSeq;

    await first.server.stop(0);
    await eventually(() => !agent.connected, { timeoutMs: 2000, what: 'agent notices the operator is gone' });
    // Queued while the operator is away: these must survive in the outbox and arrive after the restart.
    const lostEventSeq = agent.sendHealthEvent({ eventId: 'while-down', code: 'nvidia.xid.79', severity: 'SEVERITY_FATAL' });
    await eventually(() => delays.length >= 4, { timeoutMs: 3000, what: 'several failed attempts' });

    const second = await startServer(loopback.pki, { port, pingPolicy: testPingPolicy });
    track(second.server);
    const ev = await eventually(() => second.handler.of('healthEvent')[0] ?? false, { timeoutMs: 5000, what: 'resent health event' });
    expect(ev.event.eventId).toBe('while-down');
    expect(ev.meta.seq).toBe(lostEventSeq);
    expect(ev.meta.seq).toBeGreaterThan(ackedBefore);
    expect(agent.sessions).toBe(2);
    await eventually(() => agent.lastAckedSeq >= lostEventSeq, { timeoutMs: 2000, what: 'ack after restart' });

    // Capped exponential backoff with ±20 % jitter and random fixed at 0.5, i.e. the middle of each window:
    // 50, 100, 200, then the cap: the window [320, 480] is cut at 400, so its middle is 360.
    expect(delays.slice(0, 4)).toEqual([50, 100, 200, 360]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(400);
  });
});
