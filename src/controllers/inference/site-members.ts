/**
 * Reads and writes of an InferenceService's member objects at one site, through the site's member port (push or
 * pull, clusters/site-member-port.ts). Reads list by label (`suanwang.io/workload`, `suanwang.io/namespace`), so
 * objects of any name or epoch are found; a list that fails throws (a site that does not answer is not a site
 * without members). Writes are idempotent applies; deletes ignore objects already gone.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import type { SiteMemberPort } from '../../clusters/site-member-port.ts';
import type { MemberRef, SiteMembers } from './fencing.ts';

/** memberSelector is the label selector of a service's member objects. */
export function memberSelector(namespace: string, name: string): string {
  return `${LABEL_WORKLOAD}=${name},${LABEL_NAMESPACE}=${namespace}`;
}

/**
 * listMembers lists the service's Deployments and Services at the site, in the service's namespace (members always
 * live in the namespace of the same name; a namespace that does not exist lists as empty).
 */
export async function listMembers(port: SiteMemberPort, namespace: string, name: string): Promise<SiteMembers> {
  const labelSelector = memberSelector(namespace, name);
  const [deployments, services] = await Promise.all([
    port.list<V1Deployment>('Deployment', namespace, labelSelector),
    port.list<V1Service>('Service', namespace, labelSelector),
  ]);
  return { deployments, services };
}

/** applyService applies the site's Service and returns it as the site has it (with its cluster IP, once known). */
export function applyService(port: SiteMemberPort, service: V1Service): Promise<V1Service> {
  return port.apply(service);
}

/** applyDeployment applies the site's Deployment and returns it as the site has it. */
export function applyDeployment(port: SiteMemberPort, deployment: V1Deployment): Promise<V1Deployment> {
  return port.apply(deployment);
}

/** deleteMember deletes one member object; a Deployment in the foreground, so it stays visible until its pods are gone. */
export async function deleteMember(port: SiteMemberPort, namespace: string, ref: MemberRef): Promise<void> {
  await port.delete({ kind: ref.kind, namespace, name: ref.name });
}
