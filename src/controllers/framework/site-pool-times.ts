/**
 * When each Site's pools last changed in the hub's cache, on the operator's clock: the promise tracker's sign that a
 * site's report has caught up with pods it saw start (promised-capacity.ts poolsReportedAt). In memory: after a
 * restart no site has changed yet, and promises restored from statuses wait for a change or the longest settle time.
 */
import type { Site } from '../../api/generated/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';

/** SitePoolTimes records, per site, when its status.nodePools last changed. */
export class SitePoolTimes {
  readonly #at = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(sites: Pick<ObjectCache<Site>, 'onChange'>, clock: Pick<Clock, 'now'>) {
    this.#unsubscribe = sites.onChange((site, previous) => {
      if (!deepEqual(site.status?.nodePools, previous?.status?.nodePools)) this.#at.set(site.metadata.name ?? '', clock.now());
    });
  }

  /** changedAt is when `site`'s pools last changed, or undefined when they have not since this started. */
  changedAt(site: string): number | undefined {
    return this.#at.get(site);
  }

  /** stop ends the subscription. */
  stop(): void {
    this.#unsubscribe();
  }
}
