/**
 * The site agent's two watches, as InformerSupervisors over the agent's own list+watch (../kube/list-watch.ts):
 * - every Node of the site's cluster;
 * - the Pods that hold resources: bound to a node and not finished. The field selector keeps finished and pending
 *   pods out of the agent's memory (a busy batch cluster has far more of them than of running ones); the API server
 *   reports a pod that stops matching (it finished) as deleted, which is exactly what the pool sums need.
 * Both keep only the fields the agent reads (site-objects.ts), and list in pages.
 *
 * RBAC: nodes and pods, list and watch (cluster-wide).
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../runtime/clock.ts';
import { InformerSupervisor } from '../../runtime/informer-supervisor.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import { listWatchFactory } from '../kube/list-watch.ts';
import { siteNode, sitePod } from './site-objects.ts';

/** POD_FIELD_SELECTOR selects the pods that hold resources on a node. */
export const POD_FIELD_SELECTOR = 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed';

/** SiteCaches are the agent's Node and Pod caches. */
export interface SiteCaches {
  readonly nodes: InformerSupervisor<V1Node>;
  readonly pods: InformerSupervisor<V1Pod>;
}

/** siteCaches builds (does not start) the caches for one site's cluster. */
export function siteCaches(api: KubeApi, clock: Clock, logger: Logger, site: string): SiteCaches {
  const nodes = new InformerSupervisor<V1Node>({
    name: `Node@${site}`,
    clock,
    logger,
    factory: listWatchFactory<V1Node>({ api, path: '/api/v1/nodes', project: siteNode, clock }),
  });
  const pods = new InformerSupervisor<V1Pod>({
    name: `Pod@${site}`,
    clock,
    logger,
    factory: listWatchFactory<V1Pod>({ api, path: '/api/v1/pods', fieldSelector: POD_FIELD_SELECTOR, project: sitePod, clock }),
  });
  return { nodes, pods };
}
