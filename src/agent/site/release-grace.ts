/**
 * Devices freed late, devices used at once. When a pod finishes (or goes), the agent counts what it held for a short
 * grace more before it reports the capacity free. The site's kube-scheduler learns of the same pod's end through its
 * own watch, and under load it learns later than the agent: in the queues benchmark the hub placed a two-worker gang
 * into devices the agent had just reported free, and the site's scheduler refused the second worker ("Insufficient
 * nvidia.com/gpu") 1 to 2 s after the pods there had finished, binding it only when the next pod ended — the gang ran
 * one worker at a time. Holding freed devices a few seconds makes the hub's view trail the site scheduler's instead
 * of running ahead of it; pods that start are counted at once, as before. Pure: the time is an argument.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { holdsResources } from './pod-requests.ts';

/** DEFAULT_RELEASE_GRACE_MS is how long a finished pod's resources are still reported as held (module comment). */
export const DEFAULT_RELEASE_GRACE_MS = 3_000;

interface Ended {
  readonly pod: V1Pod;
  readonly endedAt: number;
}

/** ReleaseGrace tracks pods that held resources at the last look and hold none now. */
export class ReleaseGrace {
  readonly #graceMs: number;
  #active = new Map<string, V1Pod>();
  readonly #ended = new Map<string, Ended>();

  constructor(graceMs: number = DEFAULT_RELEASE_GRACE_MS) {
    if (!(graceMs >= 0)) throw new RangeError(`release grace must be at least 0 ms, got ${graceMs}`);
    this.#graceMs = graceMs;
  }

  /**
   * counted returns the pods whose resources to report at `now`: those that hold resources, and those that did at an
   * earlier look and ended less than the grace ago (as they were last seen holding). A pod is known by its uid.
   */
  counted(pods: readonly V1Pod[], now: number): V1Pod[] {
    const active = new Map<string, V1Pod>();
    for (const pod of pods) if (holdsResources(pod)) active.set(key(pod), pod);
    for (const [id, pod] of this.#active) if (!active.has(id) && !this.#ended.has(id)) this.#ended.set(id, { pod, endedAt: now });
    for (const [id, e] of this.#ended) if (active.has(id) || now - e.endedAt >= this.#graceMs) this.#ended.delete(id);
    this.#active = active;
    return [...active.values(), ...[...this.#ended.values()].map((e) => e.pod)];
  }

  /** nextExpiry is when the first pod still held by the grace stops being counted; undefined when none is. */
  nextExpiry(): number | undefined {
    let first: number | undefined;
    for (const e of this.#ended.values()) first = Math.min(first ?? Number.POSITIVE_INFINITY, e.endedAt + this.#graceMs);
    return first;
  }
}

function key(pod: V1Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
