/**
 * The I/O steps of an InferenceService pass at the sites, one site at a time and every site in parallel: read what
 * is there (step 2), carry out a fence plan (step 4), delete everything (on delete). Each returns per-site outcomes
 * instead of throwing, so one site that does not answer holds up neither the others nor the status write; the
 * reconciler decides what a failure means.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { InferenceService, Site } from '../../api/generated/types.ts';
import type { SiteMemberPort } from '../../clusters/site-member-port.ts';
import type { SiteMemberPorts } from '../../clusters/site-member-ports.ts';
import { errorClass } from '../../runtime/errors.ts';
import { isEmpty, type RefusedMembers, type SitePlan, type SiteRead } from './fencing.ts';
import { ANNOTATION_RENDERED, inferenceMemberName, type InferenceMembers } from './member-objects.ts';
import { applyDeployment, applyService, deleteMember, listMembers } from './site-members.ts';
import type { SiteObservation } from './status.ts';

/** SiteFailure is a site where a step failed, with the error. */
export interface SiteFailure {
  readonly site: string;
  readonly error: unknown;
}

/** errorText renders a failure for status, events and logs. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** readSites lists the service's members at every site given; a site that cannot be read says why. */
export async function readSites(
  ports: Pick<SiteMemberPorts, 'forSite'>,
  svc: InferenceService,
  sites: readonly Site[],
): Promise<Map<string, SiteRead>> {
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const entries = await Promise.all(
    sites.map(async (site): Promise<[string, SiteRead]> => {
      const siteName = site.metadata.name ?? '';
      try {
        const port = ports.forSite(site);
        const members = await listMembers(port, namespace, name);
        // A pull site may refuse the members by its policy: it answered, and says it will not hold them (placing.ts
        // moves its replicas at once, refused-sites.ts says for how long the site stays out).
        const refused = refusedMembers(port, namespace, inferenceMemberName(svc));
        return [siteName, { ok: true, members, ...(refused !== undefined && { refused }) }];
      } catch (err: unknown) {
        // The class only: the text may quote a kubeconfig or what the site sent, and it reaches status and events.
        return [siteName, { ok: false, error: errorClass(err) }];
      }
    }),
  );
  return new Map(entries);
}

/** refusedMembers says which of the members named `name` the site refused, with the first refusal's words. */
function refusedMembers(port: SiteMemberPort, namespace: string, name: string): RefusedMembers | undefined {
  const kinds = (['Deployment', 'Service'] as const).map((kind) => ({ kind, refusal: port.refusal({ kind, namespace, name }) }));
  const refused = kinds.filter((k) => k.refusal !== undefined);
  const first = refused[0]?.refusal;
  return first === undefined ? undefined : { reason: first.reason, message: first.message, kinds: refused.map((k) => k.kind) };
}

/** observationsOf picks, at every site read, the Deployment and Service of the deterministic name. */
export function observationsOf(svc: InferenceService, reads: ReadonlyMap<string, SiteRead>): Map<string, SiteObservation> {
  const name = inferenceMemberName(svc);
  const out = new Map<string, SiteObservation>();
  for (const [site, read] of reads) {
    if (!read.ok) continue;
    out.set(site, {
      deployment: read.members.deployments.find((d) => d.metadata?.name === name),
      service: read.members.services.find((s) => s.metadata?.name === name),
    });
  }
  return out;
}

/**
 * needsApply says whether a rendered object differs from what the site holds: missing, being deleted, or rendered
 * differently (ANNOTATION_RENDERED covers everything rendered, labels and epoch included).
 */
export function needsApply(held: V1Deployment | V1Service | undefined, rendered: V1Deployment | V1Service): boolean {
  if (held === undefined || held.metadata?.deletionTimestamp !== undefined) return true;
  return held.metadata?.annotations?.[ANNOTATION_RENDERED] !== rendered.metadata?.annotations?.[ANNOTATION_RENDERED];
}

/** deploymentNeedsApply adds the replica count, which someone may have changed by hand (kubectl scale). */
export function deploymentNeedsApply(held: V1Deployment | undefined, rendered: V1Deployment): boolean {
  return needsApply(held, rendered) || held?.spec?.replicas !== rendered.spec?.replicas;
}

/** ActOutcome is what carrying out a plan did at one site. */
export interface ActOutcome {
  readonly site: string;
  /** The objects as the site holds them afterwards (assigned sites whose writes succeeded). */
  readonly observed?: SiteObservation;
  /** How many objects were deleted. */
  readonly deleted: number;
  readonly failure?: SiteFailure;
}

/**
 * actAt carries out one site's plan: deletions first (a site being fenced off loses its old objects before
 * anything else happens there), then the Service, then the Deployment, each only when it differs.
 */
export async function actAt(
  port: SiteMemberPort,
  namespace: string,
  plan: SitePlan,
  members: InferenceMembers | undefined,
  held: SiteObservation | undefined,
): Promise<ActOutcome> {
  let deleted = 0;
  try {
    for (const ref of plan.deletes) {
      await deleteMember(port, namespace, ref);
      deleted++;
    }
    if (members === undefined) return { site: plan.site, deleted };
    let service = held?.service;
    let deployment = held?.deployment;
    if (service === undefined && deployment === undefined) await port.ensureNamespace(members.namespace);
    if (needsApply(service, members.service)) service = await applyService(port, members.service);
    if (deploymentNeedsApply(deployment, members.deployment)) deployment = await applyDeployment(port, members.deployment);
    return { site: plan.site, deleted, observed: { service, deployment } };
  } catch (err: unknown) {
    return { site: plan.site, deleted, failure: { site: plan.site, error: err } };
  }
}

/** CleanupOutcome is what deleting everything did at one site. */
export interface CleanupOutcome {
  readonly site: string;
  /** True once a fresh list finds nothing of the service (a Deployment held by a finalizer still counts). */
  readonly gone: boolean;
  readonly failure?: SiteFailure;
}

/** cleanUpAt deletes every member object of the service at a site, then lists again to see that all are gone. */
export async function cleanUpAt(ports: Pick<SiteMemberPorts, 'forSite'>, svc: InferenceService, site: Site): Promise<CleanupOutcome> {
  const siteName = site.metadata.name ?? '';
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  try {
    const port = ports.forSite(site);
    const before = await listMembers(port, namespace, name);
    const refs = [
      ...before.deployments.map((d) => ({ kind: 'Deployment' as const, name: d.metadata?.name ?? '', epoch: undefined })),
      ...before.services.map((s) => ({ kind: 'Service' as const, name: s.metadata?.name ?? '', epoch: undefined })),
    ];
    if (refs.length === 0) return { site: siteName, gone: true };
    for (const ref of refs) await deleteMember(port, namespace, ref);
    return { site: siteName, gone: isEmpty(await listMembers(port, namespace, name)) };
  } catch (err: unknown) {
    return { site: siteName, gone: false, failure: { site: siteName, error: err } };
  }
}
