/**
 * Pull mode's member objects through the site's own apiserver, as the agent reaches it (its in-cluster credentials):
 * - kubernetesMemberSite, the MemberSiteApi the applier writes through: read, server-side apply under
 *   `suanwang-agent`, delete (Jobs and Deployments in the foreground), and namespaces created when missing;
 * - memberCaches, the watches of the labelled Jobs, Services and Deployments in every namespace (InformerSupervisors
 *   over list+watch, like site-caches.ts), which the applier plans against and the member reports are built from;
 * - workerPodCache, the watch of the unfinished pods of Suanwang's workloads, whose member Jobs' pods are reported
 *   read-only beside the members (observed-projection.ts).
 *
 * RBAC: jobs (batch), deployments (apps) and services: get, list, watch, patch, create, delete, cluster-wide;
 * namespaces: get, create; pods: list, watch (which the agent holds already). The agent chart's admission policy
 * should narrow patch and delete to objects labelled app.kubernetes.io/managed-by=suanwang, as it does for the
 * fence's Job deletes.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../../api/names.ts';
import { applyObjectWith } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ignoreNotFound, isAlreadyExists, toApiError } from '../../runtime/errors.ts';
import { InformerSupervisor } from '../../runtime/informer-supervisor.ts';
import { listWatchInformerFactory } from '../../runtime/list-watch-informer.ts';
import type { RunningObjectCache } from '../../runtime/object-cache.ts';
import type { MemberSiteApi } from './member-applier.ts';
import { AGENT_FIELD_MANAGER, MANAGED_SELECTOR, MEMBER_KINDS, type MemberKind } from './member-kinds.ts';
import { WORKER_POD_FIELD_SELECTOR, WORKER_POD_SELECTOR } from './observed-projection.ts';

/** MemberCaches are the watches of the site's labelled member objects, one per kind. */
export type MemberCaches = Readonly<Record<MemberKind, RunningObjectCache<KubernetesObject>>>;

/** kubernetesMemberSite is the MemberSiteApi of the cluster `kc` reaches. */
export function kubernetesMemberSite(kc: KubeConfig): MemberSiteApi {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const header = (id: { kind: MemberKind; namespace: string; name: string }): KubernetesObject => ({
    apiVersion: MEMBER_KINDS[id.kind].apiVersion,
    kind: id.kind,
    metadata: { namespace: id.namespace, name: id.name },
  });
  return {
    async read(id) {
      return ignoreNotFound(objects.read(header(id) as KubernetesObject & { metadata: { name: string } }));
    },
    async apply(obj) {
      try {
        return await applyObjectWith(objects, obj, AGENT_FIELD_MANAGER);
      } catch (err: unknown) {
        throw toApiError(err);
      }
    },
    async remove(id, foreground) {
      await ignoreNotFound(objects.delete(header(id), undefined, undefined, undefined, undefined, foreground ? 'Foreground' : 'Background'));
    },
    async ensureNamespace(name) {
      if ((await ignoreNotFound(core.readNamespace({ name }))) !== undefined) return;
      try {
        await core.createNamespace({ body: { metadata: { name, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } } } });
      } catch (err: unknown) {
        if (!isAlreadyExists(err)) throw toApiError(err);
      }
    },
  };
}

/** memberCaches builds (does not start) the watches of the labelled member objects of one site's cluster. */
export function memberCaches(kc: KubeConfig, clock: Clock, logger: Logger, site: string): MemberCaches {
  const batch = kc.makeApiClient(BatchV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const labelSelector = MANAGED_SELECTOR;
  const lists: Record<MemberKind, () => Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>> = {
    Job: () => batch.listJobForAllNamespaces({ labelSelector }),
    Service: () => core.listServiceForAllNamespaces({ labelSelector }),
    Deployment: () => apps.listDeploymentForAllNamespaces({ labelSelector }),
  };
  const cache = (kind: MemberKind): RunningObjectCache<KubernetesObject> =>
    new InformerSupervisor<KubernetesObject>({
      name: `${kind}@${site}`,
      clock,
      logger,
      factory: listWatchInformerFactory<KubernetesObject>({ kubeConfig: kc, path: MEMBER_KINDS[kind].path, list: lists[kind], labelSelector, clock }),
    });
  return { Job: cache('Job'), Service: cache('Service'), Deployment: cache('Deployment') };
}

/** workerPodCache builds (does not start) the watch of the unfinished pods of Suanwang's workloads, in every namespace. */
export function workerPodCache(kc: KubeConfig, clock: Clock, logger: Logger, site: string): RunningObjectCache<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const labelSelector = WORKER_POD_SELECTOR;
  const fieldSelector = WORKER_POD_FIELD_SELECTOR;
  return new InformerSupervisor<V1Pod>({
    name: `WorkerPod@${site}`,
    clock,
    logger,
    factory: listWatchInformerFactory<V1Pod>({
      kubeConfig: kc,
      path: '/api/v1/pods',
      labelSelector,
      fieldSelector,
      clock,
      list: () => core.listPodForAllNamespaces({ labelSelector, fieldSelector }),
    }),
  });
}
