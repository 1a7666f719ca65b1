/**
 * ObservedObjects are the pods and nodes the agent reports read-only beside the members in pull mode
 * (observed-projection.ts says which, and how much of each): the worker pods from their own watch, and the nodes under
 * them from the agent's node watch. It tells the member watch which keys may have changed — a pod, and the node it was
 * or is bound to — and builds, per report, a reader of their current states.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import type { MemberState } from '../../wire/messages.ts';
import type { MemberId } from './member-kinds.ts';
import { isReportedPod, nodeProjection, nodeUnder, podProjection } from './observed-projection.ts';

/** ObservedObjectsOptions are the watches the observed objects come from. */
export interface ObservedObjectsOptions {
  /** pods: the worker pods' watch (kubernetes-members.ts workerPodCache, or anything listing at least those). */
  readonly pods: ObjectCache<V1Pod>;
  /** nodes: the agent's watch of every Node. */
  readonly nodes: ObjectCache<V1Node>;
}

/** ObservedReader reads the observed states as of one moment; build a new one per report. */
export interface ObservedReader {
  /** state is the key's state to report, or undefined when the agent reports nothing for it (gone). */
  state(id: MemberId): MemberState | undefined;
  /** all is every observed state, pods first, each kind in name order. */
  all(): MemberState[];
}

/** ObservedObjects tracks the worker pods and their nodes (module comment). */
export class ObservedObjects {
  readonly #o: ObservedObjectsOptions;

  constructor(options: ObservedObjectsOptions) {
    this.#o = options;
  }

  /** subscribe calls `changed` with the keys whose state may have changed; the returned function unsubscribes. */
  subscribe(changed: (ids: readonly MemberId[]) => void): () => void {
    const offPods = this.#o.pods.onChange((pod, previous) => {
      const ids: MemberId[] = [podId(pod)];
      // A pod binds once and never moves, but a delete or a finish frees its node, so both states count.
      const nodes = new Set([pod.spec?.nodeName, previous?.spec?.nodeName].filter((n): n is string => n !== undefined && n !== ''));
      for (const n of nodes) ids.push(nodeId(n));
      changed(ids);
    });
    const offNodes = this.#o.nodes.onChange((node) => changed([nodeId(node.metadata?.name ?? '')]));
    return () => {
      offPods();
      offNodes();
    };
  }

  /** reader reads the watches as they are now; the set of nodes in use is worked out once, when first needed. */
  reader(): ObservedReader {
    const { pods, nodes } = this.#o;
    let inUse: Set<string> | undefined;
    const reportedPods = (): V1Pod[] => pods.list().filter(isReportedPod);
    const nodesInUse = (): Set<string> => (inUse ??= new Set(reportedPods().flatMap((p) => nodeUnder(p) ?? [])));
    const nodeState = (name: string): MemberState | undefined => {
      if (!nodesInUse().has(name)) return undefined;
      const node = nodes.get(undefined, name);
      return node === undefined ? undefined : { ref: nodeId(name), objectJson: JSON.stringify(nodeProjection(node)) };
    };
    const podState = (pod: V1Pod): MemberState => ({ ref: podId(pod), objectJson: JSON.stringify(podProjection(pod)) });
    return {
      state(id) {
        if (id.kind === 'Node') return nodeState(id.name);
        if (id.kind !== 'Pod') return undefined;
        const pod = pods.get(id.namespace, id.name);
        return pod !== undefined && isReportedPod(pod) ? podState(pod) : undefined;
      },
      all() {
        const podStates = reportedPods().map(podState).sort((a, b) => compare(refText(a), refText(b)));
        const nodeStates = [...nodesInUse()].sort(compare).flatMap((name) => nodeState(name) ?? []);
        return [...podStates, ...nodeStates];
      },
    };
  }
}

function refText(state: MemberState): string {
  return `${state.ref?.namespace ?? ''}/${state.ref?.name ?? ''}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function podId(pod: V1Pod): MemberId {
  return { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
}

function nodeId(name: string): MemberId {
  return { kind: 'Node', namespace: '', name };
}
