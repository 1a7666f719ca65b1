/**
 * Wiring of the TrainingJob controller: which changes wake which TrainingJobs, and the reconciler behind them.
 * The informers are the composition root's (one informer may feed several controllers); this only subscribes.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Site, TrainingJob } from '../../api/generated/types.ts';
import { Kind, LABEL_NAMESPACE, LABEL_WORKLOAD, TrainingJobPhase } from '../../api/names.ts';
import type { SiteClients } from '../../clusters/site-clients.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import type { Clock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { makeKey } from '../runtime/key.ts';
import type { WatchSource } from '../runtime/source.ts';
import { HubEventRecorder, type EventRecorder } from './events.ts';
import type { PromisedCapacityTracker } from './promised-capacity.ts';
import { TrainingJobReconciler } from './reconciler.ts';
import { isTerminal } from './status.ts';

/**
 * ObjectCache is what the controller needs of an informer: its cache and its changes. An InformerSupervisor is one;
 * the interface is structural so that the hub kinds (typed by src/api, not by client-node) fit without casts.
 */
export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  onChange(listener: (obj: T, previous: T | undefined) => void): () => void;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

/** LabelledObject is any object with labels: enough to map a member object to its TrainingJob. */
export interface LabelledObject {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> | undefined } | undefined;
}

/** TrainingControllerOptions configures newTrainingController. */
export interface TrainingControllerOptions {
  /** The hub's kubeconfig: TrainingJob writes and Events. */
  readonly hub: KubeConfig;
  readonly siteClients: Pick<SiteClients, 'forSite'>;
  readonly informers: {
    readonly trainingJobs: ObjectCache<TrainingJob>;
    readonly sites: ObjectCache<Site>;
    /**
     * Site-side informers of member Jobs (optional): a change wakes the job at once instead of at the next poll.
     * Without them the controller polls the member Job of every placed, unfinished job.
     */
    readonly memberJobs?: readonly Pick<ObjectCache<LabelledObject>, 'onChange' | 'list' | 'waitForSync'>[];
  };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: Events written to the hub. */
  readonly events?: EventRecorder;
  readonly placementConfig?: PlacementConfig;
  readonly promised?: PromisedCapacityTracker;
  /** Keys reconciled in parallel (default 4). */
  readonly concurrency?: number;
  /** How often a placed, unfinished job is polled (default 10 s). */
  readonly pollIntervalMs?: number;
}

/** trainingJobKey is the work-queue key of a TrainingJob. */
export function trainingJobKey(namespace: string | undefined, name: string): string {
  return makeKey(Kind.TrainingJob, namespace, name);
}

/**
 * waitsForSite says whether a change of `site` may matter to `tj`: it is placed there (the site may be gone), or it
 * waits for any site (capacity may have freed). Level-triggered: the reconciler decides what, if anything, to do.
 */
export function waitsForSite(tj: TrainingJob, site: string): boolean {
  const s = tj.status;
  if (tj.metadata.deletionTimestamp !== undefined) return s?.site === site;
  if (s?.site !== undefined) return s.site === site;
  return !isTerminal(s?.phase) && tj.spec.suspend !== true && s?.phase !== TrainingJobPhase.Suspended;
}

/** newTrainingController builds the TrainingJob controller; the caller starts and stops it. */
export function newTrainingController(options: TrainingControllerOptions): Controller {
  const { trainingJobs, sites } = options.informers;
  const reconciler = new TrainingJobReconciler({
    hub: options.hub,
    trainingJobs: (namespace, name) => trainingJobs.get(namespace, name),
    sites: () => sites.list(),
    siteClients: options.siteClients,
    clock: options.clock,
    logger: options.logger,
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
    ...(options.placementConfig !== undefined && { placementConfig: options.placementConfig }),
    ...(options.promised !== undefined && { promised: options.promised }),
    ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
  });
  const sources: WatchSource[] = [
    cacheSource(trainingJobs, (tj) => [trainingJobKey(tj.metadata.namespace, tj.metadata.name ?? '')]),
    cacheSource(sites, (site) => {
      const name = site.metadata.name ?? '';
      return trainingJobs
        .list()
        .filter((tj) => waitsForSite(tj, name))
        .map((tj) => trainingJobKey(tj.metadata.namespace, tj.metadata.name ?? ''));
    }),
    ...(options.informers.memberJobs ?? []).map((jobs) =>
      cacheSource(jobs, (job) => {
        const labels = job.metadata?.labels;
        const namespace = labels?.[LABEL_NAMESPACE];
        const name = labels?.[LABEL_WORKLOAD];
        return namespace === undefined || name === undefined ? [] : [trainingJobKey(namespace, name)];
      }),
    ),
  ];
  return new Controller({
    name: 'trainingjob',
    reconciler,
    sources,
    clock: options.clock,
    logger: options.logger,
    concurrency: options.concurrency ?? 4,
  });
}

/**
 * cacheSource is runtime/source.ts's watchSource over a structural cache: the same rules (the previous state is
 * mapped too, so a relabelled object wakes its old and new owner; cached objects are replayed on subscribe).
 */
function cacheSource<T>(
  cache: Pick<ObjectCache<T>, 'onChange' | 'list' | 'waitForSync'>,
  map: (obj: T) => readonly string[],
): WatchSource {
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
