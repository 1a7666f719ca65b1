/**
 * Placement and admission: what the admission ledger decided and how long it took. A decision is counted when a
 * workload's verdict changes — the moment the ledger wakes its controller (admission-ledger.ts `wake`) — by kind and
 * outcome: Placed (admitted with a site), Admitted (an InferenceService admitted before its replicas are placed),
 * Preempted, or the reason it waits (Queued, QuotaExceeded, Unschedulable, NoSiteReady, QueueNotFound, ...: the
 * Admitted condition's reasons, a fixed set). Counting changes, not cycles, keeps a workload that waits for an hour at
 * one count, not one per cycle.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { Kind } from '../../api/names.ts';
import type { Verdict } from '../../queueing/admission-cycle.ts';

/** PLACEMENT_BUCKETS span one small workload on a few sites (sub-ms) to a cycle over thousands (seconds). */
export const PLACEMENT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** PlacementOutcome is the outcome label of one verdict. */
export function placementOutcome(v: Verdict): string {
  switch (v.kind) {
    case 'Admit':
      return v.placement !== undefined ? 'Placed' : 'Admitted';
    case 'Preempt':
      return 'Preempted';
    case 'Wait':
      return v.reason;
  }
}

/** AdmissionMetrics defines the placement and admission metrics on a registry. */
export class AdmissionMetrics {
  readonly #decisions: Counter<'kind' | 'outcome'>;
  readonly #placement: Histogram<'kind'>;
  readonly #cycle: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#decisions = new Counter({
      name: 'suanwang_placement_decisions_total',
      help: "Changes of a workload's admission verdict, by kind and outcome: Placed, Admitted, Preempted, or the reason it waits (Queued, QuotaExceeded, Unschedulable, NoSiteReady, ...).",
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#placement = new Histogram({
      name: 'suanwang_placement_duration_seconds',
      help: 'Time one placement decision took (the placement engine over every candidate site), by workload kind.',
      labelNames: ['kind'],
      buckets: PLACEMENT_BUCKETS,
      registers,
    });
    for (const kind of [Kind.TrainingJob, Kind.InferenceService]) this.#placement.zero({ kind });
    this.#cycle = new Histogram({
      name: 'suanwang_admission_cycle_duration_seconds',
      help: 'Time one admission cycle took: every waiting workload of every queue looked at once.',
      buckets: PLACEMENT_BUCKETS,
      registers,
    });
  }

  /** decided counts a changed verdict of a workload of `kind`. */
  decided(kind: string, verdict: Verdict): void {
    this.#decisions.inc({ kind, outcome: placementOutcome(verdict) });
  }

  /** placed records how long one placement of a workload of `kind` took. */
  placed(kind: string, seconds: number): void {
    this.#placement.observe({ kind }, seconds);
  }

  /** cycled records how long one admission cycle took. */
  cycled(seconds: number): void {
    this.#cycle.observe(seconds);
  }
}
