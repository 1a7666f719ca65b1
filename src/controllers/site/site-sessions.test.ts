import { describe, expect, it } from 'vitest';
import type { SiteName } from '../../wire/identity.ts';
import type { Registration } from '../../wire/site-agent-handler.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { SiteSessions } from './site-sessions.ts';
import { meta, T0, wirePool } from './testing.ts';

const SITE = 'shanghai' as SiteName;
const S = 1000;

function registration(sessionId: string, agentInstanceId = 'i1'): Registration {
  return { sessionId, agentInstanceId, agentVersion: '0.1.0', protocolVersion: 1, capabilities: ['deltas'], peer: '127.0.0.1:5555' };
}

function setup(opts: { maxHealthEvents?: number } = {}) {
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
});
