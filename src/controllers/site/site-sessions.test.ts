import { describe, expect, it } from 'vitest';
import type { SiteName } from '../../wire/identity.ts';
import type { Registration } from '../../wire/site-agent-handler.ts';
import type { DeviceUpdate__Output as DeviceUpdate } from '../../wire/generated/suanwang/agent/v1/DeviceUpdate.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { SiteSessions } from './site-sessions.ts';
import { meta, T0, wirePool } from './testing.ts';

const SITE = 'shanghai' as SiteName;
const S = 1000;

function registration(sessionId: string, agentInstanceId = 'i1'): Registration {
  return { sessionId, agentInstanceId, agentVersion: '0.1.0', protocolVersion: 1, capabilities: ['deltas'], peer: '127.0.0.1:5555' };
}

function setup(opts: { maxHealthEvents?: number; maxHealthEventBytes?: number; reportBounds?: { maxPools?: number; maxNodes?: number; maxDevices?: number } } = {}) {
  const clock = new FakeClock(T0);
  const changes: string[] = [];
  const resyncs: string[] = [];
  const sessions = new SiteSessions({
    clock,
    leaseMs: 40_000,
    onChange: (site) => changes.push(site),
    requestResync: (site, reason) => resyncs.push(`${site}: ${reason}`),
    ...opts,
  });
  return { clock, sessions, changes, resyncs };
}

describe('SiteSessions', () => {
  it('replaces pools on a snapshot and applies deltas on top', () => {
    const { sessions, changes } = setup();
    sessions.onRegister(SITE, registration('s1'));
    const h100 = wirePool('h100')
      .nvidia('H100')
      .health({ healthy: 2 })
      .device('GPU-a', 'HEALTH_STATUS_HEALTHY')
      .device('GPU-b', 'HEALTH_STATUS_HEALTHY')
      .obj();
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [h100, wirePool('cpu').nodes(2).obj(), wirePool('old').obj()] }, meta(T0, 1));
    sessions.onDelta(
      SITE,
      {
        baseGeneration: 1,
        generation: 2,
        upsertedPools: [wirePool('cpu').nodes(4).obj()],
        removedPoolNames: ['old'],
        deviceUpdates: [{ pool: 'h100', deviceId: 'GPU-b', health: { status: 'HEALTH_STATUS_UNHEALTHY', reasons: ['nvidia.xid.79'] } }],
      },
      meta(T0 + 1 * S, 2),
    );

    const view = sessions.get(SITE);
    expect([...(view?.pools?.keys() ?? [])].sort()).toEqual(['cpu', 'h100']);
    expect(view?.pools?.get('cpu')?.nodes).toHaveLength(4);
    const gpu = view?.pools?.get('h100');
    expect(gpu?.devices?.find((d) => d.id === 'GPU-b')?.health).toEqual({ status: 'HEALTH_STATUS_UNHEALTHY', reasons: ['nvidia.xid.79'] });
    expect(gpu?.deviceHealth).toEqual({ healthy: 1, unhealthy: 1 });
    expect(view?.generation).toBe(2);
    expect(changes.every((s) => s === SITE)).toBe(true);
    expect(changes).toHaveLength(3);

    // A fresh snapshot is the whole truth again.
    sessions.onSnapshot(SITE, { site: SITE, generation: 3, nodePools: [wirePool('only').obj()] }, meta(T0 + 2 * S, 3));
    expect([...(sessions.get(SITE)?.pools?.keys() ?? [])]).toEqual(['only']);
  });

  it('leaves views handed out earlier untouched', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [wirePool('a').obj()] }, meta(T0, 1));
    const before = sessions.get(SITE);
    sessions.onDelta(SITE, { baseGeneration: 1, generation: 2, removedPoolNames: ['a'] }, meta(T0, 2));
    expect([...(before?.pools?.keys() ?? [])]).toEqual(['a']);
    expect(sessions.get(SITE)?.pools?.size).toBe(0);
  });

  it('does not apply a delta to a state it does not hold, and asks for a snapshot', () => {
    const { sessions, resyncs } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onDelta(SITE, { baseGeneration: 4, generation: 5, upsertedPools: [wirePool('x').obj()] }, meta(T0, 1));
    expect(sessions.get(SITE)?.pools).toBeUndefined();
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [] }, meta(T0, 2));
    sessions.onDelta(SITE, { baseGeneration: 7, generation: 8, upsertedPools: [wirePool('x').obj()] }, meta(T0, 3));
    expect(sessions.get(SITE)?.pools?.size).toBe(0);
    expect(resyncs).toEqual(['shanghai: delta for generation 4, operator has no snapshot', 'shanghai: delta for generation 7, operator has generation 1']);
  });

  it('counts consecutive heartbeats and starts over after a gap longer than the lease', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onHeartbeat(SITE, {}, meta(T0, 1));
    sessions.onHeartbeat(SITE, {}, meta(T0 + 10 * S, 2));
    expect(sessions.get(SITE)).toMatchObject({ consecutiveHeartbeats: 2, lastHeartbeatAt: T0 + 10 * S, runStartedBy: 'connect' });
    sessions.onHeartbeat(SITE, {}, meta(T0 + 51 * S, 3));
    expect(sessions.get(SITE)).toMatchObject({ consecutiveHeartbeats: 1, lastHeartbeatAt: T0 + 51 * S, runStartedBy: 'leaseExpiry' });
  });

  it('marks a disconnect, and a reconnect starts the count over but keeps what was known', () => {
    const { clock, sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [wirePool('a').obj()] }, meta(T0, 1));
    sessions.onHeartbeat(SITE, {}, meta(T0, 2));
    clock.advance(5 * S);
    sessions.onDisconnect(SITE, { sessionId: 's1', agentInstanceId: 'i1', reason: 'stream cancelled or connection lost' });
    expect(sessions.get(SITE)).toMatchObject({
      connected: false,
      disconnectedAt: T0 + 5 * S,
      disconnectReason: 'stream cancelled or connection lost',
      consecutiveHeartbeats: 0,
    });

    clock.advance(2 * S);
    sessions.onRegister(SITE, registration('s2'));
    const view = sessions.get(SITE);
    expect(view).toMatchObject({ connected: true, sessionId: 's2', registeredAt: T0 + 7 * S, lastMessageAt: undefined, lastHeartbeatAt: T0, generation: 1 });
    expect(view?.pools?.has('a')).toBe(true);
  });

  it("ignores the end of a superseded session's stream", () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onRegister(SITE, registration('s2'));
    sessions.onDisconnect(SITE, { sessionId: 's1', agentInstanceId: 'i1', reason: 'superseded by a newer session of the same site' });
    expect(sessions.get(SITE)).toMatchObject({ connected: true, sessionId: 's2' });
  });

  it('forgets generations when a new agent instance registers', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1', 'i1'));
    sessions.onSnapshot(SITE, { site: SITE, generation: 9, nodePools: [] }, meta(T0, 1));
    sessions.onRegister(SITE, registration('s2', 'i2'));
    expect(sessions.get(SITE)?.generation).toBeUndefined();
  });

  it('keeps the latest health events, bounded, without repeats', () => {
    const { sessions } = setup({ maxHealthEvents: 2 });
    sessions.onRegister(SITE, registration('s1'));
    for (const [i, id] of ['e1', 'e2', 'e2', 'e3'].entries()) {
      sessions.onHealthEvent(SITE, { eventId: id, code: 'nvidia.xid.79' }, meta(T0 + i, i + 1));
    }
    expect(sessions.get(SITE)?.healthEvents.map((r) => r.event.eventId)).toEqual(['e2', 'e3']);
  });

  it('records message arrival only for the current session', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    sessions.onRegister(SITE, registration('s2'));
    sessions.onHeartbeat(SITE, {}, meta(T0 + 3 * S, 1, 's1'));
    expect(sessions.get(SITE)).toMatchObject({ lastMessageAt: undefined, lastHeartbeatAt: T0 + 3 * S });
    sessions.onHeartbeat(SITE, {}, meta(T0 + 4 * S, 2, 's2'));
    expect(sessions.get(SITE)?.lastMessageAt).toBe(T0 + 4 * S);
  });

  it('keeps health events within a byte budget too, and counts every event it does not keep', () => {
    const { sessions, changes } = setup({ maxHealthEvents: 10, maxHealthEventBytes: 1000 });
    sessions.onRegister(SITE, registration('s1'));
    // Each event weighs a little over 300 bytes: three fit in 1,000 bytes, a fourth pushes the oldest out.
    for (let i = 1; i <= 5; i++) {
      sessions.onHealthEvent(SITE, { eventId: `e${i}`, code: 'nvidia.xid.79', message: 'x'.repeat(300) }, meta(T0 + i, i));
    }
    let view = sessions.get(SITE);
    expect(view?.healthEvents.map((r) => r.event.eventId)).toEqual(['e3', 'e4', 'e5']);
    expect(view?.healthEvents.reduce((n, r) => n + r.bytes, 0)).toBeLessThanOrEqual(1000);
    expect(view?.dropped.healthEvents).toBe(2);

    // One event bigger than the whole budget is never kept, and what was kept stays.
    const before = changes.length;
    sessions.onHealthEvent(SITE, { eventId: 'huge', code: 'nvidia.xid.79', message: 'x'.repeat(5000) }, meta(T0 + 9, 6));
    view = sessions.get(SITE);
    expect(view?.healthEvents.map((r) => r.event.eventId)).toEqual(['e3', 'e4', 'e5']);
    expect(view?.dropped.healthEvents).toBe(3);
    expect(changes.length).toBe(before + 1);

    // The count bound still holds, and evictions by count are counted as well.
    const small = setup({ maxHealthEvents: 2 });
    small.sessions.onRegister(SITE, registration('s1'));
    for (let i = 1; i <= 5; i++) small.sessions.onHealthEvent(SITE, { eventId: `s${i}` }, meta(T0 + i, i));
    expect(small.sessions.get(SITE)?.healthEvents.map((r) => r.event.eventId)).toEqual(['s4', 's5']);
    expect(small.sessions.get(SITE)?.dropped.healthEvents).toBe(3);
  });

  it('bounds health events by bytes by default', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    // 64 events of 1 MiB each: without a byte bound the operator would hold 64 MiB for one site.
    const mib = 'x'.repeat(2 ** 20);
    for (let i = 1; i <= 64; i++) sessions.onHealthEvent(SITE, { eventId: `e${i}`, message: mib }, meta(T0 + i, i));
    const kept = sessions.get(SITE)?.healthEvents ?? [];
    expect(kept.reduce((n, r) => n + (r.event.message?.length ?? 0), 0)).toBeLessThanOrEqual(2 ** 20);
    expect(sessions.get(SITE)?.dropped.healthEvents).toBeGreaterThanOrEqual(63);
  });

  it('truncates a report of 50,000 pools to the bound, counts what it dropped and says so', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    const pools = Array.from({ length: 50_000 }, (_, i) => wirePool(`p${String(i).padStart(5, '0')}`).nodes(1).obj());
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: pools }, meta(T0, 1));
    const view = sessions.get(SITE);
    const kept = view?.pools?.size ?? Infinity;
    // The bound is generous for a real site (a few hundred pools) and far below 50,000.
    expect(kept).toBeGreaterThanOrEqual(128);
    expect(kept).toBeLessThanOrEqual(1024);
    // The pools kept are the first ones the agent sent, in its (name) order.
    expect([...(view?.pools?.keys() ?? [])].slice(0, 2)).toEqual(['p00000', 'p00001']);
    expect(view?.dropped).toMatchObject({ pools: 50_000 - kept, nodes: 50_000 - kept, devices: 0 });
    expect(view?.truncation).toMatch(new RegExp(`^report over the operator's bounds \\(at most ${kept} pools, \\d+ nodes, \\d+ devices\\): ${50_000 - kept} pools with ${50_000 - kept} nodes and 0 devices dropped$`));

    // A report that fits is whole again, and says nothing.
    sessions.onSnapshot(SITE, { site: SITE, generation: 2, nodePools: pools.slice(0, 3) }, meta(T0, 2));
    expect(sessions.get(SITE)?.pools?.size).toBe(3);
    expect(sessions.get(SITE)?.truncation).toBeUndefined();
    expect(sessions.get(SITE)?.dropped.pools).toBe(50_000 - kept);
  });

  it('bounds nodes and devices per site as well, keeping whole pools in the order sent', () => {
    const { sessions } = setup({ reportBounds: { maxPools: 10, maxNodes: 5, maxDevices: 3 } });
    sessions.onRegister(SITE, registration('s1'));
    const gpu = (name: string, devices: number) => {
      let b = wirePool(name).nvidia('H100').nodes(1);
      for (let d = 0; d < devices; d++) b = b.device(`${name}-${d}`, 'HEALTH_STATUS_HEALTHY');
      return b.obj();
    };
    const report = [wirePool('a').nodes(3).obj(), wirePool('b').nodes(3).obj(), gpu('c', 2), gpu('d', 2), wirePool('e').nodes(1).obj()];
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: report }, meta(T0, 1));
    const view = sessions.get(SITE);
    // a (3 nodes) fits; b would make 6 nodes; c (1 node, 2 devices) fits; d would make 4 devices; e fits (5 nodes).
    expect([...(view?.pools?.keys() ?? [])]).toEqual(['a', 'c', 'e']);
    expect(view?.dropped).toMatchObject({ pools: 2, nodes: 4, devices: 2 });
  });

  it('keeps deltas from growing the state past the bounds', () => {
    const { sessions } = setup({ reportBounds: { maxPools: 3 } });
    sessions.onRegister(SITE, registration('s1'));
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [wirePool('a').obj(), wirePool('b').obj()] }, meta(T0, 1));
    sessions.onDelta(SITE, { baseGeneration: 1, generation: 2, upsertedPools: ['c', 'd', 'e'].map((n) => wirePool(n).obj()) }, meta(T0, 2));
    const view = sessions.get(SITE);
    expect([...(view?.pools?.keys() ?? [])]).toEqual(['a', 'b', 'c']);
    expect(view?.generation).toBe(2);
    expect(view?.dropped.pools).toBe(2);
    expect(view?.truncation).toMatch(/2 pools with 0 nodes and 0 devices dropped/);
  });

  it('applies many device updates of one delta in one pass', () => {
    const { sessions } = setup();
    sessions.onRegister(SITE, registration('s1'));
    let b = wirePool('h100').nvidia('H100').nodes(1).health({ healthy: 2000 });
    for (let d = 0; d < 2000; d++) b = b.device(`GPU-${d}`, 'HEALTH_STATUS_HEALTHY');
    sessions.onSnapshot(SITE, { site: SITE, generation: 1, nodePools: [b.obj()] }, meta(T0, 1));
    const deviceUpdates: DeviceUpdate[] = Array.from({ length: 2000 }, (_, d) => ({
      pool: 'h100',
      deviceId: `GPU-${d}`,
      health: { status: d % 2 === 0 ? 'HEALTH_STATUS_UNHEALTHY' : 'HEALTH_STATUS_HEALTHY' },
    }));
    // The same device twice in one delta: the later update wins, and the counts move once.
    deviceUpdates.push({ pool: 'h100', deviceId: 'GPU-0', health: { status: 'HEALTH_STATUS_DEGRADED' } });
    deviceUpdates.push({ pool: 'nope', deviceId: 'GPU-1', health: { status: 'HEALTH_STATUS_UNHEALTHY' } });
    sessions.onDelta(SITE, { baseGeneration: 1, generation: 2, deviceUpdates }, meta(T0, 2));
    const pool = sessions.get(SITE)?.pools?.get('h100');
    expect(pool?.deviceHealth).toEqual({ healthy: 1000, unhealthy: 999, degraded: 1 });
    expect(pool?.devices?.[0]?.health?.status).toBe('HEALTH_STATUS_DEGRADED');
    expect(pool?.devices?.[2]?.health?.status).toBe('HEALTH_STATUS_UNHEALTHY');
  });

  it('counts the messages the wire dropped over the rate limit, without waking the controller each time', () => {
    const { sessions, changes } = setup();
    sessions.onRegister(SITE, registration('s1'));
    const before = changes.length;
    for (let i = 1; i <= 100; i++) sessions.onRateLimited(SITE, { dropped: i, kind: 'healthEvent' });
    expect(sessions.get(SITE)?.dropped.rateLimited).toBe(100);
    expect(changes.length).toBe(before);
    // A site the operator holds nothing for yet gets no state (it would look connected); the wire's running total
    // arrives with its next drop after it registered.
    const other = 'other' as SiteName;
    sessions.onRateLimited(other, { dropped: 7, kind: 'register' });
    expect(sessions.get(other)).toBeUndefined();
    sessions.onRegister(other, registration('o1'));
    sessions.onRateLimited(other, { dropped: 8, kind: 'heartbeat' });
    expect(sessions.get(other)?.dropped.rateLimited).toBe(8);
  });
});

describe('SiteSessions and refused certificates', () => {
  const refusal = { reason: 'CertificateRevoked', message: 'client certificate sha256:ab12 is revoked', sha256: 'ab12' } as const;

  it('remembers the latest refusal, waking the controller only when it says something new', () => {
    const { sessions, changes, clock } = setup();
    sessions.onCertificateRefused(SITE, refusal);
    clock.advance(5 * S);
    sessions.onCertificateRefused(SITE, refusal); // the agent retrying with the same certificate
    expect(changes).toEqual([SITE]);
    expect(sessions.get(SITE)).toMatchObject({ connected: false, refusal: { reason: 'CertificateRevoked', message: refusal.message, at: T0 + 5 * S } });
    sessions.onCertificateRefused(SITE, { ...refusal, reason: 'CertificateNotPinned', message: 'another' });
    expect(changes).toEqual([SITE, SITE]);
  });

  it('forgets it when a Register succeeds', () => {
    const { sessions } = setup();
    sessions.onCertificateRefused(SITE, refusal);
    sessions.onRegister(SITE, registration('s1'));
    expect(sessions.get(SITE)?.refusal).toBeUndefined();
    expect(sessions.get(SITE)?.connected).toBe(true);
  });
});
