/**
 * Failovers and preemptions are counted from the Events the workload controllers record, through a recorder that
 * counts and passes every call on: the controllers already record exactly one Event per failover (TrainingJob
 * FailingOver, InferenceService ReplicasMoved, one per site the replicas leave) and per preemption (Preempted), and
 * the recorder is an option of their factories, so no controller code learns about metrics. A repeat of the last
 * event of an object is not counted, by the rule HubEventRecorder writes by: level-triggered passes repeat themselves.
 */
import { Counter, type Registry } from 'prom-client';
import { DEFAULT_QUEUE, Kind } from '../../api/names.ts';
import { EventReason, type EventRecorder, type EventSubject, type EventType } from '../../controllers/framework/events.ts';
import { InferenceEventReason } from '../../controllers/inference/event-reasons.ts';

/** FAILOVER_REASONS are the event reasons that mean a workload (or part of it) moved off a site, per kind. */
const FAILOVER_REASONS: Readonly<Record<string, string>> = {
  [Kind.TrainingJob]: EventReason.FailingOver,
  [Kind.InferenceService]: InferenceEventReason.ReplicasMoved,
};

/** WorkloadEventCounters defines the counters on a registry and makes counting recorders that feed them. */
export class WorkloadEventCounters {
  readonly #failovers: Counter<'kind'>;
  readonly #preemptions: Counter<'queue'>;

  constructor(registry: Registry) {
    this.#failovers = new Counter({
      name: 'suanwang_failovers_total',
      help: 'Workloads moved off a site that was lost, cordoned or whose devices failed: a TrainingJob failing over, or an InferenceService moving replicas (once per site they leave).',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of Object.keys(FAILOVER_REASONS)) this.#failovers.inc({ kind }, 0);
    this.#preemptions = new Counter({
      name: 'suanwang_preemptions_total',
      help: 'TrainingJobs their Queue stopped to admit other work (Queue preemptionPolicy), by the Queue of the preempted job.',
      labelNames: ['queue'],
      registers: [registry],
    });
  }

  /** recorder wraps the Event recorder of one kind's controller; every call reaches `inner` as before. */
  recorder(kind: string, inner: EventRecorder): EventRecorder {
    const last = new Map<string, string>();
    const failover = FAILOVER_REASONS[kind];
    return {
      record: (subject: EventSubject, type: EventType, reason: string, message: string) => {
        inner.record(subject, type, reason, message);
        const key = `${subject.metadata.namespace ?? 'default'}/${subject.metadata.name ?? ''}`;
        const signature = `${subject.metadata.uid ?? ''}\n${type}\n${reason}\n${message}`;
        if (last.get(key) === signature) return;
        last.set(key, signature);
        if (reason === failover) this.#failovers.inc({ kind });
        else if (reason === EventReason.Preempted) this.#preemptions.inc({ queue: queueOf(subject) });
      },
      forget: (namespace: string, name: string) => {
        inner.forget(namespace, name);
        last.delete(`${namespace}/${name}`);
      },
    };
  }
}

/** queueOf reads spec.queue of the workload an event is about: controllers record events on the whole object. */
function queueOf(subject: EventSubject): string {
  const queue = (subject as { spec?: { queue?: unknown } }).spec?.queue;
  return typeof queue === 'string' && queue !== '' ? queue : DEFAULT_QUEUE;
}
