import { describe, expect, it } from 'vitest';
import type { Condition, Site, SiteStatus } from '../../api/generated/types.ts';
import type { SiteName } from '../../wire/identity.ts';
import { SiteSessions, type SessionView } from './site-sessions.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { computeSiteStatus, nextCheckIn, statusEqual, type SiteStatusConfig } from './site-status.ts';
import { makeSession, makeSite, meta, T0, wirePool, withStatus } from './testing.ts';
import { readCrdSchema, validateAgainst } from '../../api/crd-validation.ts';
import { REPO_ROOT } from '../../api/generate.ts';

const CFG: SiteStatusConfig = { leaseMs: 40_000, successThreshold: 2 };
const S = 1000;

function cond(status: SiteStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** brief renders a condition as "Status/Reason" for compact expectations. */
function brief(c: Condition | undefined): string {
  return c === undefined ? 'absent' : `${c.status}/${c.reason}`;
}

describe('computeSiteStatus conditions', () => {
  interface Case {
    readonly name: string;
    readonly site?: Site;
    readonly session: SessionView | undefined;
    readonly now: number;
    readonly cfg?: SiteStatusConfig;
    readonly wantReady: string;
    readonly wantAgent: string;
    readonly wantHeartbeat?: string | undefined;
  }
  const readyTrue = (at: number): SiteStatus => ({
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: formatTime(at), reason: 'AgentReporting', message: 'heartbeats arrive within the 40s lease' },
    ],
    lastHeartbeatTime: formatTime(at),
  });
  const leaseExpired: SiteStatus = {
    conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: formatTime(T0), reason: 'LeaseExpired', message: 'x' }],
    lastHeartbeatTime: formatTime(T0 - 60 * S),
  };
  const cases: Case[] = [
    { name: 'never connected', session: undefined, now: T0, wantReady: 'Unknown/AgentNeverConnected', wantAgent: 'False/AgentNeverConnected' },
    {
      name: 'connected, no heartbeat yet',
      session: makeSession().obj(),
      now: T0 + 1 * S,
      wantReady: 'Unknown/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'one heartbeat is below the threshold',
      session: makeSession().heartbeats(1, T0 + 10 * S).obj(),
      now: T0 + 10 * S,
      wantReady: 'Unknown/AgentReporting',
      wantAgent: 'True/AgentReporting',
      wantHeartbeat: formatTime(T0 + 10 * S),
    },
    {
      name: 'two heartbeats make it Ready',
      session: makeSession().heartbeats(2, T0 + 20 * S).obj(),
      now: T0 + 20 * S,
      wantReady: 'True/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'at exactly the lease it is still Ready',
      session: makeSession().heartbeats(5, T0).obj(),
      now: T0 + 40 * S,
      wantReady: 'True/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'past the lease it is Unknown',
      session: makeSession().heartbeats(5, T0).obj(),
      now: T0 + 40 * S + 1,
      wantReady: 'Unknown/LeaseExpired',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'after an expired lease one heartbeat keeps it Unknown',
      site: makeSite('shanghai').status(leaseExpired).obj(),
      session: makeSession().heartbeats(1, T0 + 5 * S).afterLeaseExpiry().obj(),
      now: T0 + 5 * S,
      wantReady: 'Unknown/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'after an expired lease the threshold makes it Ready again',
      site: makeSite('shanghai').status(leaseExpired).obj(),
      session: makeSession().heartbeats(2, T0 + 15 * S).afterLeaseExpiry().obj(),
      now: T0 + 15 * S,
      wantReady: 'True/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'a reconnect inside the lease keeps Ready True',
      site: makeSite('shanghai').status(readyTrue(T0)).obj(),
      session: makeSession().heartbeats(1, T0 + 12 * S).obj(),
      now: T0 + 12 * S,
      wantReady: 'True/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'a heartbeat after a gap longer than the lease does not keep a stale True',
      site: makeSite('shanghai').status(readyTrue(T0)).obj(),
      session: makeSession().heartbeats(1, T0 + 60 * S).afterLeaseExpiry().obj(),
      now: T0 + 60 * S,
      wantReady: 'Unknown/AgentReporting',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'cordoned and alive',
      site: makeSite('shanghai').cordon().obj(),
      session: makeSession().heartbeats(3, T0).obj(),
      now: T0 + 1 * S,
      wantReady: 'False/Cordoned',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'cordoned and silent: liveness wins',
      site: makeSite('shanghai').cordon().obj(),
      session: makeSession().heartbeats(3, T0).obj(),
      now: T0 + 41 * S,
      wantReady: 'Unknown/LeaseExpired',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'disconnected inside the lease: Ready holds until the lease runs out',
      site: makeSite('shanghai').status(readyTrue(T0)).obj(),
      session: makeSession().heartbeats(4, T0).disconnected(T0 + 1 * S).obj(),
      now: T0 + 5 * S,
      wantReady: 'True/AgentReporting',
      wantAgent: 'False/AgentDisconnected',
    },
    {
      name: 'disconnected past the lease',
      session: makeSession().heartbeats(4, T0).disconnected(T0 + 1 * S).obj(),
      now: T0 + 45 * S,
      wantReady: 'Unknown/LeaseExpired',
      wantAgent: 'False/AgentDisconnected',
    },
    {
      name: 'disconnected before any heartbeat',
      session: makeSession().disconnected(T0 + 1 * S).obj(),
      now: T0 + 2 * S,
      wantReady: 'Unknown/AgentDisconnected',
      wantAgent: 'False/AgentDisconnected',
    },
    {
      name: 'registered but no stream within the lease',
      session: makeSession().noMessageYet().obj(),
      now: T0 + 41 * S,
      wantReady: 'Unknown/AgentReporting',
      wantAgent: 'False/AgentDisconnected',
    },
    {
      name: 'silent past lostAfter: lost',
      session: makeSession().heartbeats(4, T0).obj(),
      now: T0 + 301 * S,
      cfg: { ...CFG, lostAfterMs: 300_000 },
      wantReady: 'False/SiteLost',
      wantAgent: 'True/AgentReporting',
    },
    {
      name: 'operator restarted: a full lease from its start before Unknown',
      site: makeSite('shanghai').status(readyTrue(T0)).obj(),
      session: undefined,
      now: T0 + 60 * S,
      cfg: { ...CFG, startedAt: T0 + 30 * S },
      wantReady: 'True/AgentReporting',
      wantAgent: 'False/AgentDisconnected',
      wantHeartbeat: formatTime(T0),
    },
    {
      name: 'operator restarted and the agent stayed away',
      site: makeSite('shanghai').status(readyTrue(T0)).obj(),
      session: undefined,
      now: T0 + 71 * S,
      cfg: { ...CFG, startedAt: T0 + 30 * S },
      wantReady: 'Unknown/LeaseExpired',
      wantAgent: 'False/AgentDisconnected',
    },
  ];
  it.each(cases)('$name', (c) => {
    const site = c.site ?? makeSite('shanghai').obj();
    const got = computeSiteStatus(site, c.session, c.now, c.cfg ?? CFG);
    expect(brief(cond(got, 'Ready'))).toBe(c.wantReady);
    expect(brief(cond(got, 'AgentConnected'))).toBe(c.wantAgent);
    if ('wantHeartbeat' in c) expect(got.lastHeartbeatTime).toBe(c.wantHeartbeat);
    expect(got.observedGeneration).toBe(1);
  });

  it('keeps the previous AgentConnected for one lease after an operator start, then says it is gone', () => {
    const prev: SiteStatus = {
      conditions: [{ type: 'AgentConnected', status: 'True', lastTransitionTime: formatTime(T0), reason: 'AgentReporting', message: 'agent 0.1.0 connected (session s0)' }],
      lastHeartbeatTime: formatTime(T0),
    };
    const site = makeSite('shanghai').status(prev).obj();
    const cfg = { ...CFG, startedAt: T0 + 5 * S };
    expect(cond(computeSiteStatus(site, undefined, T0 + 45 * S, cfg), 'AgentConnected')).toEqual(prev.conditions?.[0] && { ...prev.conditions[0], observedGeneration: 1 });
    expect(brief(cond(computeSiteStatus(site, undefined, T0 + 46 * S, cfg), 'AgentConnected'))).toBe('False/AgentDisconnected');
  });

  it.each([
    { reason: 'LeaseExpired', status: 'Unknown' as const },
    { reason: 'SiteLost', status: 'False' as const },
  ])('keeps a written $status/$reason through the restart grace instead of calling the site reporting', ({ reason, status }) => {
    const prev: SiteStatus = {
      conditions: [{ type: 'Ready', status, lastTransitionTime: formatTime(T0), reason, message: 'm' }],
      lastHeartbeatTime: formatTime(T0 - 600 * S),
    };
    const site = makeSite('shanghai').status(prev).obj();
    const cfg = { ...CFG, startedAt: T0 + 5 * S };
    expect(brief(cond(computeSiteStatus(site, undefined, T0 + 10 * S, cfg), 'Ready'))).toBe(`${status}/${reason}`);
    // The agent is back but has not beaten yet: still nothing heard to change the verdict.
    expect(brief(cond(computeSiteStatus(site, makeSession().obj(), T0 + 10 * S, cfg), 'Ready'))).toBe(`${status}/${reason}`);
    // Its first heartbeat: reporting, not yet Ready.
    const beating = makeSession().heartbeats(1, T0 + 12 * S).obj();
    expect(brief(cond(computeSiteStatus(site, beating, T0 + 12 * S, cfg), 'Ready'))).toBe('Unknown/AgentReporting');
  });

  it('says in the lease-expired message when the agent was last heard from, not the restart grace', () => {
    const site = makeSite('shanghai').status({ lastHeartbeatTime: formatTime(T0) }).obj();
    const got = computeSiteStatus(site, undefined, T0 + 100 * S, { ...CFG, startedAt: T0 + 30 * S });
    expect(cond(got, 'Ready')?.message).toContain(`last at ${formatTime(T0)}`);
  });
});

describe('Ready over time (sessions and status together)', () => {
  /** run feeds heartbeats at the given seconds and reconciles every `lookEvery` seconds; returns Ready per look. */
  function run(beatsAt: number[], looksAt: number[]): string[] {
    const sessions = new SiteSessions({ clock: { now: () => T0 }, leaseMs: CFG.leaseMs, onChange: () => {} });
    const site = 'shanghai' as SiteName;
    sessions.onRegister(site, { sessionId: 's1', agentInstanceId: 'i1', agentVersion: '0.1.0', protocolVersion: 1, capabilities: [], peer: 'p' });
    let obj = makeSite('shanghai').obj();
    const seen: string[] = [];
    const events = [...beatsAt.map((t) => ({ t, beat: true })), ...looksAt.map((t) => ({ t, beat: false }))].sort(
      (a, b) => a.t - b.t || Number(b.beat) - Number(a.beat),
    );
    let seq = 0;
    for (const e of events) {
      if (e.beat) {
        sessions.onHeartbeat(site, {}, meta(T0 + e.t * S, ++seq));
        continue;
      }
      obj = withStatus(obj, computeSiteStatus(obj, sessions.get(site), T0 + e.t * S, CFG));
      seen.push(brief(obj.status?.conditions?.find((c) => c.type === 'Ready')));
    }
    return seen;
  }

  it('turns True after two heartbeats and Unknown when they stop', () => {
    expect(run([0, 10, 20], [0, 10, 20, 60, 61])).toEqual([
      'Unknown/AgentReporting',
      'True/AgentReporting',
      'True/AgentReporting',
      'True/AgentReporting',
      'Unknown/LeaseExpired',
    ]);
  });

  it('never bounces a flapping agent back to True', () => {
    // One heartbeat, then silence longer than the lease, again and again.
    expect(run([0, 50, 100, 150], [0, 45, 50, 95, 100, 145, 150])).toEqual([
      'Unknown/AgentReporting',
      'Unknown/LeaseExpired',
      'Unknown/AgentReporting',
      'Unknown/LeaseExpired',
      'Unknown/AgentReporting',
      'Unknown/LeaseExpired',
      'Unknown/AgentReporting',
    ]);
  });

  it('does not bounce to True when nobody looked during the gap', () => {
    // True at 10 s; the next look comes after a 50 s gap and one fresh heartbeat.
    expect(run([0, 10, 60], [10, 60])).toEqual(['True/AgentReporting', 'Unknown/AgentReporting']);
  });

  it('returns to True only after the threshold once the agent is back', () => {
    expect(run([0, 10, 60, 70], [10, 55, 60, 70])).toEqual([
      'True/AgentReporting',
      'Unknown/LeaseExpired',
      'Unknown/AgentReporting',
      'True/AgentReporting',
    ]);
  });
});

describe('computeSiteStatus bookkeeping', () => {
  it('gives an identical status for unchanged input, so nothing is written', () => {
    const session = makeSession().heartbeats(3, T0 + 20 * S).pools(wirePool('cpu').nodes(2).obj()).obj();
    const first = computeSiteStatus(makeSite('shanghai').obj(), session, T0 + 20 * S, CFG);
    const site = withStatus(makeSite('shanghai').obj(), first);
    const again = computeSiteStatus(site, session, T0 + 25 * S, CFG);
    expect(statusEqual(site.status, again)).toBe(true);
    expect(again).toEqual(first);
  });

  it('moves lastTransitionTime only when the status moves', () => {
    const t1 = T0 + 1 * S;
    const first = computeSiteStatus(makeSite('shanghai').obj(), undefined, T0, CFG);
    // Unknown/AgentNeverConnected → Unknown/AgentReporting: same status, new reason, same transition time.
    const second = computeSiteStatus(withStatus(makeSite('shanghai').obj(), first), makeSession().obj(), t1, CFG);
    expect(cond(second, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'AgentReporting', lastTransitionTime: formatTime(T0) });
    expect(cond(second, 'AgentConnected')).toMatchObject({ status: 'True', lastTransitionTime: formatTime(t1) });
  });

  it('keeps conditions of other types and records observedGeneration on every condition', () => {
    const other: Condition = { type: 'Audited', status: 'True', lastTransitionTime: formatTime(T0), reason: 'Ok', message: '' };
    const site = makeSite('shanghai').generation(7).status({ conditions: [other] }).obj();
    const got = computeSiteStatus(site, undefined, T0, CFG);
    expect(got.conditions?.map((c) => c.type)).toEqual(['Ready', 'AgentConnected', 'Audited', 'Reconciling']);
    expect(got.observedGeneration).toBe(7);
    expect(cond(got, 'Ready')?.observedGeneration).toBe(7);
    expect(cond(got, 'Audited')).toEqual(other);
  });

  it('keeps the last written pools and version until the agent reports to this operator', () => {
    const site = makeSite('shanghai').status({ agentVersion: '0.0.9', nodePools: [{ name: 'old', nodes: 3 }] }).obj();
    expect(computeSiteStatus(site, undefined, T0, CFG)).toMatchObject({ agentVersion: '0.0.9', nodePools: [{ name: 'old', nodes: 3 }] });
    const reported = makeSession().pools(wirePool('new').nodes(1).obj()).obj();
    expect(computeSiteStatus(site, reported, T0, CFG).nodePools?.map((p) => p.name)).toEqual(['new']);
  });
});

describe('lastHeartbeatTime write rule', () => {
  const steady = (beatAt: number): SessionView => makeSession().heartbeats(5, beatAt).obj();
  /** written is a Site whose status was written at a heartbeat `sec` seconds after T0. */
  const written = (sec: number): Site => {
    const beatAt = T0 + sec * S;
    const s = computeSiteStatus(makeSite('shanghai').obj(), steady(beatAt), beatAt, CFG);
    return withStatus(makeSite('shanghai').obj(), s);
  };

  it.each([
    { name: 'first heartbeat is written', site: makeSite('shanghai').obj(), beat: 10, want: 10 },
    { name: 'one heartbeat later: the written time stays (no write)', site: written(0), beat: 10, want: 0 },
    { name: 'half a lease later: moves forward', site: written(0), beat: 20, want: 20 },
    { name: 'just under half a lease: stays', site: written(0), beat: 19.999, want: 0 },
  ])('$name', ({ site, beat, want }) => {
    const got = computeSiteStatus(site, steady(T0 + beat * S), T0 + beat * S, CFG);
    expect(got.lastHeartbeatTime).toBe(formatTime(T0 + want * S));
  });

  it('moves forward with any other change', () => {
    const site = written(0);
    const session = makeSession().heartbeats(5, T0 + 10 * S).pools(wirePool('cpu').nodes(1).obj()).obj();
    expect(computeSiteStatus(site, session, T0 + 10 * S, CFG).lastHeartbeatTime).toBe(formatTime(T0 + 10 * S));
  });

  it('follows a configured refresh period', () => {
    const got = computeSiteStatus(written(0), steady(T0 + 10 * S), T0 + 10 * S, { ...CFG, heartbeatRefreshMs: 10_000 });
    expect(got.lastHeartbeatTime).toBe(formatTime(T0 + 10 * S));
  });
});

describe('nextCheckIn', () => {
  it.each([
    { name: 'no heartbeat, nothing pending', session: makeSession().obj(), now: T0, want: undefined },
    { name: 'lease from the last heartbeat', session: makeSession().heartbeats(2, T0).obj(), now: T0 + 10 * S, want: 30 * S + 1 },
    { name: 'lease over, nothing pending', session: makeSession().heartbeats(2, T0).obj(), now: T0 + 50 * S, want: undefined },
    { name: 'registered without a stream', session: makeSession().noMessageYet().obj(), now: T0 + 5 * S, want: 35 * S + 1 },
  ])('$name', ({ session, now, want }) => {
    expect(nextCheckIn(makeSite('shanghai').obj(), session, now, CFG)).toBe(want);
  });

  it('includes the lost grace once the lease is over', () => {
    const session = makeSession().heartbeats(2, T0).obj();
    expect(nextCheckIn(makeSite('shanghai').obj(), session, T0 + 50 * S, { ...CFG, lostAfterMs: 300_000 })).toBe(250 * S + 1);
  });
});

describe('computeSiteStatus with a report the CRD would refuse', () => {
  const statusSchema = readCrdSchema(REPO_ROOT, 'sites').properties?.['status'];
  /** hostile is a session whose agent reports every kind of value the Site CRD refuses, beside one good pool. */
  const hostile = (): SessionView => {
    const pools = [
      wirePool('cpu').nodes(2).resources({ cpu: '128' }, { cpu: '120' }).obj(),
      // A valid node label value, not a valid pool name.
      wirePool('GPU_Pool').nvidia('A100').nodes(1, { gpus: 8 }).obj(),
      wirePool('huge')
        .nvidia('A100')
        .nodes(1, { gpus: 8 })
        .label('nvidia.com/gpu.memory', '9'.repeat(30))
        .health({ healthy: 2 ** 32 - 1, degraded: 2 ** 32 - 1, unknown: 5 })
        .resources({ cpu: '1e400', memory: '99999999999Ei', 'nvidia.com/gpu': '-1' }, { cpu: '8' })
        .shape(...Array.from({ length: 40 }, (_, i) => ({ nodes: 2 ** 32 - 1, devices: 40 - i, cpu: i === 0 ? '1e400' : '8', memory: '1Ti' })))
        .obj(),
      wirePool('longmodel').nvidia('M'.repeat(200)).nodes(1, { gpus: 8 }).obj(),
      ...Array.from({ length: 200 }, (_, i) => wirePool(`p${String(i).padStart(3, '0')}`).nodes(1).obj()),
    ];
    return makeSession().version('v'.repeat(300)).heartbeats(3, T0).pools(...pools).obj();
  };

  it('writes only what the CRD accepts, and says what it dropped', () => {
    const got = computeSiteStatus(makeSite('shanghai').obj(), hostile(), T0, CFG);

    expect(validateAgainst(got, statusSchema ?? {}, 'status')).toEqual({ errors: [], unevaluated: [] });
    expect(cond(got, 'Ready')).toMatchObject({ status: 'True' });
    const accepted = cond(got, 'ReportAccepted');
    expect(brief(accepted)).toBe('False/InvalidPoolName');
    expect(accepted?.message).toMatch(/GPU_Pool/);
    expect(accepted?.message).toMatch(/128/);
    // The good pool is kept as reported; the bad name is nowhere.
    expect(got.nodePools?.find((p) => p.name === 'cpu')).toEqual({ name: 'cpu', architecture: 'amd64', nodes: 2, readyNodes: 2, capacity: { cpu: '128' }, allocatable: { cpu: '120' } });
    expect(got.nodePools?.some((p) => p.name === 'GPU_Pool')).toBe(false);
    expect(got.nodePools).toHaveLength(128);
    const huge = got.nodePools?.find((p) => p.name === 'huge');
    // Not finite, beyond int64, negative: dropped (an empty list goes with them); a sum beyond int32: clamped.
    expect(huge).toMatchObject({ allocatable: { cpu: '8' }, healthyDevices: 2 ** 31 - 1, unhealthyDevices: 5 });
    expect(huge?.capacity).toBeUndefined();
    expect(huge?.accelerator).toMatchObject({ vendor: 'nvidia', model: 'A100', count: 8 });
    expect(huge?.accelerator?.memory).toBeUndefined();
    // Free shape: 32 buckets kept of 40, the one with a bad quantity dropped, counts clamped.
    expect(huge?.freeShape).toHaveLength(31);
    expect(huge?.freeShape?.[0]).toEqual({ nodes: 2 ** 31 - 1, devices: 39, cpu: '8', memory: '1Ti' });
    // A model the CRD refuses takes the accelerator with it (the model is required): no GPU work goes there.
    expect(got.nodePools?.find((p) => p.name === 'longmodel')).toEqual({ name: 'longmodel', architecture: 'amd64', nodes: 1, readyNodes: 1 });
    expect(got.agentVersion).toBeUndefined();
    expect(cond(got, 'AgentConnected')?.message).not.toMatch(/vvvv/);
  });

  it("says what the session did not keep of the agent's report", () => {
    const session = { ...makeSession().heartbeats(3, T0).pools(wirePool('cpu').nodes(2).obj()).obj(), truncation: 'report over the operator\'s bounds: 3 pools dropped' };
    const got = cond(computeSiteStatus(makeSite('shanghai').obj(), session, T0, CFG), 'ReportAccepted');
    expect(brief(got)).toBe('False/TooManyPools');
    expect(got?.message).toMatch(/nodePools: report over the operator's bounds: 3 pools dropped/);
  });

  it('accepts a clean report and says so', () => {
    const session = makeSession().heartbeats(3, T0).pools(wirePool('cpu').nodes(2).obj()).obj();
    expect(brief(cond(computeSiteStatus(makeSite('shanghai').obj(), session, T0, CFG), 'ReportAccepted'))).toBe('True/ReportValid');
  });
});

describe('computeSiteStatus with the connection check', () => {
  const refused = { ok: false, reason: 'KubeconfigNotAllowed', message: 'site shanghai: Secret suanwang-system/k key "kubeconfig": users[0].user.exec is not allowed' } as const;
  const alive = makeSession().heartbeats(3, T0).obj();

  it('says why the kubeconfig is refused, and takes the site out of placement while it is alive', () => {
    const got = computeSiteStatus(makeSite('shanghai').obj(), alive, T0, CFG, { connection: refused });
    expect(brief(cond(got, 'ConnectionAccepted'))).toBe('False/KubeconfigNotAllowed');
    expect(cond(got, 'ConnectionAccepted')?.message).toMatch(/users\[0\]\.user\.exec is not allowed/);
    expect(brief(cond(got, 'Ready'))).toBe('False/KubeconfigNotAllowed');
  });

  it('leaves liveness first: a silent site is Unknown whatever its kubeconfig', () => {
    const got = computeSiteStatus(makeSite('shanghai').obj(), alive, T0 + 41 * S, CFG, { connection: refused });
    expect(brief(cond(got, 'Ready'))).toBe('Unknown/LeaseExpired');
    expect(brief(cond(got, 'ConnectionAccepted'))).toBe('False/KubeconfigNotAllowed');
  });

  it('accepts a usable one and is Ready as before', () => {
    const got = computeSiteStatus(makeSite('shanghai').obj(), alive, T0, CFG, { connection: { ok: true, secret: 'suanwang-system/k' } });
    expect(brief(cond(got, 'ConnectionAccepted'))).toBe('True/KubeconfigAccepted');
    expect(brief(cond(got, 'Ready'))).toBe('True/AgentReporting');
  });

  it('does not keep a refused-kubeconfig Ready through the restart grace once the Secret is fixed', () => {
    const prev = computeSiteStatus(makeSite('shanghai').obj(), alive, T0, CFG, { connection: refused });
    const site = withStatus(makeSite('shanghai').obj(), { ...prev, lastHeartbeatTime: formatTime(T0) });
    const got = computeSiteStatus(site, undefined, T0 + 1 * S, { ...CFG, startedAt: T0 + 1 * S }, { connection: { ok: true, secret: 'suanwang-system/k' } });
    expect(cond(got, 'Ready')?.reason).not.toBe('KubeconfigNotAllowed');
  });

  it('carries the last ConnectionAccepted and ReportAccepted when nothing was checked in this pass', () => {
    const first = computeSiteStatus(makeSite('shanghai').obj(), alive, T0, CFG, { connection: refused });
    const got = computeSiteStatus(withStatus(makeSite('shanghai').obj(), first), undefined, T0, CFG);
    expect(got.conditions?.map((c) => c.type)).toEqual(['Ready', 'AgentConnected', 'ReportAccepted', 'ConnectionAccepted', 'Stalled']);
    expect(cond(got, 'ConnectionAccepted')).toEqual(cond(first, 'ConnectionAccepted'));
  });
});

describe('computeSiteStatus with a refused agent certificate', () => {
  const site = 'shanghai' as SiteName;
  const revoked = { reason: 'CertificateRevoked', message: 'client certificate sha256:ab12 is revoked (/etc/suanwang/revoked/revoked.txt line 3)', sha256: 'ab12' } as const;
  const notPinned = { reason: 'CertificateNotPinned', message: 'Site shanghai pins its agent certificate (spec.connection.agentCertificateSHA256); this one is sha256:cd34', sha256: 'cd34' } as const;
  const reg = (sessionId: string) => ({ sessionId, agentInstanceId: `i-${sessionId}`, agentVersion: '0.1.0', protocolVersion: 1, capabilities: [], peer: 'p' });
  function setup() {
    let now = T0;
    const sessions = new SiteSessions({ clock: { now: () => now }, leaseMs: CFG.leaseMs, onChange: () => {} });
    return { sessions, at: (t: number) => void (now = t) };
  }

  it('says why an agent that never got in is refused, on AgentConnected and on Ready', () => {
    const { sessions } = setup();
    sessions.onCertificateRefused(site, revoked);
    const got = computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 1 * S, CFG);
    expect(cond(got, 'AgentConnected')).toMatchObject({ status: 'False', reason: 'CertificateRevoked', message: `the agent's client certificate was refused: ${revoked.message}` });
    expect(cond(got, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'CertificateRevoked' });
    expect(got.lastHeartbeatTime).toBeUndefined();
  });

  it('says why when a recheck ends an open session, while liveness keeps its own course', () => {
    const { sessions, at } = setup();
    sessions.onRegister(site, reg('s1'));
    sessions.onHeartbeat(site, {}, meta(T0, 1, 's1', 'i-s1'));
    sessions.onHeartbeat(site, {}, meta(T0 + 10 * S, 2, 's1', 'i-s1'));
    const prev = withStatus(makeSite('shanghai').obj(), computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 10 * S, CFG));
    expect(brief(cond(prev.status ?? {}, 'Ready'))).toBe('True/AgentReporting');
    at(T0 + 12 * S);
    // The server ends the stream, then reports the refusal (src/wire/server-session.ts).
    sessions.onDisconnect(site, { sessionId: 's1', agentInstanceId: 'i-s1', reason: 'refused' });
    sessions.onCertificateRefused(site, notPinned);
    const got = computeSiteStatus(prev, sessions.get(site), T0 + 13 * S, CFG);
    expect(brief(cond(got, 'AgentConnected'))).toBe('False/CertificateNotPinned');
    expect(cond(got, 'AgentConnected')?.message).toContain(notPinned.message);
    // Ready follows heartbeats: True within the lease, Unknown after it.
    expect(brief(cond(got, 'Ready'))).toBe('True/AgentReporting');
    expect(brief(cond(computeSiteStatus(prev, sessions.get(site), T0 + 51 * S, CFG), 'Ready'))).toBe('Unknown/LeaseExpired');
  });

  it('forgets the refusal once an agent registers with an accepted certificate', () => {
    const { sessions, at } = setup();
    sessions.onCertificateRefused(site, revoked);
    at(T0 + 5 * S);
    sessions.onRegister(site, reg('s2'));
    const got = computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 6 * S, CFG);
    expect(brief(cond(got, 'AgentConnected'))).toBe('True/AgentReporting');
  });

  it('keeps a connected agent True while another certificate of its site is refused, and the latest event wins after', () => {
    const { sessions, at } = setup();
    sessions.onRegister(site, reg('s1'));
    sessions.onHeartbeat(site, {}, meta(T0, 1, 's1', 'i-s1'));
    at(T0 + 1 * S);
    sessions.onCertificateRefused(site, revoked);
    expect(brief(cond(computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 2 * S, CFG), 'AgentConnected'))).toBe('True/AgentReporting');
    // The legitimate agent's stream ends later for its own reasons: that is what AgentConnected says.
    at(T0 + 3 * S);
    sessions.onDisconnect(site, { sessionId: 's1', agentInstanceId: 'i-s1', reason: 'stream cancelled or connection lost' });
    expect(brief(cond(computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 4 * S, CFG), 'AgentConnected'))).toBe('False/AgentDisconnected');
    // And a refusal after that is the news again.
    at(T0 + 5 * S);
    sessions.onCertificateRefused(site, revoked);
    expect(brief(cond(computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 6 * S, CFG), 'AgentConnected'))).toBe('False/CertificateRevoked');
  });

  it('writes only what the CRD accepts', () => {
    const { sessions } = setup();
    sessions.onCertificateRefused(site, notPinned);
    const got = computeSiteStatus(makeSite('shanghai').obj(), sessions.get(site), T0 + 1 * S, CFG);
    const statusSchema = readCrdSchema(REPO_ROOT, 'sites').properties?.['status'];
    expect(validateAgainst(got, statusSchema ?? {}, 'status')).toEqual({ errors: [], unevaluated: [] });
  });
});
