/**
 * The site agent's two watches, as InformerSupervisors over client-node list+watch:
 * - every Node of the site's cluster;
 * - the Pods that hold resources: bound to a node and not finished. The field selector keeps finished and pending
 *   pods out of the agent's memory (a busy batch cluster has far more of them than of running ones); the API server
 *   reports a pod that stops matching (it finished) as deleted, which is exactly what the pool sums need.
 *
 * RBAC: nodes and pods, list and watch (cluster-wide).
 */
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../runtime/clock.ts';
import { InformerSupervisor } from '../../runtime/informer-supervisor.ts';
import { listWatchInformerFactory } from '../../runtime/list-watch-informer.ts';

/** POD_FIELD_SELECTOR selects the pods that hold resources on a node. */
export const POD_FIELD_SELECTOR = 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed';

/** SiteCaches are the agent's Node and Pod caches. */
export interface SiteCaches {
  readonly nodes: InformerSupervisor<V1Node>;
  readonly pods: InformerSupervisor<V1Pod>;
}

/** siteCaches builds (does not start) the caches for one site's cluster. */
export function siteCaches(kc: KubeConfig, clock: Clock, logger: Logger, site: string): SiteCaches {
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = new InformerSupervisor<V1Node>({
    name: `Node@${site}`,
    clock,
    logger,
    factory: listWatchInformerFactory<V1Node>({ kubeConfig: kc, path: '/api/v1/nodes', clock, list: () => core.listNode() }),
  });
  const pods = new InformerSupervisor<V1Pod>({
    name: `Pod@${site}`,
    clock,
    logger,
    factory: listWatchInformerFactory<V1Pod>({
      kubeConfig: kc,
      path: '/api/v1/pods',
      fieldSelector: POD_FIELD_SELECTOR,
      clock,
      list: () => core.listPodForAllNamespaces({ fieldSelector: POD_FIELD_SELECTOR }),
    }),
  });
  return { nodes, pods };
}
