/**
 * Fencing: what to do with the member objects found at each site, given the recorded decision. Pure.
 *
 * The epoch (status.placement.epoch) moves whenever the assignment changes and is stamped into the metadata labels
 * of every Deployment and Service applied for it, never into pod templates (member-objects.ts), so re-stamping a
 * site whose share did not change restarts nothing. InferenceSiteStatus has no per-site epoch, so fencing rests on
 * three rules instead of comparing a site's objects with the epoch the site was assigned in:
 * 1. A site outside the assignment keeps nothing: every object of the service found there is deleted, whatever
 *    its epoch. This is what stops a site that comes back from a partition from serving a share that moved.
 * 2. A site may join the assignment only when it was read in this pass and holds no object of the service from an
 *    epoch older than the recorded one (`joinBlocks`). The recorded epoch moved when the site was dropped, so a
 *    site coming back from a partition holds older objects, and is cleaned before it can be given replicas again:
 *    they are never adopted as if they belonged to the new epoch. Objects of the recorded epoch belong to a site
 *    that is being re-decided in this very pass (its pool failed, say), and may be adopted by a new variant there.
 * 3. At an assigned site, only the deterministically named Deployment and Service are kept (re-stamped with the
 *    current epoch); anything else labelled for the service is deleted. An object stamped with a NEWER epoch than
 *    the recorded one means this pass read a hub cache older than the site: nothing is done until it catches up.
 * Objects left by an earlier service of the same name (another LABEL_OWNER_UID) count as older than any epoch:
 * epochs restart with a new service, so theirs says nothing.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { LABEL_POOL } from '../../api/names.ts';
import type { MemberRefusal } from '../../clusters/site-member-port.ts';
import type { Assignment } from '../../placement/distribute.ts';
import { isForeignMember, isStaleMember, memberEpoch } from '../framework/fencing.ts';
import { LABEL_VARIANT } from '../framework/member-labels.ts';
import type { MemberAssignment } from './member-objects.ts';

/** SiteMembers are the Deployments and Services of one service found at a site (by label). */
export interface SiteMembers {
  readonly deployments: readonly V1Deployment[];
  readonly services: readonly V1Service[];
}

/** RefusedMembers says which of the service's members a site refused by its own policy, and why. */
export interface RefusedMembers extends MemberRefusal {
  readonly kinds: readonly MemberRef['kind'][];
}

/**
 * SiteRead is the outcome of reading a site: its members, or why it could not be read (never "none there"). A site
 * that answered may have refused members by its policy (a pull site's agent): `refused` says which and why.
 */
export type SiteRead =
  | { readonly ok: true; readonly members: SiteMembers; readonly refused?: RefusedMembers }
  | { readonly ok: false; readonly error: string };

/** MemberRef names one object to delete at a site. */
export interface MemberRef {
  readonly kind: 'Deployment' | 'Service';
  readonly name: string;
  /** Its epoch label, for logs. */
  readonly epoch: number | undefined;
  /** True for a member the site refused, so never created: deleting it withdraws it from the site's port. */
  readonly withdrawn?: boolean;
}

/** SitePlan is what to do at one site that was read. */
export interface SitePlan {
  readonly site: string;
  /** The assignment to apply; undefined at a site outside the assignment. */
  readonly apply: MemberAssignment | undefined;
  readonly deletes: readonly MemberRef[];
}

/** FencePlan is what to do at every site that was read, or a reason to wait. */
export type FencePlan =
  | { readonly kind: 'Act'; readonly sites: readonly SitePlan[] }
  | { readonly kind: 'Wait'; readonly reason: string };

/** isEmpty says whether a site read found nothing of the service. */
export function isEmpty(members: SiteMembers): boolean {
  return members.deployments.length === 0 && members.services.length === 0;
}

/**
 * joinBlocks returns, for each site that may not take new replicas in this pass, why (rule 2). `epoch` is the
 * recorded epoch, `uid` the service's. Sites in `current` keep their replicas whatever their read says: a failed
 * read is not a reason to move anything.
 */
export function joinBlocks(
  reads: ReadonlyMap<string, SiteRead>,
  current: readonly Assignment[],
  epoch: number,
  uid: string | undefined,
): Map<string, string> {
  const kept = new Set(current.map((a) => a.site));
  const out = new Map<string, string>();
  for (const [site, read] of reads) {
    if (kept.has(site)) continue;
    if (!read.ok) {
      out.set(site, `member objects could not be read: ${read.error}`);
      continue;
    }
    const objects = [...read.members.deployments, ...read.members.services];
    const stale = (o: V1Deployment | V1Service): boolean =>
      o.metadata?.deletionTimestamp !== undefined || isStaleMember(o, epoch, uid);
    if (objects.some(stale)) {
      out.set(site, 'holds member objects of an earlier placement; deleting them first');
    }
  }
  return out;
}

/**
 * runningPool says which pool a site's Deployment pins and for which variant, so a pass that keeps the variant can
 * keep the pool too (a new pool would change the pod template and roll the replicas).
 */
export function runningPool(members: SiteMembers, name: string): { readonly variant: string; readonly pool: string } | undefined {
  const d = members.deployments.find((x) => x.metadata?.name === name);
  const variant = d?.metadata?.labels?.[LABEL_VARIANT];
  const pool = d?.spec?.template.spec?.nodeSelector?.[LABEL_POOL];
  return variant === undefined || pool === undefined ? undefined : { variant, pool };
}

/**
 * planSites applies the three rules to every site that was read. `assignments` is the recorded decision (with
 * pools), `name` the deterministic member name, `epoch` the recorded epoch, `uid` the service's. At an assigned
 * site, an object of the deterministic name left by an earlier service of the same name is simply applied over.
 */
export function planSites(
  name: string,
  assignments: readonly MemberAssignment[],
  epoch: number,
  reads: ReadonlyMap<string, SiteRead>,
  uid?: string,
): FencePlan {
  const bySite = new Map(assignments.map((a) => [a.site, a]));
  const sites: SitePlan[] = [];
  for (const [site, read] of [...reads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!read.ok) continue;
    const objects: Array<{ kind: MemberRef['kind']; obj: V1Deployment | V1Service }> = [
      ...read.members.deployments.map((obj) => ({ kind: 'Deployment' as const, obj })),
      ...read.members.services.map((obj) => ({ kind: 'Service' as const, obj })),
    ];
    for (const { kind, obj } of objects) {
      const e = memberEpoch(obj);
      if (e !== undefined && e > epoch && !isForeignMember(obj, uid)) {
        return { kind: 'Wait', reason: `${kind} ${obj.metadata?.name ?? ''} at ${site} has epoch ${e}, newer than the recorded ${epoch}` };
      }
    }
    const apply = bySite.get(site);
    const deletes: MemberRef[] = objects
      .filter(({ obj }) => apply === undefined || obj.metadata?.name !== name)
      .filter(({ obj }) => obj.metadata?.deletionTimestamp === undefined)
      .map(({ kind, obj }) => ({ kind, name: obj.metadata?.name ?? '', epoch: memberEpoch(obj) }));
    // What the site refused was never created, but its port holds the refusal (and may still want the member):
    // withdrawn, as the TrainingJob controller does, so that the site forgets it (refused-sites.ts remembers).
    for (const kind of apply === undefined ? (read.refused?.kinds ?? []) : []) {
      if (!deletes.some((d) => d.kind === kind && d.name === name)) deletes.push({ kind, name, epoch: undefined, withdrawn: true });
    }
    if (apply !== undefined || deletes.length > 0) sites.push({ site, apply, deletes });
  }
  return { kind: 'Act', sites };
}
