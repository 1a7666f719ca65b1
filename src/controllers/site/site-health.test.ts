// A Site's GitOps health: Reconciling while it is on its way to Ready, Stalled when waiting will not help, neither
// when Ready (or cordoned, as its spec asks). Through computeSiteStatus where a session can say it; siteProgress on
// conditions where it takes more (a refused certificate).
import { describe, expect, it } from 'vitest';
import type { Condition, Site, SiteStatus } from '../../api/generated/types.ts';
import { formatTime } from '../../runtime/conditions.ts';
import type { SessionView } from './site-sessions.ts';
import { siteProgress } from './site-health.ts';
import { computeSiteStatus, type SiteStatusConfig } from './site-status.ts';
import { makeSession, makeSite, T0 } from './testing.ts';

const CFG: SiteStatusConfig = { leaseMs: 40_000, successThreshold: 2, lostAfterMs: 300_000 };
const S = 1000;
const refused = { ok: false, reason: 'KubeconfigInvalid', message: 'site a: the kubeconfig does not parse' } as const;

/** health renders Ready and the progress condition present, as "Status/Reason". */
function health(status: SiteStatus) {
  const c = (type: string) => status.conditions?.find((x) => x.type === type);
  const brief = (x: Condition | undefined) => (x === undefined ? undefined : `${x.status}/${x.reason}`);
  return { ready: brief(c('Ready')), reconciling: brief(c('Reconciling')), stalled: brief(c('Stalled')) };
}

describe('Site health', () => {
  const beatenAt = (at: number): Site => makeSite('a').status({ lastHeartbeatTime: formatTime(at) }).obj();
  const cases: ReadonlyArray<{
    name: string;
    site: Site;
    session: SessionView | undefined;
    now: number;
    connection?: typeof refused;
    wantReady: string;
    wantReconciling?: string;
    wantStalled?: string;
  }> = [
    {
      name: 'agent never connected: in progress',
      site: makeSite('a').obj(),
      session: undefined,
      now: T0,
      wantReady: 'Unknown/AgentNeverConnected',
      wantReconciling: 'True/AgentNeverConnected',
    },
    {
      name: 'connected, counting heartbeats: in progress',
      site: makeSite('a').obj(),
      session: makeSession().heartbeats(1, T0).obj(),
      now: T0,
      wantReady: 'Unknown/AgentReporting',
      wantReconciling: 'True/AgentReporting',
    },
    { name: 'reporting: current', site: makeSite('a').obj(), session: makeSession().heartbeats(3, T0).obj(), now: T0, wantReady: 'True/AgentReporting' },
    {
      name: 'lease expired: in progress (reconnecting)',
      site: beatenAt(T0),
      session: undefined,
      now: T0 + 60 * S,
      wantReady: 'Unknown/LeaseExpired',
      wantReconciling: 'True/LeaseExpired',
    },
    { name: 'lost: failed', site: beatenAt(T0), session: undefined, now: T0 + 400 * S, wantReady: 'False/SiteLost', wantStalled: 'True/SiteLost' },
    {
      name: 'kubeconfig refused: failed, with why',
      site: makeSite('a').obj(),
      session: makeSession().heartbeats(3, T0).obj(),
      now: T0,
      connection: refused,
      wantReady: 'False/KubeconfigInvalid',
      wantStalled: 'True/KubeconfigInvalid',
    },
    {
      name: 'cordoned: neither (not Ready, as its spec asks)',
      site: makeSite('a').cordon().obj(),
      session: makeSession().heartbeats(3, T0).obj(),
      now: T0,
      wantReady: 'False/Cordoned',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = computeSiteStatus(c.site, c.session, c.now, CFG, c.connection === undefined ? {} : { connection: c.connection });
      expect(health(got)).toEqual({ ready: c.wantReady, reconciling: c.wantReconciling, stalled: c.wantStalled });
    });
  }

  it('a site that comes back is current again: Stalled goes, and an unchanged state rewrites nothing', () => {
    const lost = computeSiteStatus(beatenAt(T0), undefined, T0 + 400 * S, CFG);
    const back = makeSite('a').status(lost).obj();
    const alive = makeSession().heartbeats(3, T0 + 401 * S).obj();
    const got = computeSiteStatus(back, alive, T0 + 401 * S, CFG);
    expect(health(got)).toEqual({ ready: 'True/AgentReporting', reconciling: undefined, stalled: undefined });
    expect(computeSiteStatus(makeSite('a').status(got).obj(), alive, T0 + 402 * S, CFG)).toEqual(got);
  });

  it('an agent certificate the operator refuses: failed, with the refusal', () => {
    const at = formatTime(T0);
    const conditions: Condition[] = [
      { type: 'Ready', status: 'Unknown', lastTransitionTime: at, reason: 'CertificateRevoked', message: 'no heartbeat yet' },
      { type: 'AgentConnected', status: 'False', lastTransitionTime: at, reason: 'CertificateRevoked', message: 'revoked: sha256:ab12' },
    ];
    expect(siteProgress(conditions)).toEqual({ kind: 'Stalled', why: { reason: 'CertificateRevoked', message: 'revoked: sha256:ab12' } });
  });
});
