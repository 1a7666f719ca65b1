/**
 * The Nodes a simulated site holds: the lab's own Node objects for the generated pools (src/lab/nodes.ts labNode:
 * labels, capacity, allocatable), Ready as kwok would make them. No device annotation: nothing reports device health
 * at a simulated site, so its pools carry no per-device records and no health counts (placement reads capacity). Pure.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { TopologySite } from '../../src/api/topology-file.ts';
import { labNode } from '../../src/lab/nodes.ts';

/** READY_SINCE stamps the Ready condition: a fixed time, so equal sites give equal Nodes. */
const READY_SINCE = new Date('2026-01-01T00:00:00Z');

/** siteNodes are every Node of the site's pools, Ready and schedulable. */
export function siteNodes(site: TopologySite): V1Node[] {
  return site.pools.flatMap((pool) =>
    Array.from({ length: pool.nodes }, (_, i) => {
      const node = labNode(site, pool, i);
      return {
        ...node,
        metadata: { ...node.metadata, uid: `${site.name}-${pool.name}-${i}` },
        status: { ...node.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: READY_SINCE, lastTransitionTime: READY_SINCE }] },
      };
    }),
  );
}
