/**
 * Wiring of the InferenceService controller: which changes wake which services, and the reconciler behind them.
 * The informers belong to the composition root (one informer feeds several controllers); this only subscribes.
 * A service is looked at when a member Deployment at a site changes (readiness), on every Site change placement can
 * see (a site lost, back, cordoned or with new capacity may change any service's assignment;
 * framework/site-change-source.ts), and every pollIntervalMs as a safety net.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { Kind } from '../../api/names.ts';
import { Controller } from '../../runtime/controller.ts';
import type { LoopMetrics } from '../../runtime/loop-metrics.ts';
import { makeKey } from '../../runtime/key.ts';
import { watchSource, type SourceInformerView } from '../../runtime/source.ts';
import { memberSource } from '../framework/member-source.ts';
import { siteChangeSource } from '../framework/site-change-source.ts';
import type { LabelledObject, ObjectCache } from '../../runtime/object-cache.ts';
import { HubEventRecorder, type EventRecorder } from '../framework/events.ts';
import { InferenceServiceReconciler, type InferenceServiceReconcilerOptions } from './reconciler.ts';

/**
 * InferenceControllerOptions configures newInferenceController: the reconciler's options (reconciler.ts), with the
 * informers in place of its cache readers. Pass the TrainingJob controller's PromisedCapacityTracker as `promised`,
 * so neither over-commits what the other just placed.
 */
export interface InferenceControllerOptions extends Omit<InferenceServiceReconcilerOptions, 'hub' | 'inferenceServices' | 'sites'> {
  /** The hub's kubeconfig: InferenceService writes and Events. */
  readonly hub: KubeConfig;
  readonly informers: {
    readonly inferenceServices: ObjectCache<InferenceService>;
    readonly sites: ObjectCache<Site>;
    /** The member Deployments at every site (cache/member-informers.ts): readiness changes wake the service at once. */
    readonly memberDeployments?: SourceInformerView<LabelledObject>;
  };
  /** Default: Events written to the hub. */
  readonly events?: EventRecorder;
  /** Keys reconciled in parallel (default 4). */
  readonly concurrency?: number;
  /** The controller loop's metrics (runtime/loop-metrics.ts); default none. */
  readonly metrics?: LoopMetrics;
}

/** inferenceServiceKey is the work-queue key of an InferenceService. */
export function inferenceServiceKey(namespace: string | undefined, name: string): string {
  return makeKey(Kind.InferenceService, namespace, name);
}

/** newInferenceController builds the InferenceService controller; the caller starts and stops it. */
export function newInferenceController(options: InferenceControllerOptions): Controller {
  const { inferenceServices, sites } = options.informers;
  const reconciler = new InferenceServiceReconciler({
    ...options,
    hub: options.hub.makeApiClient(CustomObjectsApi),
    inferenceServices: (namespace, name) => inferenceServices.get(namespace, name),
    sites: () => sites.list(),
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
  });
  const keyOf = (svc: InferenceService): string => inferenceServiceKey(svc.metadata.namespace, svc.metadata.name ?? '');
  return new Controller({
    name: 'inferenceservice',
    reconciler,
    sources: [
      watchSource(inferenceServices, (svc) => [keyOf(svc)]),
      // Level-triggered: a Site change that placement can see may matter to any service; the reconciler finds out.
      siteChangeSource(sites, () => inferenceServices.list().map(keyOf)),
      ...(options.informers.memberDeployments === undefined ? [] : [memberSource(options.informers.memberDeployments, inferenceServiceKey)]),
    ],
    clock: options.clock,
    logger: options.logger,
    concurrency: options.concurrency ?? 4,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  });
}
