/**
 * Wiring of the TrainingJob controller: which changes wake which TrainingJobs, and the reconciler behind them.
 * The informers are the composition root's (one informer may feed several controllers); this only subscribes.
 * A Site wakes its jobs only when it changed in a way placement can see (site/site-change-source.ts), not on every
 * heartbeat written to its status.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Site, TrainingJob } from '../../api/generated/types.ts';
import { AttemptOutcome, Kind, TrainingJobPhase } from '../../api/names.ts';
import { Controller } from '../../runtime/controller.ts';
import type { LoopMetrics } from '../../runtime/loop-metrics.ts';
import { makeKey } from '../../runtime/key.ts';
import { watchSource, type SourceInformerView, type WatchSource } from '../../runtime/source.ts';
import { memberSource } from '../framework/member-source.ts';
import { siteChangeSource, type SiteChange } from '../framework/site-change-source.ts';
import { HubEventRecorder, type EventRecorder } from '../framework/events.ts';
import { TrainingJobReconciler, type TrainingJobReconcilerOptions } from './reconciler.ts';
import { isTerminal } from './status.ts';
import type { LabelledObject, ObjectCache } from '../../runtime/object-cache.ts';

/**
 * TrainingControllerOptions configures newTrainingController: the reconciler's options (reconciler.ts), with the
 * informers in place of its cache readers.
 */
export interface TrainingControllerOptions extends Omit<TrainingJobReconcilerOptions, 'hub' | 'trainingJobs' | 'sites'> {
  /** The hub's kubeconfig: TrainingJob writes and Events. */
  readonly hub: KubeConfig;
  readonly informers: {
    readonly trainingJobs: ObjectCache<TrainingJob>;
    readonly sites: ObjectCache<Site>;
    /**
     * The member Jobs at every site (cache/member-informers.ts): a change wakes the job at once instead of at the
     * next poll. Without it the controller only polls the member Job of every placed, unfinished job.
     */
    readonly memberJobs?: SourceInformerView<LabelledObject>;
  };
  /** Default: Events written to the hub. */
  readonly events?: EventRecorder;
  /** Keys reconciled in parallel (default DEFAULT_TRAINING_CONCURRENCY). */
  readonly concurrency?: number;
  /** The controller loop's metrics (runtime/loop-metrics.ts); default none. */
  readonly metrics?: LoopMetrics;
}

/**
 * DEFAULT_TRAINING_CONCURRENCY: TrainingJobs reconciled at once (never one job twice: the work queue). A reconcile
 * mostly waits on the hub and the sites (its status write, its members' reads, their creation), so more run at once
 * than there are cores; at 4, the 1,000-job lab benchmark kept 300 to 700 keys queued with the operator at 30 % CPU.
 */
export const DEFAULT_TRAINING_CONCURRENCY = 16;

/** trainingJobKey is the work-queue key of a TrainingJob. */
export function trainingJobKey(namespace: string | undefined, name: string): string {
  return makeKey(Kind.TrainingJob, namespace, name);
}

/**
 * waitsForSite says whether a change of `site` may matter to `tj`: it is placed there (the site may be gone), it
 * was lost there (the site may be back, with members to fence off), or it waits for any site (capacity may have
 * freed). Level-triggered: the reconciler decides what, if anything, to do. With an admission ledger
 * (`byLedger`), a job that waits to be admitted is not woken by Site changes: the ledger runs a cycle on each and
 * wakes exactly the jobs whose verdict changed. Waking every waiting job on every pod start or end at any site kept
 * the work queue about a thousand deep with a thousand queued jobs, and running jobs' member changes waited behind.
 */
export function waitsForSite(tj: TrainingJob, site: string, byLedger = false, change: SiteChange = 'State'): boolean {
  const s = tj.status;
  const attempts = s?.attempts ?? [];
  // Free capacity moving (a pod started or ended there) concerns only jobs waiting for room. A placed job is concerned
  // by its site's state (lost, back, cordoned, deleted, devices failing), not by its neighbours: waking each of a
  // site's placed jobs on every pod start or end there kept the work queue 10,000 deep at 10,000 jobs.
  if (change === 'Capacity') return tj.metadata.deletionTimestamp === undefined && s?.site === undefined && waitsForRoom(tj, byLedger);
  if (tj.metadata.deletionTimestamp !== undefined) return s?.site === site || attempts.some((a) => a.site === site);
  // A site the job was lost at may hold stale members: when it comes back they are deleted (failover.ts).
  if (attempts.some((a) => a.site === site && a.site !== s?.site && a.outcome === AttemptOutcome.SiteLost)) return true;
  // A finished job keeps its site in status, but no change there concerns it: its clean-up is its own (TTL, retries).
  // Waking every finished job of a site on each pod start or end there filled the work queue with hundreds of keys.
  if (isTerminal(s?.phase)) return false;
  if (s?.site !== undefined) return s.site === site;
  return waitsForRoom(tj, byLedger);
}

/** waitsForRoom says whether an unplaced job is looking for a site itself (with a ledger: once it is admitted). */
function waitsForRoom(tj: TrainingJob, byLedger: boolean): boolean {
  const s = tj.status;
  if (byLedger && s?.admission === undefined) return false;
  return !isTerminal(s?.phase) && tj.spec.suspend !== true && s?.phase !== TrainingJobPhase.Suspended;
}

/** newTrainingController builds the TrainingJob controller; the caller starts and stops it. */
export function newTrainingController(options: TrainingControllerOptions): Controller {
  const { trainingJobs, sites } = options.informers;
  const reconciler = new TrainingJobReconciler({
    ...options,
    hub: options.hub.makeApiClient(CustomObjectsApi),
    trainingJobs: (namespace, name) => trainingJobs.get(namespace, name),
    sites: () => sites.list(),
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
  });
  const sources: WatchSource[] = [
    watchSource(trainingJobs, (tj) => [trainingJobKey(tj.metadata.namespace, tj.metadata.name ?? '')]),
    siteChangeSource(sites, (site, change) =>
      trainingJobs
        .list()
        .filter((tj) => waitsForSite(tj, site, options.admission !== undefined, change))
        .map((tj) => trainingJobKey(tj.metadata.namespace, tj.metadata.name ?? '')),
    ),
    ...(options.informers.memberJobs === undefined ? [] : [memberSource(options.informers.memberJobs, trainingJobKey)]),
  ];
  return new Controller({
    name: 'trainingjob',
    reconciler,
    sources,
    clock: options.clock,
    logger: options.logger,
    concurrency: options.concurrency ?? DEFAULT_TRAINING_CONCURRENCY,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  });
}
