import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/generated/types.ts';
import type { SiteName } from '../../wire/identity.ts';
import { ApiError } from '../../runtime/errors.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { TerminalError } from '../../runtime/reconciler.ts';
import type { HubPatcher as SiteStatusPatcher } from '../framework/hub-writer.ts';
import { SiteStatusReconciler, siteKey, type SiteReconcilerOptions } from './site-controller.ts';
import { SiteSessions } from './site-sessions.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { makeSite, meta, silentLogger, T0, wirePool } from './testing.ts';

const SHANGHAI = 'shanghai' as SiteName;

/**
 * FakeHub stands in for the apiserver's Site status subresource: it applies merge patches to status (top-level keys
 * replaced, null deletes), enforces the resourceVersion precondition and bumps the version. The informer cache is a
 * separate map the test moves forward by hand, so a lagging cache can be shown.
 */
class FakeHub {
  readonly stored = new Map<string, Site>();
  readonly cache = new Map<string, Site>();
  readonly bodies: unknown[] = [];
  /** refuse plays the apiserver's validation: a message makes the write fail with 422 Invalid, as a CRD would. */
  refuse: (status: Record<string, unknown>) => string | undefined = () => undefined;
  #rv = 100;

  put(site: Site): void {
    const s = { ...structuredClone(site), metadata: { ...site.metadata, resourceVersion: String(this.#rv++) } };
    this.stored.set(s.metadata.name ?? '', s);
    this.cache.set(s.metadata.name ?? '', structuredClone(s));
  }

  syncCache(): void {
    for (const [k, v] of this.stored) this.cache.set(k, structuredClone(v));
  }

  readonly patcher: SiteStatusPatcher = {
    patchClusterCustomObjectStatus: async (req: { name: string; body: unknown }) => {
      this.bodies.push(structuredClone(req.body));
      const cur = this.stored.get(req.name);
      if (cur === undefined) throw new ApiException(404, 'not found', '{"reason":"NotFound"}', {});
      const body = req.body as { metadata: { resourceVersion?: string }; status: Record<string, unknown> };
      if (body.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw new ApiException(409, 'conflict', '{"kind":"Status","reason":"Conflict","code":409}', {});
      }
      const status: Record<string, unknown> = { ...cur.status };
      for (const [k, v] of Object.entries(body.status)) {
        if (v === null) delete status[k];
        else status[k] = v;
      }
      const invalid = this.refuse(status);
      if (invalid !== undefined) {
        const body = JSON.stringify({ kind: 'Status', reason: 'Invalid', code: 422, message: `Site.suanwang.io "${req.name}" is invalid: ${invalid}` });
        throw new ApiException(422, 'Unprocessable Entity', body, {});
      }
      const next: Site = { ...cur, status, metadata: { ...cur.metadata, resourceVersion: String(this.#rv++) } };
      this.stored.set(req.name, next);
      return structuredClone(next);
    },
  } as unknown as SiteStatusPatcher;
}

function setup(more: Pick<SiteReconcilerOptions, 'connection'> = {}) {
  const clock = new FakeClock(T0);
  const hub = new FakeHub();
  const sessions = new SiteSessions({ clock, leaseMs: 40_000, onChange: () => {} });
  const reconciler = new SiteStatusReconciler({
    sites: { get: (_ns, name) => hub.cache.get(name) },
    sessions,
    hub: hub.patcher,
    clock,
    logger: silentLogger,
    config: { leaseMs: 40_000, successThreshold: 2 },
    ...more,
  });
  return { clock, hub, sessions, reconciler };
}

function connect(sessions: SiteSessions, at: number): void {
  sessions.onRegister(SHANGHAI, { sessionId: 's1', agentInstanceId: 'i1', agentVersion: '0.1.0', protocolVersion: 1, capabilities: [], peer: 'p' });
  sessions.onSnapshot(SHANGHAI, { site: SHANGHAI, generation: 1, nodePools: [wirePool('cpu').nodes(2).obj()] }, meta(at, 1));
}

describe('SiteStatusReconciler', () => {
  it('writes the computed status with a merge patch and asks to look again when the lease would run out', async () => {
    const { clock, hub, sessions, reconciler } = setup();
    hub.put(makeSite('shanghai').obj());
    connect(sessions, T0);
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 2));
    clock.advance(10_000);
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0 + 10_000, 3));

    const result = await reconciler.reconcile(siteKey('shanghai'));

    const stored = hub.stored.get('shanghai');
    expect(stored?.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=True/AgentReporting',
      'AgentConnected=True/AgentReporting',
      'ReportAccepted=True/ReportValid',
    ]);
    expect(stored?.status).toMatchObject({ agentVersion: '0.1.0', lastHeartbeatTime: formatTime(T0 + 10_000), nodePools: [{ name: 'cpu', nodes: 2 }] });
    // The precondition is the version the status was computed from.
    expect(hub.bodies[0]).toMatchObject({ metadata: { resourceVersion: '100' } });
    expect(result).toEqual({ requeueAfter: 40_001 });
  });

  it('writes nothing when the status is unchanged, even if the cache has not caught up with its own write', async () => {
    const { clock, hub, sessions, reconciler } = setup();
    hub.put(makeSite('shanghai').obj());
    connect(sessions, T0);
    await reconciler.reconcile(siteKey('shanghai'));
    expect(hub.bodies).toHaveLength(1);

    clock.advance(1000);
    await reconciler.reconcile(siteKey('shanghai')); // cache still holds the pre-write object
    hub.syncCache();
    await reconciler.reconcile(siteKey('shanghai'));
    expect(hub.bodies).toHaveLength(1);
  });

  it('keeps computing from its own writes, however many, while the cache lags, without a Conflict', async () => {
    const { clock, hub, sessions, reconciler } = setup();
    hub.put(makeSite('shanghai').obj());
    connect(sessions, T0);
    await reconciler.reconcile(siteKey('shanghai')); // AgentConnected True, Ready not yet
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0 + 1000, 2));
    clock.advance(1000);
    await reconciler.reconcile(siteKey('shanghai')); // first heartbeat: a second write, cache still at the first
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0 + 2000, 3));
    clock.advance(1000);
    await reconciler.reconcile(siteKey('shanghai')); // Ready turns True: a third write, cache still behind
    expect(hub.bodies).toHaveLength(3);
    expect(hub.stored.get('shanghai')?.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('notices lease expiry when requeued, without any message', async () => {
    const { clock, hub, sessions, reconciler } = setup();
    hub.put(makeSite('shanghai').obj());
    connect(sessions, T0);
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 2));
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 3));
    const { requeueAfter } = await reconciler.reconcile(siteKey('shanghai'));
    hub.syncCache();
    clock.advance(requeueAfter ?? 0);
    await reconciler.reconcile(siteKey('shanghai'));
    expect(hub.stored.get('shanghai')?.status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'Unknown',
      reason: 'LeaseExpired',
      lastTransitionTime: formatTime(T0 + 40_001),
    });
  });

  it('deletes status fields it no longer sets', async () => {
    const { hub, reconciler } = setup();
    hub.put(makeSite('shanghai').status({ agentVersion: '', conditions: [] }).obj());
    await reconciler.reconcile(siteKey('shanghai'));
    expect((hub.bodies[0] as { status: Record<string, unknown> }).status['agentVersion']).toBeNull();
    expect(hub.stored.get('shanghai')?.status).not.toHaveProperty('agentVersion');
  });

  it('does nothing for a Site that does not exist', async () => {
    const { hub, sessions, reconciler } = setup();
    connect(sessions, T0);
    expect(await reconciler.reconcile(siteKey('shanghai'))).toEqual({});
    expect(hub.bodies).toHaveLength(0);
  });

  it('fails with Conflict when the Site changed under it, so the work queue retries', async () => {
    const { hub, reconciler } = setup();
    hub.put(makeSite('shanghai').obj());
    hub.stored.set('shanghai', { ...(hub.stored.get('shanghai') as Site), metadata: { name: 'shanghai', generation: 2, resourceVersion: '999' } });
    const err = await reconciler.reconcile(siteKey('shanghai')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('Conflict');
  });

  describe('when the apiserver refuses the status', () => {
    /** refuseGpu refuses any status holding a pool named gpu: a rule of the CRD the operator does not know. */
    const refuseGpu = (status: Record<string, unknown>): string | undefined =>
      (status['nodePools'] as Array<{ name: string }> | undefined)?.some((p) => p.name === 'gpu') ? 'status.nodePools[1].name: Invalid value: "gpu"' : undefined;

    /** readyWithCpu: shanghai is Ready with its cpu pool written, then reports a gpu pool the apiserver refuses. */
    async function readyWithCpu() {
      const s = setup();
      s.hub.put(makeSite('shanghai').obj());
      connect(s.sessions, T0);
      s.sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 2));
      s.sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 3));
      await s.reconciler.reconcile(siteKey('shanghai'));
      s.hub.syncCache();
      expect(s.hub.stored.get('shanghai')?.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
      s.hub.refuse = refuseGpu;
      s.sessions.onSnapshot(SHANGHAI, { site: SHANGHAI, generation: 2, nodePools: [wirePool('cpu').nodes(2).obj(), wirePool('gpu').nodes(1).obj()] }, meta(T0, 4));
      return s;
    }

    it('still writes liveness: a silent site turns Unknown/LeaseExpired, with the last accepted pools and ReportAccepted=False', async () => {
      const { clock, hub, reconciler } = await readyWithCpu();
      await reconciler.reconcile(siteKey('shanghai'));
      hub.syncCache();
      clock.advance(40_001);
      await reconciler.reconcile(siteKey('shanghai'));

      const status = hub.stored.get('shanghai')?.status;
      expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'LeaseExpired' });
      expect(status?.nodePools?.map((p) => p.name)).toEqual(['cpu']);
      const accepted = status?.conditions?.find((c) => c.type === 'ReportAccepted');
      expect(accepted).toMatchObject({ status: 'False', reason: 'StatusRejected' });
      expect(accepted?.message).toMatch(/Invalid value: "gpu"/);
    });

    it('does not send the refused report again while it is unchanged', async () => {
      const { clock, hub, reconciler } = await readyWithCpu();
      await reconciler.reconcile(siteKey('shanghai'));
      hub.syncCache();
      const sent = hub.bodies.length;
      clock.advance(1000);
      await reconciler.reconcile(siteKey('shanghai'));
      expect(hub.bodies.length).toBe(sent);
    });

    it('drops the pools altogether when even the last accepted ones are refused', async () => {
      const { clock, hub, reconciler } = await readyWithCpu();
      hub.refuse = (status) => (status['nodePools'] === undefined ? undefined : 'status.nodePools: Invalid value');
      clock.advance(40_001);
      await reconciler.reconcile(siteKey('shanghai'));
      const status = hub.stored.get('shanghai')?.status;
      expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'LeaseExpired' });
      expect(status?.nodePools).toBeUndefined();
      expect(status?.conditions?.find((c) => c.type === 'ReportAccepted')).toMatchObject({ status: 'False', reason: 'StatusRejected' });
    });

    it('fails the reconcile when the apiserver refuses even the liveness', async () => {
      const { hub, reconciler } = await readyWithCpu();
      hub.refuse = () => 'status: Invalid value';
      const err = await reconciler.reconcile(siteKey('shanghai')).catch((e: unknown) => e);
      expect((err as ApiError).code).toBe('Invalid');
    });
  });

  it("writes the connection check: a refused kubeconfig is ConnectionAccepted=False and takes the site out of placement", async () => {
    const { hub, sessions, reconciler } = setup({
      connection: () => ({ ok: false, reason: 'KubeconfigNotAllowed', message: 'users[0].user.exec is not allowed' }),
    });
    hub.put(makeSite('shanghai').obj());
    connect(sessions, T0);
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 2));
    sessions.onHeartbeat(SHANGHAI, {}, meta(T0, 3));
    await reconciler.reconcile(siteKey('shanghai'));
    const conditions = hub.stored.get('shanghai')?.status?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'ConnectionAccepted')).toMatchObject({ status: 'False', reason: 'KubeconfigNotAllowed', message: 'users[0].user.exec is not allowed' });
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeconfigNotAllowed' });
  });

  it('refuses keys of other kinds', async () => {
    const { reconciler } = setup();
    await expect(reconciler.reconcile('TrainingJob/default/x')).rejects.toBeInstanceOf(TerminalError);
  });
});
