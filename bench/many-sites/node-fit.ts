/**
 * The simulated site's scheduler, reduced to what the benchmark needs: a pod goes to the first Ready, schedulable node
 * (by name) whose labels carry the pod's nodeSelector and whose allocatable, less what the pods bound to it request,
 * covers the pod's requests (the agent's own request rules, src/agent/site/pod-requests.ts). No taints, affinity or
 * scoring: the operator already chose the site and pool. Pure.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { holdsResources, podRequests } from '../../src/agent/site/pod-requests.ts';
import { addList, addUnits, type Units } from '../../src/agent/site/resource-units.ts';

/** selects says whether the node's labels carry every entry of the pod's nodeSelector. */
function selects(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(pod.spec?.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
}

function schedulable(node: V1Node): boolean {
  if (node.spec?.unschedulable === true) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** usedByNode sums the requests of the pods that hold resources, by node name. */
export function usedByNode(pods: Iterable<V1Pod>): Map<string, Units> {
  const used = new Map<string, Units>();
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    const node = p.spec?.nodeName as string;
    const units = used.get(node) ?? new Map<string, number>();
    addUnits(units, podRequests(p));
    used.set(node, units);
  }
  return used;
}

/** fitNode is the name of the first node the pod fits on (module comment), or undefined when none has room. */
export function fitNode(pod: V1Pod, nodes: readonly V1Node[], used: ReadonlyMap<string, Units>): string | undefined {
  const wants = podRequests(pod);
  const sorted = [...nodes].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const node of sorted) {
    if (!schedulable(node) || !selects(pod, node)) continue;
    const name = node.metadata?.name ?? '';
    const allocatable: Units = new Map();
    addList(allocatable, node.status?.allocatable);
    const taken = used.get(name);
    let fits = true;
    for (const [resource, amount] of wants) {
      if ((allocatable.get(resource) ?? 0) - (taken?.get(resource) ?? 0) < amount) {
        fits = false;
        break;
      }
    }
    if (fits) return name;
  }
  return undefined;
}
