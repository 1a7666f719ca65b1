/**
 * What a pod holds on its node, per reported resource: the effective request the scheduler accounts for
 * (Kubernetes "Resource sharing within containers" / sidecar containers rules):
 *
 *   regular   = Σ app containers + Σ sidecars (init containers with restartPolicy Always, which run alongside)
 *   init peak = max over plain init containers i of (i + Σ sidecars started before i)
 *   pod       = max(regular, init peak) + pod overhead
 *
 * A container's request is `requests`, falling back to `limits` (the API server defaults requests to limits when
 * only limits are set; reading both keeps objects that skipped defaulting right). For accelerator extended resources
 * the larger of the two counts: they cannot be overcommitted, so limits must equal requests, and a device is
 * allocated whichever field the pod spelt it in.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { addList, addUnits, isAcceleratorResource, isReportedResource, toUnits, type Units } from './resource-units.ts';

/** TERMINAL_PHASES are pod phases whose containers no longer hold resources. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** holdsResources is true for a pod bound to a node and not finished. */
export function holdsResources(pod: V1Pod): boolean {
  const node = pod.spec?.nodeName;
  return node !== undefined && node !== '' && !TERMINAL_PHASES.has(pod.status?.phase ?? '');
}

function containerUnits(c: V1Container): Units {
  const out: Units = new Map();
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    if (!isReportedResource(name)) continue;
    const req = requests[name] === undefined ? undefined : toUnits(name, requests[name]);
    const lim = limits[name] === undefined ? undefined : toUnits(name, limits[name]);
    const u = isAcceleratorResource(name) ? Math.max(req ?? 0, lim ?? 0) : (req ?? lim);
    if (u !== undefined) out.set(name, u);
  }
  return out;
}

function maxInto(into: Units, other: Units): void {
  for (const [name, u] of other) into.set(name, Math.max(into.get(name) ?? 0, u));
}

/** podRequests returns the pod's effective request per reported resource (rules in the module comment). */
export function podRequests(pod: V1Pod): Units {
  const regular: Units = new Map();
  const sidecarsSoFar: Units = new Map();
  const initPeak: Units = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const u = containerUnits(c);
    if (c.restartPolicy === 'Always') {
      addUnits(sidecarsSoFar, u);
      addUnits(regular, u);
    } else {
      const peak = new Map(sidecarsSoFar);
      addUnits(peak, u);
      maxInto(initPeak, peak);
    }
  }
  for (const c of pod.spec?.containers ?? []) addUnits(regular, containerUnits(c));
  maxInto(regular, initPeak);
  addList(regular, pod.spec?.overhead);
  return regular;
}
