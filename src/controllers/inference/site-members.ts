/**
 * Reads and writes of an InferenceService's member objects at one site, through the site's rate-limited client.
 * Reads list by label (`suanwang.io/workload`, `suanwang.io/namespace`), so objects of any name or epoch are found;
 * a list that fails throws (a site that does not answer is not a site without members). Writes are server-side
 * apply with the operator's field manager; deletes ignore NotFound.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { applyObjectWith, FIELD_MANAGER } from '../../runtime/apply.ts';
import { ignoreNotFound } from '../../runtime/errors.ts';
import type { SiteClient } from '../../clusters/site-clients.ts';
import type { MemberRef, SiteMembers } from './fencing.ts';

/** memberSelector is the label selector of a service's member objects. */
export function memberSelector(namespace: string, name: string): string {
  return `${LABEL_WORKLOAD}=${name},${LABEL_NAMESPACE}=${namespace}`;
}

/**
 * listMembers lists the service's Deployments and Services at the site, in the service's namespace (members always
 * live in the namespace of the same name; a namespace that does not exist lists as empty).
 */
export async function listMembers(client: SiteClient, namespace: string, name: string): Promise<SiteMembers> {
  const labelSelector = memberSelector(namespace, name);
  const [deployments, services] = await Promise.all([
    client.call('list member Deployments', (apis) => apis.apps.listNamespacedDeployment({ namespace, labelSelector })),
    client.call('list member Services', (apis) => apis.core.listNamespacedService({ namespace, labelSelector })),
  ]);
  return { deployments: deployments.items, services: services.items };
}

/** applyService server-side-applies the site's Service and returns it as stored (with its cluster IP). */
export function applyService(client: SiteClient, service: V1Service): Promise<V1Service> {
  return client.call('apply member Service', (apis) => applyObjectWith(apis.objects, service, FIELD_MANAGER));
}

/** applyDeployment server-side-applies the site's Deployment and returns it as stored. */
export function applyDeployment(client: SiteClient, deployment: V1Deployment): Promise<V1Deployment> {
  return client.call('apply member Deployment', (apis) => applyObjectWith(apis.objects, deployment, FIELD_MANAGER));
}

/** deleteMember deletes one member object; a Deployment in the foreground, so it stays visible until its pods are gone. */
export async function deleteMember(client: SiteClient, namespace: string, ref: MemberRef): Promise<void> {
  const { name } = ref;
  if (ref.kind === 'Deployment') {
    await client.call('delete member Deployment', (apis) =>
      ignoreNotFound(apis.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Foreground' })),
    );
  } else {
    await client.call('delete member Service', (apis) => ignoreNotFound(apis.core.deleteNamespacedService({ namespace, name })));
  }
}
