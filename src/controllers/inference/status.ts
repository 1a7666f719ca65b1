/**
 * The status of an InferenceService as a pure function of the recorded decision, what was read at the sites and
 * the time. Status is the user interface (DESIGN.md): where the replicas are, how many serve, at which addresses,
 * and two conditions: Ready (at least replicas.min serve) and Degraded (serving with fewer replicas or sites than
 * asked for, or from replacements while a site's lease is expired); Reconciling or Stalled follow from Ready for
 * GitOps tools (health.ts). Everything is sorted and times move only on transitions, so recomputing an unchanged
 * state yields an equal status and no write.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type {
  InferenceEndpoint,
  InferenceService,
  InferenceServiceStatus,
  InferenceSiteStatus,
  PlacementRecord,
} from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import { compareStrings } from '../../placement/order.ts';
import { formatTime, setCondition, type ConditionUpdate } from '../../runtime/conditions.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import { withProgress } from '../framework/gitops-health.ts';
import { inferenceProgress } from './health.ts';
import { PORT_NAME, type MemberAssignment } from './member-objects.ts';
import { refusalText } from './refused-sites.ts';

/** SiteObservation is the service's Deployment and Service as read at one site (undefined: not there). */
export interface SiteObservation {
  readonly deployment: V1Deployment | undefined;
  readonly service: V1Service | undefined;
}

/** RecordedDecision is the decision the status reports. */
export interface RecordedDecision {
  readonly assignments: readonly MemberAssignment[];
  /** The placement record with its epoch and decisionTime. */
  readonly placement: PlacementRecord;
  /** desired − placed replicas, and minSites − sites used. */
  readonly short: number;
  readonly sitesShort: number;
  /** Ready sites the hub could not read in this pass, with the class of the error (never its text). */
  readonly unreachable?: readonly { readonly site: string; readonly error: string }[];
  /** Why even the federation as built could not hold replicas.min (placing.ts); undefined when it could. */
  readonly neverFits?: string | undefined;
  /** Sites that refused the members by their policy, while the refusal stands (refused-sites.ts). */
  readonly refused?: readonly { readonly site: string; readonly reason: string; readonly message: string }[];
  /** The replacements while some sites' leases are expired, explained (replacements.ts); undefined when none is. */
  readonly replacing?: string | undefined;
}

/** minReplicas is spec.replicas.min with its documented default. */
export function minReplicas(svc: InferenceService): number {
  return svc.spec.replicas?.min ?? 1;
}

/** statusChanged says whether writing `next` over `current` would change anything. */
export function statusChanged(current: InferenceServiceStatus | undefined, next: InferenceServiceStatus): boolean {
  return !deepEqual(current ?? {}, next);
}

/**
 * nextInferenceStatus computes the status for `decision`. `observed` holds the sites read in this pass; an
 * assigned site missing from it could not be read, and keeps what the current status says about it (its replicas
 * may well still serve; a failed read is not an empty site).
 */
export function nextInferenceStatus(
  svc: InferenceService,
  decision: RecordedDecision,
  observed: ReadonlyMap<string, SiteObservation>,
  now: Date,
): InferenceServiceStatus {
  const previous = svc.status ?? {};
  const sites: InferenceSiteStatus[] = [];
  const endpoints: InferenceEndpoint[] = [];
  for (const a of [...decision.assignments].sort((x, y) => compareStrings(x.site, y.site))) {
    if (a.replicas <= 0) continue;
    const obs = observed.get(a.site);
    const before = previous.sites?.find((s) => s.site === a.site);
    let ready: number;
    let url: string | undefined;
    if (obs === undefined) {
      ready = before?.variant === a.variant ? (before.readyReplicas ?? 0) : 0;
      url = previous.endpoints?.find((e) => e.site === a.site)?.url;
    } else {
      ready = obs.deployment?.status?.readyReplicas ?? 0;
      url = serviceUrl(obs.service);
    }
    sites.push({ site: a.site, variant: a.variant, ...(a.pool !== undefined && { pool: a.pool }), replicas: a.replicas, readyReplicas: ready });
    if (ready > 0 && url !== undefined) endpoints.push({ site: a.site, url });
  }
  const placed = sites.reduce((n, s) => n + (s.replicas ?? 0), 0);
  const ready = sites.reduce((n, s) => n + (s.readyReplicas ?? 0), 0);

  const s: InferenceServiceStatus = { ...previous };
  if (svc.metadata.generation !== undefined) s.observedGeneration = svc.metadata.generation;
  s.replicas = placed;
  s.readyReplicas = ready;
  if (sites.length > 0) s.sites = sites;
  else delete s.sites;
  if (endpoints.length > 0) s.endpoints = endpoints;
  else delete s.endpoints;
  s.placement = decision.placement;

  const stamp = formatTime(now);
  const set = (u: ConditionUpdate): void => {
    s.conditions = setCondition(s.conditions ?? [], u, stamp, svc.metadata.generation);
  };
  set(readyCondition(minReplicas(svc), placed, ready, decision.placement));
  set(degradedCondition(svc, decision, sites, placed));
  s.conditions = withProgress(s.conditions ?? [], inferenceProgress(s.conditions ?? [], decision.neverFits), stamp, svc.metadata.generation);
  return s;
}

/**
 * invalidSpecStatus reports a spec that placement cannot read. Nothing is decided, so the placement and what runs
 * stay as they are; the conditions say what to fix.
 */
export function invalidSpecStatus(svc: InferenceService, message: string, now: Date): InferenceServiceStatus {
  const s: InferenceServiceStatus = { ...svc.status };
  if (svc.metadata.generation !== undefined) s.observedGeneration = svc.metadata.generation;
  const stamp = formatTime(now);
  const ready = s.readyReplicas ?? 0;
  const min = minReplicas(svc);
  s.conditions = setCondition(
    s.conditions ?? [],
    {
      type: ConditionType.Ready,
      status: ready >= min ? ConditionStatus.True : ConditionStatus.False,
      reason: ready >= min ? Reason.MinReplicasReady : Reason.ReplicasNotReady,
      message: `${ready}/${min} replicas ready; ${message}`,
    },
    stamp,
    svc.metadata.generation,
  );
  s.conditions = setCondition(
    s.conditions,
    { type: ConditionType.Degraded, status: ConditionStatus.True, reason: Reason.Unschedulable, message },
    stamp,
    svc.metadata.generation,
  );
  // The spec as written can never be carried out, whatever serves from the last one: Stalled until it is fixed.
  s.conditions = withProgress(s.conditions, { kind: 'Stalled', why: { reason: Reason.NeverFits, message } }, stamp, svc.metadata.generation);
  return s;
}

/** serviceUrl is `http://<clusterIP>:<port>` of a site's Service, once it has a cluster IP. */
export function serviceUrl(service: V1Service | undefined): string | undefined {
  const ip = service?.spec?.clusterIP;
  if (ip === undefined || ip === '' || ip === 'None') return undefined;
  const ports = service?.spec?.ports ?? [];
  const port = (ports.find((p) => p.name === PORT_NAME) ?? ports[0])?.port;
  if (port === undefined) return undefined;
  const host = ip.includes(':') ? `[${ip}]` : ip; // IPv6 literals are bracketed in URLs
  return `http://${host}:${port}`;
}

function readyCondition(min: number, placed: number, ready: number, record: PlacementRecord): ConditionUpdate {
  if (ready >= min) {
    return { type: ConditionType.Ready, status: ConditionStatus.True, reason: Reason.MinReplicasReady, message: `${ready}/${min} replicas ready (min ${min})` };
  }
  // With nothing placed the reason lies in placement; say it where users look first.
  const why = placed === 0 ? `: ${record.message ?? 'no site fits'}` : '';
  return { type: ConditionType.Ready, status: ConditionStatus.False, reason: Reason.ReplicasNotReady, message: `${ready}/${min} replicas ready (min ${min})${why}` };
}

function degradedCondition(
  svc: InferenceService,
  decision: RecordedDecision,
  sites: readonly InferenceSiteStatus[],
  placed: number,
): ConditionUpdate {
  const parts: string[] = [];
  let reason: string | undefined;
  const note = (r: string, message: string): void => {
    reason ??= r;
    parts.push(message);
  };
  if (decision.sitesShort > 0) {
    const minSites = svc.spec.placement?.minSites ?? 1;
    note(Reason.FewerSitesThanRequested, `replicas on ${sites.length} of ${minSites} sites (placement.minSites)`);
  }
  if (decision.replacing !== undefined) note(Reason.LeaseExpired, decision.replacing);
  for (const u of decision.unreachable ?? []) note(Reason.SiteUnreachable, `site ${u.site} cannot be reached from the hub (${u.error})`);
  if (decision.short > 0) note(Reason.ReplicasBelowDesired, `${placed}/${placed + decision.short} replicas placed`);
  const short = sites.filter((s) => (s.readyReplicas ?? 0) < (s.replicas ?? 0));
  if (short.length > 0) {
    note(Reason.ReplicasNotReady, `not ready at ${short.map((s) => `${s.site} (${s.readyReplicas ?? 0}/${s.replicas ?? 0})`).join(', ')}`);
  }
  // A refusal alone does not degrade a service served in full elsewhere (a site may keep a namespace out on purpose);
  // when fewer replicas or sites serve, it says why.
  if (reason !== undefined) for (const r of decision.refused ?? []) parts.push(refusalText(r));
  if (reason === undefined) {
    const n = sites.length;
    return {
      type: ConditionType.Degraded,
      status: ConditionStatus.False,
      reason: Reason.AllReplicasReady,
      message: `all ${placed} replicas ready on ${n} site${n === 1 ? '' : 's'}`,
    };
  }
  return { type: ConditionType.Degraded, status: ConditionStatus.True, reason, message: parts.join('; ') };
}
