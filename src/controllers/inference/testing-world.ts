/**
 * A hub and its sites in memory, for reconciler tests of the InferenceService controller: the hub holds one service
 * and applies the controller's merge patches to it; each site is a member port over maps, whose Deployments report
 * every replica ready at once, and which can stop answering (an expired lease, a partition) or refuse members by its
 * policy (a pull site's agent: the refusal stands until the member is withdrawn or applied and taken).
 *
 *   const w = new InferenceWorld(svc, [shanghai, guizhou, beijing]);
 *   await w.pass();                               // one reconcile
 *   w.port('shanghai').refuse('Deployment', { reason: 'ImageNotAllowed', message: '...' });
 */
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP } from '../../api/names.ts';
import type { MemberKey, MemberKind, MemberRefusal, SiteMemberPort } from '../../clusters/site-member-port.ts';
import { FakeClock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/reconciler.ts';
import type { HubPatcher } from '../framework/hub-writer.ts';
import { inferenceServiceKey } from './controller.ts';
import { inferenceMemberName } from './member-objects.ts';
import { InferenceServiceReconciler } from './reconciler.ts';
import { applyMergePatch } from '../../runtime/merge-patch.ts';

/** FakeMemberPort is one site's member objects in maps, answering the SiteMemberPort interface. */
export class FakeMemberPort implements SiteMemberPort {
  readonly site: string;
  readonly mode = 'Pull' as const;
  /** Deployments and Services by name. */
  readonly deployments = new Map<string, V1Deployment>();
  readonly services = new Map<string, V1Service>();
  /** Every delete, as `Kind/name`. */
  readonly deletes: string[] = [];
  /** False: every call throws, as a site that does not answer. */
  reachable = true;
  /** The site's policy: the members of these kinds it refuses, and what it says. */
  readonly #policy = new Map<MemberKind, MemberRefusal>();
  /** The refusals that stand, by `Kind/name`, until the member is deleted (withdrawn) or applied and accepted. */
  readonly #refusals = new Map<string, MemberRefusal>();

  constructor(site: string) {
    this.site = site;
  }

  /**
   * refuse makes the site's policy refuse every member of `kind`, the ones it holds included (as an agent that
   * re-applies them under a new policy): they are gone, and their refusal stands.
   */
  refuse(kind: MemberKind, refusal: MemberRefusal): void {
    this.#policy.set(kind, refusal);
    const held = kind === 'Deployment' ? this.deployments : this.services;
    for (const name of held.keys()) this.#refusals.set(`${kind}/${name}`, refusal);
    held.clear();
  }

  /** allow drops the site's policy: later applies are taken (the refusals that stand still do). */
  allow(): void {
    this.#policy.clear();
  }

  async read<T extends KubernetesObject>(key: MemberKey): Promise<T | undefined> {
    this.#answer();
    return structuredClone(this.#map(key.kind).get(key.name)) as T | undefined;
  }

  async list<T extends KubernetesObject>(kind: MemberKind, _namespace: string, labelSelector: string): Promise<T[]> {
    this.#answer();
    const wanted = labelSelector.split(',').map((kv) => kv.split('='));
    const all = [...this.#map(kind).values()] as KubernetesObject[];
    return all.filter((o) => wanted.every(([k, v]) => o.metadata?.labels?.[k ?? ''] === v)).map((o) => structuredClone(o) as T);
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    this.#answer();
    const kind = obj.kind as MemberKind;
    const id = `${kind}/${obj.metadata?.name ?? ''}`;
    const refusal = this.#policy.get(kind);
    if (refusal !== undefined) {
      this.#refusals.set(id, refusal);
      return structuredClone(obj); // refused: wanted, never created
    }
    this.#refusals.delete(id);
    const held = structuredClone(obj) as KubernetesObject;
    if (kind === 'Deployment') {
      const d = held as V1Deployment;
      d.status = { replicas: d.spec?.replicas ?? 0, readyReplicas: d.spec?.replicas ?? 0 };
    }
    if (kind === 'Service') (held as V1Service).spec = { ...(held as V1Service).spec, clusterIP: `10.96.0.${this.services.size + 10}` };
    this.#map(kind).set(obj.metadata?.name ?? '', held as V1Deployment & V1Service);
    return structuredClone(held) as T;
  }

  async delete(key: MemberKey): Promise<void> {
    this.#answer();
    this.deletes.push(`${key.kind}/${key.name}`);
    this.#refusals.delete(`${key.kind}/${key.name}`);
    this.#map(key.kind).delete(key.name);
  }

  async ensureNamespace(): Promise<void> {
    this.#answer();
  }

  refusal(key: MemberKey): MemberRefusal | undefined {
    return this.#refusals.get(`${key.kind}/${key.name}`);
  }

  /** replicas is the replica count of the service's Deployment here (0 when there is none). */
  replicas(svc: InferenceService): number {
    return this.deployments.get(inferenceMemberName(svc))?.spec?.replicas ?? 0;
  }

  #map(kind: MemberKind): Map<string, V1Deployment & V1Service> {
    if (kind === 'Job') throw new Error('an InferenceService has no Jobs');
    return (kind === 'Deployment' ? this.deployments : this.services) as Map<string, V1Deployment & V1Service>;
  }

  #answer(): void {
    if (!this.reachable) throw Object.assign(new Error(`connect ETIMEDOUT ${this.site}`), { code: 'ETIMEDOUT' });
  }
}

/** InferenceWorld is a hub holding one InferenceService, its Sites with a FakeMemberPort each, and a reconciler. */
export class InferenceWorld {
  svc: InferenceService;
  sites: Site[];
  readonly clock: FakeClock;
  /** Events recorded, as `Type Reason: message`. */
  readonly events: string[] = [];
  readonly reconciler: InferenceServiceReconciler;
  readonly #ports = new Map<string, FakeMemberPort>();

  constructor(svc: InferenceService, sites: Site[], o: { nowMs?: number; graceMs?: number } = {}) {
    this.svc = structuredClone(svc);
    this.svc.metadata.uid ??= 'uid-1';
    this.svc.metadata.resourceVersion ??= '1';
    this.svc.metadata.generation ??= 1;
    this.svc.metadata.finalizers = [FINALIZER_CLEANUP];
    this.sites = sites;
    for (const s of sites) this.#ports.set(s.metadata.name ?? '', new FakeMemberPort(s.metadata.name ?? ''));
    this.clock = new FakeClock(o.nowMs);
    const write = async (p: { body: Record<string, unknown> }): Promise<unknown> => {
      const { metadata, ...rest } = p.body as { metadata?: Record<string, unknown> };
      const { resourceVersion: _rv, ...meta } = metadata ?? {};
      const next = applyMergePatch(this.svc, { ...rest, metadata: meta }) as InferenceService;
      next.metadata.resourceVersion = String(Number(this.svc.metadata.resourceVersion ?? '0') + 1);
      this.svc = next;
      return structuredClone(next);
    };
    const hub = { patchNamespacedCustomObject: write, patchNamespacedCustomObjectStatus: write } as unknown as HubPatcher;
    this.reconciler = new InferenceServiceReconciler({
      hub,
      inferenceServices: () => structuredClone(this.svc),
      sites: () => this.sites,
      sitePorts: { forSite: (s) => this.port(s.metadata.name ?? '') },
      clock: this.clock,
      logger: pino({ level: 'silent' }),
      events: { record: (_s, type, reason, message) => this.events.push(`${type} ${reason}: ${message}`), forget: () => {} },
      ...(o.graceMs !== undefined && { siteLostGraceMs: o.graceMs }),
    });
  }

  /** port is the member port of the site named `site`. */
  port(site: string): FakeMemberPort {
    const p = this.#ports.get(site);
    if (p === undefined) throw new Error(`no site ${site} in this world`);
    return p;
  }

  /** pass runs one reconcile of the service. */
  pass(): Promise<Result> {
    return this.reconciler.reconcile(inferenceServiceKey(this.svc.metadata.namespace ?? 'default', this.svc.metadata.name ?? ''));
  }

  /** planned is status.sites as `site=replicas(variant)`. */
  planned(): string[] {
    return (this.svc.status?.sites ?? []).map((s) => `${s.site}=${s.replicas ?? 0}(${s.variant ?? ''})`);
  }

  /** running is the replicas each site's Deployment asks for, as `site=replicas`, for sites that hold one. */
  running(): string[] {
    return [...this.#ports.values()].filter((p) => p.replicas(this.svc) > 0).map((p) => `${p.site}=${p.replicas(this.svc)}`).sort();
  }

  /** setSite replaces the Site named like `site`. */
  setSite(site: Site): void {
    this.sites = this.sites.map((s) => (s.metadata.name === site.metadata.name ? site : s));
  }
}
