/**
 * The one module of the InferenceService controller that calls the placement engine: from the service, the Sites
 * and what was read at each site, it computes the assignment to record, its epoch and its explanation. Pure.
 *
 * Pipeline: 1. rebalance (what may stay: rebalance.ts); 2. fence (which sites may not take new replicas now:
 * fencing.ts, and the sites that refused the members: refused-sites.ts); 3. distribute over the other sites,
 * keeping what stays; while some sites' leases are expired, over the sites that answer, as if the silent ones were
 * gone, whose replicas stay planned beside (replacements.ts); 4. compare with the recorded decision: the epoch moves
 * only when the assignment changed, so a pass that changes nothing writes nothing.
 */
import type { InferenceService, InferenceSiteStatus, PlacementCandidate, PlacementRecord, Site } from '../../api/generated/types.ts';
import { CandidateVerdict } from '../../api/names.ts';
import { neverSpread } from '../../placement/as-built.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import { distribute, type Assignment, type PlacedAssignment } from '../../placement/distribute.ts';
import { boundedRecord } from '../../placement/explain.ts';
import { compareStrings } from '../../placement/order.ts';
import { promisedForDistribution } from '../../placement/promised.ts';
import { buildSnapshot, type PromisedCapacity, type Snapshot } from '../../placement/snapshot.ts';
import type { Workload } from '../../placement/workload.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import { joinBlocks, runningPool, type SiteRead } from './fencing.ts';
import { inferenceMemberName, type MemberAssignment } from './member-objects.ts';
import { planRebalance, type Move } from './rebalance.ts';
import { refusalText, type SiteRefusal } from './refused-sites.ts';
import { leaseExpired, replacementNote, replacementsOf, trimReplacements, type Replacements, type SiteReplicas } from './replacements.ts';
import { isForeignMember, memberEpoch } from '../framework/fencing.ts';

/** PlacingInput is everything a decision is made from. */
export interface PlacingInput {
  readonly svc: InferenceService;
  readonly workload: Workload;
  readonly sites: readonly Site[];
  /** What was read at each site this pass (sites not read are absent). */
  readonly reads: ReadonlyMap<string, SiteRead>;
  /** Capacity promised to other workloads' in-flight placements. */
  readonly promised: PromisedCapacity;
  readonly config: PlacementConfig;
  readonly graceMs: number;
  readonly now: Date;
  /** Since when each Ready site the hub could not read has not answered (reconciler.ts keeps it). */
  readonly unreachableSince?: ReadonlyMap<string, number>;
  /** The refusals that stand (refused-sites.ts): those sites take none of the service's replicas. */
  readonly refused?: readonly SiteRefusal[];
  /** The replacements of the recorded decision, as remembered (replacements.ts); undefined when none or unknown. */
  readonly replacements?: Replacements | undefined;
}

/** InferencePlacement is the decision of one pass. */
export interface InferencePlacement {
  /** Per site, in site order: replicas, variant, and the pool to pin (the running one when the variant stays). */
  readonly assignments: readonly MemberAssignment[];
  /** The record to write, with epoch and decisionTime; the recorded one when nothing changed. */
  readonly placement: PlacementRecord;
  readonly epoch: number;
  /** True when the assignment differs from the recorded one (a new epoch). */
  readonly changed: boolean;
  /** desired − placed replicas, and minSites − sites used (0 when met). */
  readonly short: number;
  readonly sitesShort: number;
  /** Replicas that left their site in this decision (for events). */
  readonly moves: readonly Move[];
  /** What the new replicas take from their pools, to hold until the sites report them. */
  readonly promised: PromisedCapacity;
  /** When a site within its grace runs out of it (ms from now). */
  readonly recheckInMs: number | undefined;
  /** Ready sites that could not be read in this pass, with the class of the error. */
  readonly unreachable: readonly { readonly site: string; readonly error: string }[];
  /**
   * Why even the federation as built (every site Ready and idle: placement/as-built.ts) could not hold replicas.min,
   * so that waiting will not make the service Ready; undefined when it could, or when the minimum is placed now.
   */
  readonly neverFits: string | undefined;
  /** The refusals that stand, in site order (for status and events). */
  readonly refused: readonly SiteRefusal[];
  /** The replacement replicas in `assignments` while some sites' leases are expired; undefined when none is. */
  readonly replacements: Replacements | undefined;
  /** What this decision explains about the replacements (replacementNote); undefined when no lease is expired. */
  readonly replacing: string | undefined;
  /** Replacements taken off because they are no longer needed (the silent site answers again). */
  readonly scaledBack: readonly SiteReplicas[];
}

/** placeInferenceService decides where the service's replicas run. */
export function placeInferenceService(input: PlacingInput): InferencePlacement {
  const { svc, workload, reads } = input;
  const name = inferenceMemberName(svc);
  const running = new Map<string, { variant: string; pool: string }>();
  for (const [site, read] of reads) {
    const r = read.ok ? runningPool(read.members, name) : undefined;
    if (r !== undefined) running.set(site, r);
  }
  const recorded = svc.status?.sites;
  const pools = new Map<string, string>();
  for (const s of recorded ?? []) {
    const r = running.get(s.site);
    if (r !== undefined && r.variant === s.variant) pools.set(s.site, r.pool);
  }

  const nowMs = input.now.getTime();
  const refused = input.refused ?? [];
  // 1. What may stay.
  const rebalance = planRebalance({
    recorded,
    sites: input.sites,
    workload,
    pools,
    graceMs: input.graceMs,
    nowMs,
    ...(input.unreachableSince !== undefined && { unreachableSince: input.unreachableSince }),
    ...(refused.length > 0 && { refused: new Map(refused.map((r) => [r.site, refusalText(r)])) }),
  });
  // 2. Which sites may not take new replicas in this pass.
  const previous = svc.status?.placement;
  const blocks = joinBlocks(reads, rebalance.current, previous?.epoch ?? 0, svc.metadata.uid);
  for (const r of refused) blocks.set(r.site, refusalText(r));
  // 3. Distribute over the rest. Replicas at sites whose lease is expired stay planned beside the decision, which is
  // made over the sites that answer for the whole replica count: what it adds there are the replacements.
  const byName = new Map(input.sites.map((s) => [s.metadata.name ?? '', s]));
  const silent = rebalance.current.filter((a) => leaseExpired(byName.get(a.site), input.graceMs, nowMs));
  const expired = new Set(silent.map((a) => a.site));
  const answering = rebalance.current.filter((a) => !expired.has(a.site));
  const trim = trimReplacements(answering, input.replacements, total(answering) - workload.units);
  const snapshot = buildSnapshot(
    input.sites.filter((s) => !blocks.has(s.metadata.name ?? '') && !expired.has(s.metadata.name ?? '')),
    input.promised,
  );
  // The complete record: the blocked and held sites join it below, and the whole is bounded once.
  const decision = distribute(workload, snapshot, input.config, trim.current, { completeRecord: true });
  const replacements = expired.size === 0 ? undefined : replacementsOf(decision.assignments, trim.current, trim.left, [...expired]);
  const replacing = replacements === undefined ? undefined : replacementNote(replacements, total(silent));
  const whole = [
    ...decision.assignments.map((a) => withPool(a, running.get(a.site), snapshot)),
    ...silent.map((a) => heldAssignment(a, running.get(a.site), recorded, input.sites)),
  ].sort((a, b) => compareStrings(a.site, b.site));

  const blocked: PlacementCandidate[] = [...blocks].map(([site, reason]) => ({ site, verdict: CandidateVerdict.Rejected, reasons: [reason] }));
  const held: PlacementCandidate[] = silent.map((a) => ({
    site: a.site,
    verdict: CandidateVerdict.Selected,
    variant: a.variant,
    replicas: a.replicas,
    reasons: ['lease expired: its replicas stay planned until the grace ends'],
  }));
  const notes = [...refused.map(refusalText), ...(replacing === undefined ? [] : [replacing])];
  const record: PlacementRecord = boundedRecord({
    ...decision.record,
    message: [decision.record.message, ...notes].join('; '),
    candidates: [...(decision.record.candidates ?? []), ...blocked, ...held].sort((a, b) => compareStrings(a.site, b.site)),
  });

  // 4. Compare with what is recorded. The epoch never goes back: members stamped with a newer one than the status
  // records mean the status was lost (or restored from a backup); the new epoch goes above them, so fencing deletes
  // them instead of waiting forever for a cache that will never catch up. A pass on a merely stale cache makes the
  // same decision, and its write fails on the resourceVersion precondition.
  const seen = newestEpoch(reads, svc.metadata.uid);
  const changed = previous?.epoch === undefined || seen > previous.epoch || !sameAssignments(recorded ?? [], whole);
  const epoch = changed ? Math.max(previous?.epoch ?? 0, seen) + 1 : (previous?.epoch ?? 0);
  // The same assignment re-evaluated is not a new decision: the record is replaced only when what it says changed
  // (a verdict, a reason, the summary). Scores move with free capacity and are not worth a write each pass.
  const keep = !changed && previous !== undefined && deepEqual(recordContent(previous), recordContent(record));
  const placement: PlacementRecord = keep ? previous : { ...record, epoch, decisionTime: formatTime(input.now) };
  // Not now, or never? Asked only while the minimum is not placed; every site counts, fenced ones too.
  const min = svc.spec.replicas?.min ?? 1;
  const placedNow = total(whole);
  const neverFits = placedNow >= min ? undefined : neverSpread(workload, buildSnapshot(input.sites), min, input.config);

  return {
    assignments: whole,
    placement,
    epoch,
    changed,
    // Counted over the whole plan, the silent sites' replicas included, as while they were the only ones there.
    short: Math.max(0, workload.units - placedNow),
    sitesShort: Math.max(0, workload.minSites - whole.filter((a) => a.replicas > 0).length),
    moves: rebalance.moves,
    promised: promisedForDistribution(decision, trim.current),
    recheckInMs: rebalance.recheckInMs,
    unreachable: [...(input.unreachableSince?.keys() ?? [])].sort().map((site) => {
      const read = reads.get(site);
      return { site, error: read !== undefined && !read.ok ? read.error : 'Unknown' };
    }),
    neverFits,
    refused,
    replacements,
    replacing,
    scaledBack: trim.trimmed,
  };
}

function total(list: readonly { readonly replicas: number }[]): number {
  return list.reduce((n, a) => n + a.replicas, 0);
}

/**
 * heldAssignment is what is rendered for replicas kept at a site whose lease is expired: the pool they run in (as
 * the site's Deployment says when it could be read, else as recorded), and its accelerator resource when known.
 */
function heldAssignment(
  a: Assignment,
  running: { variant: string; pool: string } | undefined,
  recorded: readonly InferenceSiteStatus[] | undefined,
  sites: readonly Site[],
): MemberAssignment {
  const pool = running?.variant === a.variant ? running.pool : recorded?.find((s) => s.site === a.site && s.variant === a.variant)?.pool;
  const info = buildSnapshot(sites.filter((s) => s.metadata.name === a.site)).sites[0];
  const resource = info?.pools.find((p) => p.name === pool)?.accelerator?.resourceName;
  return {
    site: a.site,
    variant: a.variant,
    replicas: a.replicas,
    ...(pool !== undefined && { pool }),
    ...(resource !== undefined && { acceleratorResource: resource }),
  };
}

/** newestEpoch is the highest epoch stamped on this service's objects (its uid's) at the sites read; 0 when none. */
function newestEpoch(reads: ReadonlyMap<string, SiteRead>, uid: string | undefined): number {
  let newest = 0;
  for (const read of reads.values()) {
    if (!read.ok) continue;
    for (const obj of [...read.members.deployments, ...read.members.services]) {
      if (!isForeignMember(obj, uid)) newest = Math.max(newest, memberEpoch(obj) ?? 0);
    }
  }
  return newest;
}

/** sameAssignments compares assignments by site, variant and replicas, ignoring order and empty entries. */
export function sameAssignments(a: readonly Partial<Assignment>[], b: readonly Assignment[]): boolean {
  const key = (list: readonly Partial<Assignment>[]): string =>
    list
      .filter((x) => (x.replicas ?? 0) > 0)
      .map((x) => `${x.site ?? ''}/${x.variant ?? ''}/${x.replicas ?? 0}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

/** recordContent is what a record says, leaving out when, in which epoch, and the scores. */
function recordContent(record: PlacementRecord): unknown {
  return {
    message: record.message,
    candidates: (record.candidates ?? []).map((c) => [c.site, c.verdict, c.variant, c.replicas, c.reasons]),
  };
}

/**
 * withPool turns a placed assignment into what is rendered. A site that keeps its variant keeps the pool its
 * replicas run in, as long as the site still has it (distribute scores every matching pool afresh, and a new pool
 * in the template would roll replicas that could stay).
 */
function withPool(a: PlacedAssignment, running: { variant: string; pool: string } | undefined, snapshot: Snapshot): MemberAssignment {
  const pools = snapshot.sites.find((s) => s.name === a.site)?.pools ?? [];
  const keepPool = running?.variant === a.variant ? running.pool : undefined;
  const pool = keepPool !== undefined && pools.some((p) => p.name === keepPool) ? keepPool : a.pool;
  const resource = pools.find((p) => p.name === pool)?.accelerator?.resourceName;
  return { site: a.site, variant: a.variant, replicas: a.replicas, pool, ...(resource !== undefined && { acceleratorResource: resource }) };
}
