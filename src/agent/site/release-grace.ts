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

/** Held is a pod that held resources at the last look, and the look it was last seen at. */
interface Held {
  pod: V1Pod;
  seenAt: number;
}

/** ReleaseGrace tracks pods that held resources at the last look and hold none now. */
export class ReleaseGrace {
  readonly #graceMs: number;
  /**
   * active is updated in place, look by look: the agent looks at every rebuild (a few a second under churn at
   * 10,000 pods), and a new map of every pod per look was most of the garbage a rebuild left.
   */
  readonly #active = new Map<string, Held>();
  readonly #ended = new Map<string, Ended>();
  #looks = 0;

  constructor(graceMs: number = DEFAULT_RELEASE_GRACE_MS) {
    if (!(graceMs >= 0)) throw new RangeError(`release grace must be at least 0 ms, got ${graceMs}`);
    this.#graceMs = graceMs;
  }

  /**
   * counted returns the pods whose resources to report at `now`: those that hold resources, and those that did at an
   * earlier look and ended less than the grace ago (as they were last seen holding). A pod is known by its uid.
   */
  counted(pods: readonly V1Pod[], now: number): V1Pod[] {
    const look = ++this.#looks;
    const out: V1Pod[] = [];
    for (const pod of pods) {
      if (!holdsResources(pod)) continue;
      const id = key(pod);
      const held = this.#active.get(id);
      if (held === undefined) this.#active.set(id, { pod, seenAt: look });
      else {
        held.pod = pod;
        held.seenAt = look;
      }
      this.#ended.delete(id);
      out.push(pod);
    }
    for (const [id, held] of this.#active) {
      if (held.seenAt === look) continue;
      this.#active.delete(id);
      if (!this.#ended.has(id)) this.#ended.set(id, { pod: held.pod, endedAt: now });
    }
    for (const [id, e] of this.#ended) {
      if (now - e.endedAt >= this.#graceMs) this.#ended.delete(id);
      else out.push(e.pod);
    }
    return out;
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
