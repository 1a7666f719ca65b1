/**
 * The informers' metrics: restarts and relists by watched resource (`Site`, `Job`, `Node`: InformerSupervisor's
 * `resource`, without the cluster, so a hundred sites' member informers are one series). Informers count these
 * themselves (InformerSupervisor.stats) because they are built in the cache layer, beside no metrics; each scrape
 * adds what every tracked informer counted since the previous scrape, so the counters never go down even when an
 * informer goes away.
 */
import { Counter, type Registry } from 'prom-client';
import type { InformerStats } from './informer-supervisor.ts';

/** CountingInformer is what the metrics read of an informer (InformerSupervisor is one). */
export interface CountingInformer {
  readonly resource: string;
  stats(): InformerStats;
}

/** InformerMetrics defines the informer counters on one registry; build it once per registry. */
export class InformerMetrics {
  readonly #sources = new Set<() => Iterable<CountingInformer>>();
  /** What each informer had counted at the previous scrape; weak, so informers that went away are not held. */
  readonly #seen = new WeakMap<CountingInformer, InformerStats>();
  readonly #restarts: Counter<'resource'>;
  readonly #relists: Counter<'resource'>;

  constructor(registry: Registry) {
    const sync = (): void => this.#sync();
    this.#restarts = new Counter({
      name: 'suanwang_informer_restarts_total',
      help: 'Informers started afresh after an error or a stale watch, by watched resource.',
      labelNames: ['resource'],
      registers: [registry],
      collect: sync,
    });
    this.#relists = new Counter({
      name: 'suanwang_informer_relists_total',
      help: 'Complete lists an informer received after its first, by watched resource (each restart relists).',
      labelNames: ['resource'],
      registers: [registry],
      collect: sync,
    });
  }

  /**
   * track counts the restarts and relists of the informers `list` returns at each scrape, until the returned function
   * is called. List every informer that runs; one listed for the last time after it stopped still adds its last counts.
   */
  track(list: () => Iterable<CountingInformer>): () => void {
    this.#sources.add(list);
    return () => this.#sources.delete(list);
  }

  /** #sync adds what each informer counted since the last scrape (both counters call it; it is idempotent). */
  #sync(): void {
    for (const list of this.#sources) {
      for (const informer of list()) {
        const now = informer.stats();
        const before = this.#seen.get(informer) ?? { restarts: 0, relists: 0 };
        const labels = { resource: informer.resource };
        // inc by 0 too: every watched resource shows a series from the first scrape.
        this.#restarts.inc(labels, Math.max(0, now.restarts - before.restarts));
        this.#relists.inc(labels, Math.max(0, now.relists - before.relists));
        this.#seen.set(informer, now);
      }
    }
  }
}
