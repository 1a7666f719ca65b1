/**
 * Which sites refused a service's members by their own policy (a pull site's agent: images, namespaces, device
 * limits; SiteMemberPort.refusal), and for how long each stays out of the service's placement.
 *
 * A refusal is not a site that does not answer: the site is fine and has said it will not hold these members, so
 * its replicas go elsewhere on the pass that reads the refusal, with no grace (placing.ts), and the refused members
 * are withdrawn there (fencing.ts planSites, as the TrainingJob controller does), after which the site's port no
 * longer reports the refusal. The site then takes none of the service's replicas while the refusal stands: for the
 * rest of the spec it refused, that is until metadata.generation changes. The same spec would only be refused
 * again, and offering it anew would move replicas back and forth; a new spec (another image, say) may pass the
 * site's policy, so the site is a candidate again from then on, and a refusal of the new spec holds it out again.
 * A refusal the site still reports stands whatever the generation (it may be of the new spec already).
 * In memory, like SilentSites: a restarted operator forgets the refusals the sites no longer report, which costs at
 * most one refused apply per site.
 */
import type { MemberRefusal } from '../../clusters/site-member-port.ts';
import { compareStrings } from '../../placement/order.ts';

/** SiteRefusal is a refusal that stands, with its site; `fresh` when this pass is the first to see it for this spec. */
export interface SiteRefusal extends MemberRefusal {
  readonly site: string;
  readonly fresh: boolean;
}

interface Remembered {
  readonly refusal: MemberRefusal;
  readonly generation: number;
}

/** RefusedSites remembers, per service key, the refusals its sites reported and the spec generation they were for. */
export class RefusedSites {
  readonly #byKey = new Map<string, Map<string, Remembered>>();

  /**
   * observe takes the refusals the sites reported in this pass (`reported`, by site) for the service at `generation`,
   * and returns the refusals that stand, in site order.
   */
  observe(key: string, generation: number, reported: ReadonlyMap<string, MemberRefusal>): SiteRefusal[] {
    const before = this.#byKey.get(key);
    const after = new Map<string, Remembered>();
    const out: SiteRefusal[] = [];
    for (const [site, refusal] of reported) {
      const was = before?.get(site);
      const fresh = was === undefined || was.generation !== generation || was.refusal.reason !== refusal.reason || was.refusal.message !== refusal.message;
      after.set(site, { refusal, generation });
      out.push({ site, reason: refusal.reason, message: refusal.message, fresh });
    }
    for (const [site, was] of before ?? []) {
      if (after.has(site) || was.generation !== generation) continue;
      after.set(site, was);
      out.push({ site, ...was.refusal, fresh: false });
    }
    if (after.size === 0) this.#byKey.delete(key);
    else this.#byKey.set(key, after);
    return out.sort((a, b) => compareStrings(a.site, b.site));
  }

  /** forget drops what is remembered of a service (it is gone). */
  forget(key: string): void {
    this.#byKey.delete(key);
  }
}

/** refusalText says a refusal for status, events and candidate reasons (as the TrainingJob controller says it). */
export function refusalText(r: { readonly site: string } & MemberRefusal): string {
  return `site ${r.site} refused the members (${r.reason}): ${r.message}`;
}
