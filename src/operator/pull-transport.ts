/**
 * The operator's end of pull mode: the store of each pull site's desired and reported member objects
 * (clusters/pull-site-members.ts), joined to the agent server. A new agent session gets the site's whole desired set;
 * an agent's member reports fill the store, wake the workloads whose members changed, and let the operator remove
 * what no workload on the hub owns any more.
 *
 * Nothing is deleted at a site because a set left it out (agent/site/member-plan.ts): a removal is always named, and
 * the operator names only what the hub's own state says is nobody's — a member whose workload is gone from the hub,
 * or is another object of the same name (another uid). Members of an older epoch are the workload controllers' to
 * fence, as in push mode. This garbage collection runs on every full report (each new session, each resync), once the
 * hub's caches have synced.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InferenceService, Site, TrainingJob } from '../api/generated/types.ts';
import { LABEL_NAMESPACE, LABEL_OWNER_UID, LABEL_WORKLOAD } from '../api/names.ts';
import { isPullSite } from '../clusters/site-clients.ts';
import { PullSiteMembers } from '../clusters/pull-site-members.ts';
import { formatMemberKey, type MemberKey } from '../clusters/site-member-port.ts';
import type { SiteMembers } from '../cache/member-informers.ts';
import { MAX_LIST_WAIT_MS } from '../cache/member-informers.ts';
import type { Clock } from '../runtime/clock.ts';
import type { LabelledObject } from '../runtime/object-cache.ts';
import type { SiteName } from '../wire/identity.ts';
import type { MemberSync as WireMemberSync } from '../wire/messages.ts';
import type { SiteAgentHandler } from '../wire/site-agent-handler.ts';
import { fromWireReport, toWireSync } from './pull-wire.ts';

/** KNOWN_POLL_MS is how often a session opened for a site the Site cache does not know yet looks again. */
const KNOWN_POLL_MS = 250;

/** PullOwners tells the transport which workloads the hub holds (from the operator's synced caches). */
export interface PullOwners {
  /** synced is true once the hub's caches have listed: before that, "not found" proves nothing. */
  synced(): boolean;
  trainingJob(namespace: string, name: string): TrainingJob | undefined;
  inferenceService(namespace: string, name: string): InferenceService | undefined;
  sites(): readonly Site[];
}

/** PullTransportOptions are the transport's dependencies; `send` is attached once the agent server exists. */
export interface PullTransportOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owners: PullOwners;
  /** wake is told which workload's members changed: `kind` is the member's kind, namespace/name the workload's. */
  readonly wake: (kind: MemberKey['kind'], namespace: string, name: string) => void;
}

/** PullTransport owns the pull store and turns wire traffic into store calls and back. */
export class PullTransport {
  readonly members: PullSiteMembers;
  readonly #o: PullTransportOptions;
  readonly #log: Logger;
  readonly #startedAt: number;
  #send: ((site: SiteName, sync: WireMemberSync) => boolean) | undefined;
  #generation = 0;
  /** unknownSessions: site → the session that opened before the Site cache knew the site (openWhenKnown). */
  readonly #unknownSessions = new Map<string, string>();

  constructor(options: PullTransportOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'pull' });
    this.#startedAt = options.clock.now();
    this.members = new PullSiteMembers({
      clock: options.clock,
      send: (site, sync) => {
        if (this.#send === undefined) return false;
        this.#generation += 1;
        return this.#send(site as SiteName, toWireSync(sync, this.#generation));
      },
    });
    this.members.onChange((_site, key, _object, labels) => {
      const namespace = labels[LABEL_NAMESPACE];
      const name = labels[LABEL_WORKLOAD];
      if (namespace !== undefined && name !== undefined) this.#o.wake(key.kind, namespace, name);
    });
  }

  /** attach gives the transport the agent server's send (OperatorServer.sendMemberSync). */
  attach(send: (site: SiteName, sync: WireMemberSync) => boolean): void {
    this.#send = send;
  }

  /** handler wraps the sessions' handler: everything goes on to `inner`, and pull mode's two callbacks come here. */
  handler(inner: SiteAgentHandler): SiteAgentHandler {
    return {
      onRegister: (s, r) => inner.onRegister(s, r),
      onHeartbeat: (s, h, m) => inner.onHeartbeat(s, h, m),
      onSnapshot: (s, x, m) => inner.onSnapshot(s, x, m),
      onDelta: (s, d, m) => inner.onDelta(s, d, m),
      onHealthEvent: (s, e, m) => inner.onHealthEvent(s, e, m),
      onDisconnect: (s, i) => {
        if (this.#unknownSessions.get(s) === i.sessionId) this.#unknownSessions.delete(s);
        inner.onDisconnect(s, i);
      },
      onRateLimited: (s, i) => inner.onRateLimited(s, i),
      onCertificateRefused: (s, i) => inner.onCertificateRefused(s, i),
      onSessionOpened: (site, info) => {
        inner.onSessionOpened?.(site, info);
        if (this.#isPull(site)) this.members.sessionOpened(site);
        else if (!this.#known(site)) void this.#openWhenKnown(site, info.sessionId);
      },
      onMemberReport: (site, wire, meta) => {
        inner.onMemberReport?.(site, wire, meta);
        const { report, problems } = fromWireReport(wire);
        if (problems.length > 0) this.#log.warn({ site, problems: problems.slice(0, 5), count: problems.length }, 'member report had unreadable states; they are left out');
        this.members.report(site, report);
        if (report.full) this.collectGarbage(site);
      },
    };
  }

  /**
   * collectGarbage removes, at `site`, the members the agent reports that no workload on the hub owns: the workload
   * is gone, or the object was made for another object of the same name (another uid). Says what it removed.
   */
  collectGarbage(site: string): MemberKey[] {
    const owners = this.#o.owners;
    if (!owners.synced() || !this.members.stats(site).reporting) return [];
    const removed: MemberKey[] = [];
    for (const kind of ['Job', 'Deployment', 'Service'] as const) {
      for (const obj of this.members.list(site, kind, '', '')) {
        if (this.#owned(kind, obj)) continue;
        const key = { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
        this.members.delete(site, key);
        removed.push(key);
      }
    }
    if (removed.length > 0) this.#log.info({ site, removed: removed.map(formatMemberKey) }, 'removing members no workload on the hub owns');
    return removed;
  }

  /**
   * findMembers is what the pull sites hold of one workload's members of `kind`, in the shape the member informers
   * give for push sites (training's rediscovery reads both). A site whose agent has not sent its first full report is
   * not synced until MAX_LIST_WAIT_MS after this operator started, as a push site's informer.
   */
  findMembers(kind: 'Job' | 'Deployment', namespace: string, name: string): SiteMembers[] {
    const out: SiteMembers[] = [];
    const waited = this.#o.clock.now() - this.#startedAt >= MAX_LIST_WAIT_MS;
    for (const site of this.#o.owners.sites()) {
      if (!isPullSite(site)) continue;
      const siteName = site.metadata.name ?? '';
      const reporting = this.members.stats(siteName).reporting;
      const members = reporting ? this.members.list(siteName, kind, '', `${LABEL_NAMESPACE}=${namespace},${LABEL_WORKLOAD}=${name}`) : [];
      out.push({ site: siteName, synced: reporting || waited, members: members as LabelledObject[] });
    }
    return out;
  }

  /**
   * openWhenKnown serves a session that opened before the Site cache knew its site (the operator had just started, or
   * the Site was created after its agent): without this the pull site would get no full sync for the whole session,
   * so nothing the hub places there would ever be applied. It looks again every KNOWN_POLL_MS until the Site is known,
   * the session ends (onDisconnect) or MAX_LIST_WAIT_MS passes.
   */
  async #openWhenKnown(site: string, sessionId: string): Promise<void> {
    this.#unknownSessions.set(site, sessionId);
    const deadline = this.#o.clock.now() + MAX_LIST_WAIT_MS;
    while (this.#unknownSessions.get(site) === sessionId) {
      if (this.#known(site)) {
        this.#unknownSessions.delete(site);
        if (this.#isPull(site)) this.members.sessionOpened(site);
        return;
      }
      if (this.#o.clock.now() >= deadline) {
        this.#unknownSessions.delete(site);
        this.#log.warn({ site, sessionId }, 'an agent session opened for a site the hub does not know; no members are sent in this session');
        return;
      }
      await this.#o.clock.sleep(KNOWN_POLL_MS);
    }
  }

  #known(site: string): boolean {
    return this.#o.owners.sites().some((x) => x.metadata.name === site);
  }

  #isPull(site: string): boolean {
    const s = this.#o.owners.sites().find((x) => x.metadata.name === site);
    return s !== undefined && isPullSite(s);
  }

  #owned(kind: MemberKey['kind'], obj: KubernetesObject): boolean {
    const labels = obj.metadata?.labels ?? {};
    const namespace = labels[LABEL_NAMESPACE];
    const name = labels[LABEL_WORKLOAD];
    // Not ours to judge without the workload labels: the agent reports only labelled members, so this is a guard.
    if (namespace === undefined || name === undefined) return true;
    const uid = labels[LABEL_OWNER_UID];
    const owners = this.#o.owners;
    const candidates: (TrainingJob | InferenceService | undefined)[] =
      kind === 'Job' ? [owners.trainingJob(namespace, name)] : kind === 'Deployment' ? [owners.inferenceService(namespace, name)] : [owners.trainingJob(namespace, name), owners.inferenceService(namespace, name)];
    return candidates.some((w) => w !== undefined && (uid === undefined || w.metadata.uid === uid));
  }
}
