/**
 * Every metric of the operator process on its one registry: the controller loop's (runtime/loop-metrics.ts), the
 * federation and workload gauges read from the hub caches at scrape time, and the counters fed by the agent handler,
 * the Event recorders and the admission ledger. The Operator builds one and hands its parts to what it wires.
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { InformerMetrics } from '../../runtime/informer-metrics.ts';
import { LoopMetrics } from '../../runtime/loop-metrics.ts';
import { AdmissionMetrics } from './admission-metrics.ts';
import { WorkloadEventCounters } from './event-counters.ts';
import { registerFederationMetrics, type FederationMetricsSources } from './federation-metrics.ts';
import { AgentMessageCounters } from './message-counters.ts';
import { registerWorkloadMetrics, type WorkloadMetricsSources } from './workload-metrics.ts';

/** CacheSources are the caches and session state the scrape-time gauges read. */
export type CacheSources = FederationMetricsSources & WorkloadMetricsSources;

/** OperatorMetrics holds the operator's metrics; build one per registry. */
export class OperatorMetrics {
  readonly registry: Registry;
  readonly loop: LoopMetrics;
  readonly informers: InformerMetrics;
  readonly events: WorkloadEventCounters;
  readonly messages: AgentMessageCounters;
  readonly admission: AdmissionMetrics;
  #watching = false;

  constructor(registry: Registry) {
    this.registry = registry;
    this.loop = new LoopMetrics(registry);
    this.informers = new InformerMetrics(registry);
    this.events = new WorkloadEventCounters(registry);
    this.messages = new AgentMessageCounters(registry);
    this.admission = new AdmissionMetrics(registry);
  }

  /** watchCaches defines the gauges read from `sources` at each scrape; once per registry. */
  watchCaches(sources: CacheSources): void {
    if (this.#watching) throw new Error('the operator metrics already watch caches');
    this.#watching = true;
    registerFederationMetrics(this.registry, sources);
    registerWorkloadMetrics(this.registry, sources);
  }

  /** placementTimer times one placement of a workload of `kind`: call it as placement starts, and what it returns as it ends. */
  placementTimer(kind: string): () => () => void {
    return () => {
      const started = performance.now();
      return () => this.admission.placed(kind, (performance.now() - started) / 1000);
    };
  }
}
