/**
 * The Site controller: for each key `Site//<name>` it reads the Site from the hub's informer cache and the agent's
 * session state (site-sessions.ts), computes the status (site-status.ts) and, only when that differs from what the
 * Site carries, writes it to the status subresource. It then asks to be called again when the lease would run out,
 * so a silent agent turns Unknown on time even though silence sends no event.
 *
 * Writes go through the hub writer the workload controllers use (framework/hub-writer.ts): JSON merge patches that
 * carry the resourceVersion they were computed from, so a status computed from a stale cache fails with Conflict and
 * is recomputed, instead of moving a lastTransitionTime backwards. A merge patch replaces lists whole, so a changed
 * conditions or nodePools list goes out whole.
 *
 * A status the apiserver refuses as Invalid must not freeze the Site: that write carried the liveness too, and a
 * site whose every write fails stays Ready forever after its agent died. What an agent reports is checked against
 * the CRD before it is used (report-check.ts), so this is the safety net for what that check does not know (a CRD
 * newer than this operator, say): the write is made again with the report's part as last accepted and
 * ReportAccepted=False/StatusRejected, and if even that is refused, without any node pools (placement then sees no
 * capacity there: nothing new goes to a site whose status cannot be trusted). The refused report is remembered, so
 * while the agent keeps sending it, the fallback is written directly instead of failing once per pass.
 *
 * The Site's connection (its kubeconfig Secret) is checked on every pass through `connection` (SiteClients.check,
 * cached per Secret version), and a change of a Secret wakes the Sites that name it.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Condition, Site, SiteStatus } from '../../api/generated/types.ts';
import { ConditionType, Kind, Plural } from '../../api/names.ts';
import type { ConnectionVerdict } from '../../clusters/site-clients.ts';
import { toApiError } from '../../runtime/errors.ts';
import type { Clock } from '../../runtime/clock.ts';
import { Controller } from '../../runtime/controller.ts';
import type { LoopMetrics } from '../../runtime/loop-metrics.ts';
import { makeKey, parseKey } from '../../runtime/key.ts';
import { TerminalError, type Reconciler, type Result } from '../../runtime/reconciler.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import type { WatchSource } from '../../runtime/source.ts';
import { HubWriter, type HubPatcher } from '../framework/hub-writer.ts';
import type { SiteSessions } from './site-sessions.ts';
import { computeSiteStatus, nextCheckIn, statusEqual, type SiteStatusConfig, type SiteStatusInputs, type StatusRejection } from './site-status.ts';

/** siteKey is the work-queue key of a Site (cluster-scoped: empty namespace). */
export function siteKey(name: string): string {
  return makeKey(Kind.Site, undefined, name);
}

/** SiteReconcilerOptions configures SiteStatusReconciler. */
export interface SiteReconcilerOptions {
  readonly sites: Pick<ObjectCache<Site>, 'get'>;
  readonly sessions: Pick<SiteSessions, 'get'>;
  /** Patches Site status on the hub (CustomObjectsApi in production). */
  readonly hub: HubPatcher;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  readonly config: SiteStatusConfig;
  /** connection checks a Site's kubeconfig Secret (SiteClients.check); without it ConnectionAccepted is not written. */
  readonly connection?: (site: Site) => ConnectionVerdict;
}

/** Rejected is a refused report (its JSON) and what the fallback writes instead. */
interface Rejected extends StatusRejection {
  readonly report: string;
}

/** SiteStatusReconciler writes each Site's status from its agent's session. */
export class SiteStatusReconciler implements Reconciler {
  readonly #o: SiteReconcilerOptions;
  readonly #writer: HubWriter<Site, SiteStatus>;
  readonly #log: Logger;
  /**
   * The object each site's last write returned, with the resourceVersion it replaced. Until the informer catches
   * up, the cache still holds that older version; reading our own write instead avoids a second write that could
   * only fail with Conflict.
   */
  readonly #written = new Map<string, { readonly replaced: string | undefined; readonly site: Site }>();
  /** The report each site's last refused status carried; see the file comment. */
  readonly #rejected = new Map<string, Rejected>();

  constructor(options: SiteReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubWriter<Site, SiteStatus>(options.hub, Plural.Site, 'Cluster');
    this.#log = options.logger.child({ controller: 'site' });
  }

  async reconcile(key: string): Promise<Result> {
    const ref = parseKey(key);
    if (ref === undefined || ref.kind !== Kind.Site) throw new TerminalError(`not a Site key: ${key}`);
    const name = ref.name;
    const log = this.#log.child({ site: name });

    // 1. Read: the Site (or our own newer write of it) and what the agent reported.
    const site = this.#current(name);
    const session = this.#o.sessions.get(name);
    if (site === undefined) {
      // The agent may connect before its Site is created (or after it was deleted); its state is kept for then.
      if (session !== undefined) log.debug('agent session for a site without a Site object');
      this.#rejected.delete(name);
      return {};
    }

    // 2. Decide.
    const now = this.#o.clock.now();
    const inputs: SiteStatusInputs = { connection: this.#o.connection?.(site) };
    const compute = (rejected?: StatusRejection): SiteStatus => computeSiteStatus(site, session, now, this.#o.config, { ...inputs, rejected });
    const full = compute();
    let rejected = this.#rejected.get(name);
    if (rejected !== undefined && rejected.report !== reportOf(full)) {
      // The agent reports something else now: try it.
      this.#rejected.delete(name);
      rejected = undefined;
    }
    let next = rejected === undefined ? full : compute(rejected);

    // 3. Act, only on a difference; a refused status falls back as the file comment says.
    let current = site;
    for (;;) {
      if (statusEqual(site.status, next)) break;
      try {
        current = await this.#write(site, next);
      } catch (err: unknown) {
        const e = toApiError(err);
        if (e.code !== 'Invalid' || rejected?.dropPools === true) throw e;
        rejected = { report: reportOf(full), message: rejected?.message ?? e.message, dropPools: rejected !== undefined };
        this.#rejected.set(name, rejected);
        log.warn({ err: e.message, dropPools: rejected.dropPools }, 'the apiserver refused the site status: writing liveness without the new pool data');
        next = compute(rejected);
        continue;
      }
      logTransitions(log, site.status?.conditions, next.conditions);
      // The cache still shows the version our first unseen write replaced (an entry left by #current means `site`
      // is that write), so that version stays the mark; marking the one just replaced would make a third pass,
      // before the cache catches up, compute from the stale cache and fail with Conflict.
      this.#written.set(name, { replaced: this.#written.get(name)?.replaced ?? site.metadata.resourceVersion, site: current });
      log.debug({ resourceVersion: current.metadata.resourceVersion }, 'site status written');
      break;
    }
    const wait = nextCheckIn(current, session, now, this.#o.config);
    return wait === undefined ? {} : { requeueAfter: wait };
  }

  #current(name: string): Site | undefined {
    const cached = this.#o.sites.get(undefined, name);
    const mine = this.#written.get(name);
    if (cached === undefined) {
      this.#written.delete(name);
      return undefined;
    }
    if (mine !== undefined && mine.replaced !== undefined && cached.metadata.resourceVersion === mine.replaced) return mine.site;
    this.#written.delete(name);
    return cached;
  }

  #write(site: Site, next: SiteStatus): Promise<Site> {
    return this.#writer.writeStatus(site, next);
  }
}

/** reportOf is the part of a status that comes from the agent's report, as JSON, to recognise a refused one. */
function reportOf(status: SiteStatus): string {
  return JSON.stringify([status.nodePools ?? null, status.agentVersion ?? null]);
}

/** logTransitions logs, at info, every condition of ours whose status or reason changes. */
function logTransitions(log: Logger, before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): void {
  for (const type of [ConditionType.AgentConnected, ConditionType.Ready, ConditionType.ReportAccepted, ConditionType.ConnectionAccepted]) {
    const a = before?.find((c) => c.type === type);
    const b = after?.find((c) => c.type === type);
    if (b === undefined || (a?.status === b.status && a.reason === b.reason)) continue;
    log.info(
      { condition: type, status: b.status, reason: b.reason, previousStatus: a?.status, previousReason: a?.reason, detail: b.message },
      `site ${type} is now ${b.status} (${b.reason})`,
    );
  }
}

/** SiteControllerOptions configures newSiteController. */
export interface SiteControllerOptions extends Omit<SiteReconcilerOptions, 'sites' | 'clock'> {
  readonly sites: ObjectCache<Site>;
  readonly clock: Clock;
  /** Sites reconciled in parallel (default 4): one slow write must not delay every other site's lease. */
  readonly concurrency?: number;
  /** secrets: the hub's site kubeconfig Secrets; a change wakes the Sites naming the Secret (ConnectionAccepted). */
  readonly secrets?: Pick<ObjectCache<V1Secret>, 'onChange' | 'waitForSync'>;
  /** The controller loop's metrics (runtime/loop-metrics.ts); default none. */
  readonly metrics?: LoopMetrics;
}

/**
 * newSiteController builds the Site controller. Besides Site changes, the session state must wake it: pass
 * `controller.queue.add(siteKey(site))` as SiteSessions' onChange.
 */
export function newSiteController(options: SiteControllerOptions): Controller {
  const reconciler = new SiteStatusReconciler(options);
  const source: WatchSource = {
    subscribe(enqueue) {
      const unsubscribe = options.sites.onChange((obj) => enqueue(siteKey(obj.metadata.name ?? '')));
      for (const site of options.sites.list()) enqueue(siteKey(site.metadata.name ?? ''));
      return unsubscribe;
    },
    waitForSync: (signal) => options.sites.waitForSync(signal),
  };
  const secrets = options.secrets;
  const secretSource: WatchSource | undefined =
    secrets === undefined
      ? undefined
      : {
          subscribe(enqueue) {
            return secrets.onChange((secret) => {
              const ns = secret.metadata?.namespace;
              const name = secret.metadata?.name;
              for (const site of options.sites.list()) {
                const ref = site.spec.connection.kubeconfigSecretRef;
                // An unset namespace means the operator's own, the only one the informer watches.
                if (ref?.name === name && (ref?.namespace === undefined || ref.namespace === ns)) enqueue(siteKey(site.metadata.name ?? ''));
              }
            });
          },
          waitForSync: (signal) => secrets.waitForSync(signal),
        };
  return new Controller({
    name: 'site',
    reconciler,
    sources: secretSource === undefined ? [source] : [source, secretSource],
    clock: options.clock,
    logger: options.logger,
    concurrency: options.concurrency ?? 4,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  });
}
