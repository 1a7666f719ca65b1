/**
 * What metering reads of a workload: its metered intervals, each a stretch of time during which one site held a
 * charge for the workload at a price fixed when it began. A TrainingJob's intervals are its attempts
 * (status.attempts); an InferenceService's are its replica intervals (status.replicaIntervals: one per site and
 * per change of the replicas there). From here on both kinds are metered the same way (metering.ts), and a deleted
 * workload's intervals are folded into its queues (retired-usage.ts). Pure.
 */
import type { InferenceService, Quantity, TrainingJob } from '../api/generated/types.ts';

/** WorkloadKind names the two kinds that are metered. */
export type WorkloadKind = 'TrainingJob' | 'InferenceService';

/** MeteredInterval is one stretch of time one site held something for a workload. */
export interface MeteredInterval {
  /** id tells the interval apart within its workload: a training attempt's epoch, a replica interval's site and start. */
  readonly id: string;
  /** queue is the Queue it was charged to; '' when it ran without one. */
  readonly queue: string;
  readonly site: string;
  readonly startTime: string;
  /** endTime is absent while the interval lasts. */
  readonly endTime?: string | undefined;
  readonly charge?: Readonly<Record<string, Quantity>> | undefined;
  readonly pricePerHour?: number | undefined;
  readonly currency?: string | undefined;
}

/** MeteredWorkload is a workload reduced to what metering needs. */
export interface MeteredWorkload {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** uid is metadata.uid; '' for an object without one (never one read from a hub). */
  readonly uid: string;
  /** deletedAt is metadata.deletionTimestamp: nothing of the workload counts after it, and its usage is retired. */
  readonly deletedAt?: string | undefined;
  readonly intervals: readonly MeteredInterval[];
}

/** trainingUsage reads a TrainingJob's attempts; an attempt recorded without an epoch is told apart by start and site. */
export function trainingUsage(tj: TrainingJob): MeteredWorkload {
  return {
    ...identity('TrainingJob', tj),
    intervals: (tj.status?.attempts ?? []).map((a) => ({
      id: a.epoch !== undefined ? `epoch ${a.epoch}` : `${a.startTime} ${a.site}`,
      queue: a.queue ?? '',
      site: a.site,
      startTime: a.startTime,
      endTime: a.endTime,
      charge: a.charge,
      pricePerHour: a.pricePerHour,
      currency: a.currency,
    })),
  };
}

/** inferenceUsage reads an InferenceService's replica intervals; one site never opens two in the same second. */
export function inferenceUsage(svc: InferenceService): MeteredWorkload {
  return {
    ...identity('InferenceService', svc),
    intervals: (svc.status?.replicaIntervals ?? []).map((i) => ({
      id: `${i.site} ${i.startTime}`,
      queue: i.queue ?? '',
      site: i.site,
      startTime: i.startTime,
      endTime: i.endTime,
      charge: i.charge,
      pricePerHour: i.pricePerHour,
      currency: i.currency,
    })),
  };
}

/** intervalQueues are the queues a workload's intervals were charged to, each once, in name order ('' left out). */
export function intervalQueues(w: MeteredWorkload): string[] {
  return [...new Set(w.intervals.map((i) => i.queue).filter((q) => q !== ''))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function identity(
  kind: WorkloadKind,
  obj: { readonly metadata: { readonly namespace?: string; readonly name?: string; readonly uid?: string; readonly deletionTimestamp?: string } },
): Omit<MeteredWorkload, 'intervals'> {
  return {
    kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    ...(obj.metadata.deletionTimestamp !== undefined && { deletedAt: obj.metadata.deletionTimestamp }),
  };
}
