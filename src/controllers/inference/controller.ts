/**
 * Wiring of the InferenceService controller: which changes wake which services, and the reconciler behind them.
 * The informers belong to the composition root (one informer feeds several controllers); this only subscribes.
 * Member Deployments are not watched: every service is looked at again every pollIntervalMs (readiness) and on
 * every Site change (a site lost, back, cordoned or with new capacity may change any service's assignment).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { Kind } from '../../api/names.ts';
import type { SiteClients } from '../../clusters/site-clients.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import type { Clock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { makeKey } from '../runtime/key.ts';
import type { WatchSource } from '../runtime/source.ts';
import type { ObjectCache } from '../training/controller.ts';
import { HubEventRecorder, type EventRecorder } from '../training/events.ts';
import { deepEqual } from '../training/merge-patch.ts';
import type { PromisedCapacityTracker } from '../training/promised-capacity.ts';
import { InferenceServiceReconciler } from './reconciler.ts';

/** InferenceControllerOptions configures newInferenceController. */
export interface InferenceControllerOptions {
  /** The hub's kubeconfig: InferenceService writes and Events. */
  readonly hub: KubeConfig;
  readonly siteClients: Pick<SiteClients, 'forSite'>;
  readonly informers: {
    readonly inferenceServices: ObjectCache<InferenceService>;
    readonly sites: ObjectCache<Site>;
  };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: Events written to the hub. */
  readonly events?: EventRecorder;
  readonly placementConfig?: PlacementConfig;
  /** Share the TrainingJob controller's tracker, so neither over-commits what the other just placed. */
  readonly promised?: PromisedCapacityTracker;
  /** How long a site may be not Ready before its replicas move elsewhere (default 60 s). */
  readonly siteLostGraceMs?: number;
  /** How often each service is looked at to mirror readiness (default 10 s). */
  readonly pollIntervalMs?: number;
  /** Keys reconciled in parallel (default 4). */
  readonly concurrency?: number;
}

/** inferenceServiceKey is the work-queue key of an InferenceService. */
export function inferenceServiceKey(namespace: string | undefined, name: string): string {
  return makeKey(Kind.InferenceService, namespace, name);
}

/** newInferenceController builds the InferenceService controller; the caller starts and stops it. */
export function newInferenceController(options: InferenceControllerOptions): Controller {
  const { inferenceServices, sites } = options.informers;
  const reconciler = new InferenceServiceReconciler({
    hub: options.hub,
    inferenceServices: (namespace, name) => inferenceServices.get(namespace, name),
    sites: () => sites.list(),
    siteClients: options.siteClients,
    clock: options.clock,
    logger: options.logger,
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
    ...(options.placementConfig !== undefined && { placementConfig: options.placementConfig }),
    ...(options.promised !== undefined && { promised: options.promised }),
    ...(options.siteLostGraceMs !== undefined && { siteLostGraceMs: options.siteLostGraceMs }),
    ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
  });
  const keyOf = (svc: InferenceService): string => inferenceServiceKey(svc.metadata.namespace, svc.metadata.name ?? '');
  const sources: WatchSource[] = [
    cacheSource(inferenceServices, (svc) => [keyOf(svc)]),
    // Level-triggered: a Site change that placement can see may matter to any service; the reconciler finds out.
    siteSource(sites, () => inferenceServices.list().map(keyOf)),
  ];
  return new Controller({
    name: 'inferenceservice',
    reconciler,
    sources,
    clock: options.clock,
    logger: options.logger,
    concurrency: options.concurrency ?? 4,
  });
}

/**
 * siteChangeMatters says whether a Site changed in a way placement or rebalancing can see: its spec, its conditions
 * (status, reason, transition) or its pools. A heartbeat alone (lastHeartbeatTime, resourceVersion) does not: it
 * would wake every service at every heartbeat of every site.
 */
export function siteChangeMatters(previous: Site | undefined, next: Site): boolean {
  if (previous === undefined || previous === next) return true;
  const view = (s: Site): unknown => ({
    deleting: s.metadata.deletionTimestamp !== undefined,
    spec: s.spec,
    conditions: (s.status?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    pools: s.status?.nodePools ?? [],
  });
  return !deepEqual(view(previous), view(next));
}

/** siteSource enqueues `keys()` on every Site change that matters or deletion, and once on subscribe. */
function siteSource(cache: ObjectCache<Site>, keys: () => readonly string[]): WatchSource {
  return {
    subscribe(enqueue) {
      const unsubscribe = cache.onChange((site, previous) => {
        // A deleted Site is no longer cached (its last state may equal the previous one).
        const deleted = cache.get(undefined, site.metadata.name ?? '') !== site;
        if (deleted || siteChangeMatters(previous, site)) for (const key of keys()) enqueue(key);
      });
      if (cache.list().length > 0) for (const key of keys()) enqueue(key);
      return unsubscribe;
    },
    waitForSync: (signal) => cache.waitForSync(signal),
  };
}

/**
 * cacheSource adapts a structural ObjectCache to a WatchSource, with runtime/source.ts's rules: the previous state
 * is mapped too, and objects already cached are replayed on subscribe. (runtime's watchSource wants client-node's
 * KubernetesObject, which the hub kinds typed by src/api do not satisfy without casts.)
 */
function cacheSource<T>(cache: Pick<ObjectCache<T>, 'onChange' | 'list' | 'waitForSync'>, map: (obj: T) => readonly string[]): WatchSource {
  return {
    subscribe(enqueue) {
      const unsubscribe = cache.onChange((obj, previous) => {
        const keys = new Set(map(obj));
        if (previous !== undefined && previous !== obj) for (const key of map(previous)) keys.add(key);
        for (const key of keys) enqueue(key);
      });
      for (const obj of cache.list()) for (const key of map(obj)) enqueue(key);
      return unsubscribe;
    },
    waitForSync: (signal) => cache.waitForSync(signal),
  };
}
