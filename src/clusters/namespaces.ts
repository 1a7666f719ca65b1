/**
 * The namespace member objects live in at a site: the hub namespace of their workload, created on first use (push
 * mode; push-member-port.ts).
 */
import type { V1Namespace } from '@kubernetes/client-node';
import { ignoreNotFound, isAlreadyExists } from '../runtime/errors.ts';
import type { SiteClient } from './site-clients.ts';

/**
 * ensureNamespace creates `namespace` at the site when it is missing. Read first: on a site where the operator may
 * not create namespaces (the site operator prepares them), an existing one must not cost a Forbidden.
 */
export async function ensureNamespace(client: Pick<SiteClient, 'call'>, namespace: V1Namespace): Promise<void> {
  const name = namespace.metadata?.name ?? '';
  const existing = await client.call('read member namespace', (apis) => ignoreNotFound(apis.core.readNamespace({ name })));
  if (existing !== undefined) return;
  await client.call('create member namespace', async (apis) => {
    try {
      await apis.core.createNamespace({ body: namespace });
    } catch (err: unknown) {
      if (!isAlreadyExists(err)) throw err; // created meanwhile: what we wanted
    }
  });
}
