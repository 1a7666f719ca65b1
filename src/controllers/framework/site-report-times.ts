/**
 * When each Site's status last changed in the hub's cache, on the operator's clock: the promise tracker's sign that
 * the site's report has caught up with pods it saw start (promised-capacity.ts poolsReportedAt). The site controller
 * writes a Site's status from everything its agent has sent so far, and writes it at least every half lease (the
 * heartbeat time), so any status change seen well after a workload's pods were seen running comes from a write that
 * counts them — whether or not their pool changed then (it usually changed before: the agent reports a binding before
 * the Job controller counts the pod ready). In memory: after a restart no site has changed yet, and promises restored
 * from statuses wait for the next write or the longest settle time.
 */
import type { Site } from '../../api/generated/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';

/** SiteReportTimes records, per site, when its status last changed. */
export class SiteReportTimes {
  readonly #at = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(sites: Pick<ObjectCache<Site>, 'onChange'>, clock: Pick<Clock, 'now'>) {
    this.#unsubscribe = sites.onChange((site, previous) => {
      if (!deepEqual(site.status, previous?.status)) this.#at.set(site.metadata.name ?? '', clock.now());
    });
  }

  /** changedAt is when `site`'s status last changed, or undefined when it has not since this started. */
  changedAt(site: string): number | undefined {
    return this.#at.get(site);
  }

  /** stop ends the subscription. */
  stop(): void {
    this.#unsubscribe();
  }
}
