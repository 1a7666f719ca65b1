/**
 * Kubernetes Events on hub objects, so `kubectl describe trainingjob` tells the story: placed where, started,
 * finished. Events are best effort (the status is the record): a failed write is logged and forgotten, never
 * retried, and never fails a reconcile. Level-triggered reconciles repeat themselves, so the same event is not
 * written twice in a row for one object.
 */
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ObjectMeta } from '../../api/generated/types.ts';
import type { Clock } from '../../runtime/clock.ts';

/** EventReason holds the reasons of the events the TrainingJob controller writes (PascalCase, like conditions). */
export const EventReason = {
  Placed: 'Placed',
  Unschedulable: 'Unschedulable',
  MemberCreateFailed: 'MemberCreateFailed',
  Started: 'Started',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Suspended: 'Suspended',
  Replacing: 'Replacing',
  FailingOver: 'FailingOver',
  FailoverLimitExceeded: 'FailoverLimitExceeded',
  /** A member found at a site, newer than the status knew (the status was lost), was taken as the placement. */
  Adopted: 'Adopted',
  /** Stale member objects (an older epoch, another uid) were deleted at a site. */
  Fenced: 'Fenced',
  CleanedUp: 'CleanedUp',
  /** Its queue admitted the workload (quota reserved). */
  Admitted: 'Admitted',
  /** The workload waits in its queue; the message says why, with the numbers. */
  Queued: 'Queued',
  /** Its queue stopped the workload to admit another (Queue preemptionPolicy). */
  Preempted: 'Preempted',
  /** A finished workload was deleted because its ttlSecondsAfterFinished passed. */
  Expired: 'Expired',
  /** A Queue's quota, borrowing limit, weight or policy changed. */
  QuotaChanged: 'QuotaChanged',
} as const;

/** EventType is core/v1 Event.type. */
export type EventType = 'Normal' | 'Warning';

/** EventSubject is the object an event is about. */
export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

/** EventRecorder records events about hub objects. */
export interface EventRecorder {
  /** record writes an event unless it repeats the last one recorded for the same object. */
  record(subject: EventSubject, type: EventType, reason: string, message: string): void;
  /** forget drops what is remembered about an object (it was deleted). */
  forget(namespace: string, name: string): void;
}

/** EventCreator is the one CoreV1Api call the recorder makes (a seam for tests). */
export type EventCreator = Pick<CoreV1Api, 'createNamespacedEvent'>;

/** HubEventRecorderOptions configures a HubEventRecorder. */
export interface HubEventRecorderOptions {
  /** The hub's kubeconfig; ignored when `core` is given. */
  readonly kubeConfig?: KubeConfig;
  readonly core?: EventCreator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Written as source.component and reportingComponent (default suanwang-operator). */
  readonly component?: string;
  /** Written as reportingInstance, e.g. the pod name (default: the component). */
  readonly instance?: string;
}

/** HubEventRecorder writes core/v1 Events to the hub, in the namespace of the object they are about. */
export class HubEventRecorder implements EventRecorder {
  readonly #core: EventCreator;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #component: string;
  readonly #instance: string;
  readonly #last = new Map<string, string>();
  #seq = 0;

  constructor(options: HubEventRecorderOptions) {
    if (options.core !== undefined) this.#core = options.core;
    else if (options.kubeConfig !== undefined) this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    else throw new Error('HubEventRecorder needs a kubeConfig or a core client');
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#component = options.component ?? 'suanwang-operator';
    this.#instance = options.instance ?? this.#component;
  }

  record(subject: EventSubject, type: EventType, reason: string, message: string): void {
    const namespace = subject.metadata.namespace ?? 'default';
    const name = subject.metadata.name ?? '';
    const key = `${namespace}/${name}`;
    const signature = `${subject.metadata.uid ?? ''}\n${type}\n${reason}\n${message}`;
    if (this.#last.get(key) === signature) return;
    this.#last.set(key, signature);

    const nowMs = this.#clock.now();
    const now = new Date(nowMs);
    // client-go names events <object>.<unix nanos in hex>; a sequence number keeps two in one millisecond apart.
    const nanos = BigInt(nowMs) * 1_000_000n + BigInt(this.#seq++ % 1_000_000);
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name.slice(0, 200)}.${nanos.toString(16)}`, namespace },
      involvedObject: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name,
        namespace,
        ...(subject.metadata.uid !== undefined && { uid: subject.metadata.uid }),
        ...(subject.metadata.resourceVersion !== undefined && { resourceVersion: subject.metadata.resourceVersion }),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.#component },
      reportingComponent: this.#component,
      reportingInstance: this.#instance,
    };
    this.#core.createNamespacedEvent({ namespace, body }).catch((err: unknown) => {
      this.#log.warn({ err, namespace, name, reason }, 'writing an event failed; dropped');
    });
  }

  forget(namespace: string, name: string): void {
    this.#last.delete(`${namespace}/${name}`);
  }
}

/** NoopEventRecorder drops every event (tools and tests that have no hub to write to). */
export const noopEventRecorder: EventRecorder = {
  record: () => {},
  forget: () => {},
};
