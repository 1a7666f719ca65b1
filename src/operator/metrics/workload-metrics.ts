/**
 * Workloads and queues as the hub caches hold them, read at scrape time: TrainingJobs and InferenceServices counted
 * by phase, and per Queue its waiting workloads, its usage per resource and what its running attempts cost per hour.
 * Counting by phase keeps the series fixed however many workloads exist: no label ever names a workload or its
 * namespace. Queue labels come from Queue objects only (an administrator's), never from what a workload's spec.queue
 * says, so a typo in ten thousand specs cannot make ten thousand series.
 */
import { Gauge, type Registry } from 'prom-client';
import type { InferenceService, Queue, TrainingJob } from '../../api/generated/types.ts';
import { ConditionType, DEFAULT_CURRENCY, DEFAULT_QUEUE, TrainingJobPhase } from '../../api/names.ts';
import { parseQuantity } from '../../api/quantity.ts';
import { findCondition, isTrue } from '../../runtime/conditions.ts';

/** WorkloadMetricsSources are what the workload gauges are read from at each scrape. */
export interface WorkloadMetricsSources {
  readonly trainingJobs: () => readonly TrainingJob[];
  readonly inferenceServices: () => readonly InferenceService[];
  readonly queues: () => readonly Queue[];
}

/**
 * InferencePhase summarises an InferenceService as one word for the phase label (the kind has no status.phase):
 * Pending (waiting for its queue, or no replica placed yet), NotReady (placed, below its minimum ready replicas),
 * Degraded (serving with fewer replicas or sites than asked), Ready (serving as asked).
 */
export const InferencePhase = { Pending: 'Pending', NotReady: 'NotReady', Degraded: 'Degraded', Ready: 'Ready' } as const;
export type InferencePhaseName = (typeof InferencePhase)[keyof typeof InferencePhase];

/** inferencePhase is the phase label of one InferenceService (InferencePhase). */
export function inferencePhase(svc: InferenceService): InferencePhaseName {
  const conditions = svc.status?.conditions;
  if (isTrue(conditions, ConditionType.Ready)) return isTrue(conditions, ConditionType.Degraded) ? InferencePhase.Degraded : InferencePhase.Ready;
  const admitted = findCondition(conditions, ConditionType.Admitted);
  if (admitted?.status === 'False' || (svc.status?.replicas ?? 0) === 0) return InferencePhase.Pending;
  return InferencePhase.NotReady;
}

/** registerWorkloadMetrics defines the workload and queue gauges on `registry`. */
export function registerWorkloadMetrics(registry: Registry, src: WorkloadMetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: 'suanwang_trainingjobs',
    help: 'TrainingJobs on the hub by status.phase (Pending, Suspended, Placed, Running, Restarting, Succeeded, Failed).',
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      // Every phase from the start, so "none Failed" is a 0 and not a missing series.
      const counts = new Map<string, number>(Object.values(TrainingJobPhase).map((p) => [p, 0]));
      for (const tj of src.trainingJobs()) {
        const phase = tj.status?.phase ?? TrainingJobPhase.Pending;
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: 'suanwang_inferenceservices',
    help: 'InferenceServices on the hub by phase, from their conditions: Pending, NotReady, Degraded, Ready.',
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, number>(Object.values(InferencePhase).map((p) => [p, 0]));
      for (const svc of src.inferenceServices()) {
        const phase = inferencePhase(svc);
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: 'suanwang_queue_waiting_workloads',
    help: 'Workloads waiting for their Queue to admit them (Queue status.pending, as of its last admission cycle).',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const q of src.queues()) this.set({ queue: q.metadata.name ?? '' }, q.status?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'suanwang_queue_usage',
    help: 'Resources held by the workloads a Queue admitted, summed over every site (cpu in cores, memory in bytes, devices as counts).',
    labelNames: ['queue', 'resource'],
    registers,
    collect() {
      this.reset();
      for (const q of src.queues()) {
        for (const [resource, quantity] of Object.entries(q.status?.usage ?? {})) {
          const value = parseQuantity(quantity);
          if (value !== undefined) this.set({ queue: q.metadata.name ?? '', resource }, value);
        }
      }
    },
  });
  new Gauge({
    name: 'suanwang_queue_cost_per_hour',
    help: "What a Queue's running TrainingJob attempts cost per hour at the prices their sites named when they were placed, by currency.",
    labelNames: ['queue', 'currency'],
    registers,
    collect() {
      this.reset();
      const queues = new Set(src.queues().map((q) => q.metadata.name ?? ''));
      const rates = new Map<string, { queue: string; currency: string; perHour: number }>();
      for (const q of queues) rates.set(`${q}\u0000${DEFAULT_CURRENCY}`, { queue: q, currency: DEFAULT_CURRENCY, perHour: 0 });
      for (const tj of src.trainingJobs()) {
        for (const a of tj.status?.attempts ?? []) {
          if (a.endTime !== undefined || a.pricePerHour === undefined) continue;
          const queue = a.queue || tj.spec.queue || DEFAULT_QUEUE;
          if (!queues.has(queue)) continue;
          const currency = a.currency ?? DEFAULT_CURRENCY;
          const key = `${queue}\u0000${currency}`;
          const row = rates.get(key) ?? { queue, currency, perHour: 0 };
          rates.set(key, { ...row, perHour: row.perHour + a.pricePerHour });
        }
      }
      for (const r of rates.values()) this.set({ queue: r.queue, currency: r.currency }, r.perHour);
    },
  });
}
