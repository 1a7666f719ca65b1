/**
 * distribute: placement for a workload spread over several sites (an InferenceService's replicas). Each site runs
 * one variant; the desired replicas go to the best sites within minSites and maxReplicasPerSite, and replicas that
 * already run where they still may stay there, so scaling up or down restarts nothing that can stay.
 *
 * Variants at a site: the best-scoring accelerator variant that fits; the cpuOnly variant only where none does (its
 * replica requests the model's minMemory, so the per-node fit in variantFit is the "model fits the CPU nodes" check).
 * Sites running the CPU fallback rank after every accelerator site: they take replicas only when accelerator sites
 * lack room or minSites needs more sites.
 *
 * Replicas already running at a site that now takes nothing new (cordoned, or not Ready short of being declared
 * lost) are kept, never added to, and removed first on scale-down: a Site's cordon stops new placements, not running
 * work, and DESIGN.md re-places a site's work only once it is Lost. A site the workload's rules now exclude loses its
 * replicas: rules are sovereignty, not preference.
 */
import type { InferenceSiteStatus } from '../api/generated/types.ts';
import { CandidateVerdict, Reason } from '../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
import { unitsThatFit } from './demand.ts';
import { evaluateVariant, siteReasons, type Option } from './evaluate.ts';
import {
  boundedRecord,
  noSiteFitsMessage,
  rejectedCandidate,
  rejectionSummary,
  scoredCandidate,
  sortCandidates,
  type Explanation,
  type Rejection,
} from './explain.ts';
import { siteRules } from './filters/site-rules.ts';
import { variantFit } from './filters/variant-fit.ts';
import { compareStrings, sortedUnique } from './order.ts';
import { compareScored, scoreOptions, type ScoredOption } from './scoring.ts';
import type { ResourceAmounts, SiteInfo, Snapshot } from './snapshot.ts';
import { spread } from './spread.ts';
import type { Workload } from './workload.ts';

/** Assignment is a number of replicas of one variant at one site (as in InferenceServiceStatus.sites). */
export interface Assignment {
  readonly site: string;
  readonly variant: string;
  readonly replicas: number;
}

/** PlacedAssignment is an Assignment the engine made, with the pool and what one replica requests there. */
export interface PlacedAssignment extends Assignment {
  readonly pool: string;
  readonly perReplica: ResourceAmounts;
}

/** InferenceDecision is the outcome of distribute. */
export interface InferenceDecision {
  /** assignments with at least one replica, in site name order. */
  readonly assignments: readonly PlacedAssignment[];
  readonly record: Explanation;
  /** usedCpuFallback is true when some site runs a cpuOnly variant of a workload that has accelerator variants. */
  readonly usedCpuFallback: boolean;
  /** short is desired − placed replicas (0 when all are placed). */
  readonly short: number;
  /** sitesShort is minSites − sites used (0 when enough sites are used). */
  readonly sitesShort: number;
}

/** SitePlan is what one usable site can do: its chosen option, what it keeps, and how many it may hold. */
interface SitePlan {
  readonly best: ScoredOption;
  readonly kept: number;
  readonly room: number;
  /** frozen: the site takes nothing new (it keeps what runs there); reasons are the site filters' reasons. */
  readonly frozen: boolean;
  readonly reasons: readonly string[];
  readonly fallback: boolean;
}

/** currentReplicas turns InferenceServiceStatus.sites into the `current` argument of distribute. */
export function currentReplicas(sites: readonly InferenceSiteStatus[] | undefined): Assignment[] {
  return (sites ?? [])
    .filter((s) => s.variant !== undefined && (s.replicas ?? 0) > 0)
    .map((s) => ({ site: s.site, variant: s.variant ?? '', replicas: s.replicas ?? 0 }));
}

/** DistributeOptions tunes what distribute returns. */
export interface DistributeOptions {
  /**
   * completeRecord: the record lists every site, unbounded, for a caller that adds candidates of its own and then
   * bounds the whole record once (boundedRecord). Bounding twice would cut the list again and note the left-out sites
   * twice, the second count missing the sites the first cut dropped. Otherwise the record comes back bounded.
   */
  readonly completeRecord?: boolean;
}

/** distribute spreads workload.units replicas over the snapshot's sites, keeping `current` where it may stay. */
export function distribute(
  workload: Workload,
  snapshot: Snapshot,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
  current: readonly Assignment[] = [],
  options: DistributeOptions = {},
): InferenceDecision {
  // 1. Candidates: every site, in name order, with what runs there now (the first entry per site counts).
  const sites = [...snapshot.sites].sort((a, b) => compareStrings(a.name, b.name));
  const now = new Map<string, Assignment>();
  for (const a of current) if (!now.has(a.site) && a.replicas > 0) now.set(a.site, a);

  // 2. Filter: the options each site offers one replica, or why it offers none.
  const rejections: Rejection[] = [];
  const offers: Array<{ site: SiteInfo; options: readonly Option[]; kept: number; frozen: readonly string[] }> = [];
  for (const site of sites) {
    const o = siteOffer(workload, site, now.get(site.name));
    if ('reasons' in o) rejections.push({ site: site.name, reasons: o.reasons });
    else offers.push({ site, ...o });
  }

  // 3. Score every option against every other (price is relative); each site's best option is its variant.
  const scored = scoreOptions(
    workload,
    offers.flatMap((o) => o.options),
    config,
  ).sort(compareScored);
  const hasAccelerator = workload.variants.some((v) => v.accelerator !== undefined);
  const plans: SitePlan[] = [];
  for (const offer of offers) {
    const best = scored.find((s) => s.site === offer.site);
    if (best === undefined) continue;
    const cap = workload.maxUnitsPerSite ?? Number.POSITIVE_INFINITY;
    const frozen = offer.frozen.length > 0;
    const room = frozen ? offer.kept : offer.kept + unitsThatFit(best.demand, best.pool);
    plans.push({
      best,
      kept: offer.kept,
      room: Math.min(cap, room),
      frozen,
      reasons: offer.frozen,
      fallback: hasAccelerator && best.variant.accelerator === undefined,
    });
  }
  plans.sort(rankPlans);

  // 4. Spread the desired replicas over the ranked sites.
  const counts = spread(plans, workload.units, workload.minSites);

  // 5. Explain.
  const assignments: PlacedAssignment[] = [];
  const candidates = rejections.map(rejectedCandidate);
  for (const [i, plan] of plans.entries()) {
    const replicas = counts[i] ?? 0;
    if (replicas > 0) {
      assignments.push({
        site: plan.best.site.name,
        variant: plan.best.variant.name,
        pool: plan.best.pool.name,
        replicas,
        perReplica: plan.best.demand,
      });
    }
    if (plan.frozen && replicas === 0) {
      // Scaled down to nothing at a site that takes nothing new: it is out, for the reasons it is frozen.
      const r = { site: plan.best.site.name, reasons: plan.reasons };
      rejections.push(r);
      candidates.push(rejectedCandidate(r));
    } else if (replicas > 0) {
      const reasons = plan.reasons.map((r) => `${r}: adding no replicas`);
      candidates.push(scoredCandidate(plan.best, CandidateVerdict.Selected, { replicas, reasons }));
    } else {
      candidates.push(scoredCandidate(plan.best, CandidateVerdict.Feasible));
    }
  }
  assignments.sort((a, b) => compareStrings(a.site, b.site));
  const placed = assignments.reduce((n, a) => n + a.replicas, 0);
  const short = Math.max(0, workload.units - placed);
  const sitesShort = Math.max(0, workload.minSites - assignments.length);
  const record = {
    message: message(workload, sites.length, assignments, rejections, short, sitesShort),
    candidates: sortCandidates(candidates),
  };
  return {
    assignments,
    record: options.completeRecord === true ? record : boundedRecord(record),
    usedCpuFallback: hasAccelerator && assignments.some((a) => !isAccelerated(workload, a.variant)),
    short,
    sitesShort,
  };
}

function isAccelerated(workload: Workload, variant: string): boolean {
  return workload.variants.find((v) => v.name === variant)?.accelerator !== undefined;
}

/** Offer is what a site can do (frozen: why it takes nothing new, keeping what runs), or why it can do nothing. */
type Offer =
  | { readonly options: readonly Option[]; readonly kept: number; readonly frozen: readonly string[] }
  | { readonly reasons: readonly string[] };

/** siteOffer says what a site can do for the workload, given what runs there now. */
function siteOffer(workload: Workload, site: SiteInfo, now: Assignment | undefined): Offer {
  const out = siteReasons(workload, site);
  const keptVariant = workload.variants.find((v) => v.name === now?.variant);
  const kept = keptVariant === undefined ? 0 : (now?.replicas ?? 0);
  // Replicas that run keep running in their variant as long as it still fits the site's nodes; the capacity they
  // hold is already in the site's allocated, so they need no free room.
  const keep =
    keptVariant === undefined ? [] : evaluateVariant(workload, site, keptVariant, 1, [variantFit]).options;
  if (out.length > 0) {
    const lost = !site.ready && site.notReadyReason === Reason.SiteLost;
    if (kept > 0 && keep.length > 0 && !lost && siteRules({ workload, site }).ok) {
      return { options: keep, kept, frozen: out };
    }
    return { reasons: out };
  }
  if (kept > 0 && keep.length > 0) return { options: keep, kept, frozen: [] };
  const accelerator: Option[] = [];
  const cpu: Option[] = [];
  const reasons: string[] = [];
  for (const variant of workload.variants) {
    const e = evaluateVariant(workload, site, variant, 1);
    (variant.accelerator === undefined ? cpu : accelerator).push(...e.options);
    reasons.push(...e.reasons);
  }
  const options = accelerator.length > 0 ? accelerator : cpu;
  return options.length > 0 ? { options, kept: 0, frozen: [] } : { reasons: sortedUnique(reasons) };
}

/** rankPlans orders sites best first: growing before frozen, accelerator before CPU fallback, then by score. */
function rankPlans(a: SitePlan, b: SitePlan): number {
  return (
    Number(a.frozen) - Number(b.frozen) || Number(a.fallback) - Number(b.fallback) || compareScored(a.best, b.best)
  );
}

function message(
  workload: Workload,
  siteCount: number,
  assignments: readonly PlacedAssignment[],
  rejections: readonly Rejection[],
  short: number,
  sitesShort: number,
): string {
  if (assignments.length === 0) return noSiteFitsMessage(workload, siteCount, rejections);
  const placed = workload.units - short;
  const list = assignments.map((a) => `${a.site} ${a.replicas} (${a.variant})`).join(', ');
  const fewer = sitesShort > 0 ? ` (fewer than minSites ${workload.minSites})` : '';
  const sitesUsed = `${assignments.length} site${assignments.length === 1 ? '' : 's'}`;
  // Say it when a site runs the CPU variant of a workload that has accelerator variants: users must see the fallback.
  const fallback = workload.variants.some((v) => v.accelerator !== undefined) ? assignments.filter((a) => !isAccelerated(workload, a.variant)).map((a) => a.site) : [];
  const fallbackNote = fallback.length > 0 ? ` (CPU fallback at ${fallback.join(', ')}: no accelerator variant fits there)` : '';
  const head = `placed ${placed}/${workload.units} replicas on ${sitesUsed}${fewer}: ${list}${fallbackNote}`;
  // When something is missing, say what kept the other sites out.
  const missing = (short > 0 || sitesShort > 0) && rejections.length > 0;
  return missing ? `${head}; ${rejectionSummary(workload, rejections)}` : head;
}
