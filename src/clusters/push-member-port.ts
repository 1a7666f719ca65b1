/**
 * SiteMemberPort in push mode: the operator calls the site's apiserver itself, through the site's rate-limited
 * SiteClient (site-clients.ts), so every call keeps the site's token bucket and deadline. Reads map NotFound to
 * undefined and nothing else; writes are server-side apply with the operator's field manager; deletes ignore
 * NotFound, and a Job or Deployment is deleted in the foreground (site-member-port.ts).
 */
import type { KubernetesObject, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { applyObjectWith, FIELD_MANAGER } from '../runtime/apply.ts';
import { ignoreNotFound } from '../runtime/errors.ts';
import { ensureNamespace } from './namespaces.ts';
import type { SiteClient } from './site-clients.ts';
import type { MemberKey, MemberKind, MemberRefusal, SiteMemberPort } from './site-member-port.ts';

/** PushMemberPort is one site's member objects through its SiteClient. */
export class PushMemberPort implements SiteMemberPort {
  readonly site: string;
  readonly mode = 'Push' as const;
  readonly #client: Pick<SiteClient, 'site' | 'call'>;

  constructor(client: Pick<SiteClient, 'site' | 'call'>) {
    this.site = client.site;
    this.#client = client;
  }

  async read<T extends KubernetesObject>(key: MemberKey): Promise<T | undefined> {
    const { namespace, name } = key;
    const found = await this.#client.call(`read member ${key.kind}`, (apis): Promise<KubernetesObject | undefined> => {
      switch (key.kind) {
        case 'Job':
          return ignoreNotFound(apis.batch.readNamespacedJob({ namespace, name }));
        case 'Service':
          return ignoreNotFound(apis.core.readNamespacedService({ namespace, name }));
        case 'Deployment':
          return ignoreNotFound(apis.apps.readNamespacedDeployment({ namespace, name }));
      }
    });
    return found as T | undefined;
  }

  async list<T extends KubernetesObject>(kind: MemberKind, namespace: string, labelSelector: string): Promise<T[]> {
    const listed = await this.#client.call(`list member ${kind}s`, (apis): Promise<{ items: KubernetesObject[] }> => {
      switch (kind) {
        case 'Job':
          return apis.batch.listNamespacedJob({ namespace, labelSelector });
        case 'Service':
          return apis.core.listNamespacedService({ namespace, labelSelector });
        case 'Deployment':
          return apis.apps.listNamespacedDeployment({ namespace, labelSelector });
      }
    });
    return listed.items as T[];
  }

  apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.#client.call(`apply member ${obj.kind ?? 'object'}`, (apis) => applyObjectWith(apis.objects, obj, FIELD_MANAGER));
  }

  async delete(key: MemberKey): Promise<void> {
    const { namespace, name } = key;
    await this.#client.call(`delete member ${key.kind}`, (apis): Promise<unknown> => {
      switch (key.kind) {
        case 'Job':
          return ignoreNotFound(apis.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Foreground' }));
        case 'Service':
          return ignoreNotFound(apis.core.deleteNamespacedService({ namespace, name }));
        case 'Deployment':
          return ignoreNotFound(apis.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Foreground' }));
      }
    });
  }

  ensureNamespace(namespace: V1Namespace): Promise<void> {
    return ensureNamespace(this.#client, namespace);
  }

  // Fields, not methods: callers test them for presence and may call them detached.
  readonly pods = async (namespace: string, labelSelector: string): Promise<V1Pod[]> =>
    (await this.#client.call('list worker pods', (apis) => apis.core.listNamespacedPod({ namespace, labelSelector }))).items;

  readonly node = (name: string): Promise<V1Node | undefined> =>
    this.#client.call('read worker node', (apis) => ignoreNotFound(apis.core.readNode({ name })));

  /** refusal: a site reached by push never refuses by policy; its apiserver's errors are thrown by the calls. */
  refusal(_key: MemberKey): MemberRefusal | undefined {
    return undefined;
  }
}
