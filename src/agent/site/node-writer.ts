/**
 * The Kubernetes NodeWriter: reads a Node, writes the device annotation with a JSON merge patch on metadata, and the
 * AcceleratorHealthy condition with a STRATEGIC merge patch on the status subresource.
 *
 * Why two patch types: a JSON merge patch replaces lists whole, so `{"status":{"conditions":[ours]}}` would wipe
 * kubelet's (or kwok's) Ready, MemoryPressure, … conditions. A strategic merge patch merges `conditions` by its
 * `type` key and touches only ours. Strategic merge is refused on custom resources (STYLE.md), but Node is built in.
 *
 * client-node 2.x sets the patch Content-Type from a fixed list (JSON patch first) and serialises the body as JSON
 * whatever it picked; the `setHeaderOptions` middleware runs after that and replaces the header.
 *
 * RBAC: nodes get and patch, nodes/status patch.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { ANNOTATION_DEVICES, NODE_CONDITION_ACCELERATORS } from '../../api/names.ts';
import { toApiError } from '../../runtime/errors.ts';
import type { NodeConditionPatch, NodeDeviceState, NodeWriter } from './node-reporter.ts';

/** NODE_REPORTER_FIELD_MANAGER names the reporter's writes in managedFields. */
export const NODE_REPORTER_FIELD_MANAGER = 'suanwang-node-reporter';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC_MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** NodeApi is the part of CoreV1Api the writer uses. */
export type NodeApi = Pick<CoreV1Api, 'readNode' | 'patchNode' | 'patchNodeStatus'>;

function iso(t: Date | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  return t instanceof Date ? t.toISOString() : t;
}

/** KubernetesNodeWriter implements NodeWriter against a cluster's API server. */
export class KubernetesNodeWriter implements NodeWriter {
  readonly #api: NodeApi;

  /** Takes the cluster's CoreV1Api (or a stand-in in tests). */
  constructor(api: NodeApi) {
    this.#api = api;
  }

  /** forKubeConfig builds a writer against the cluster a kubeconfig names. */
  static forKubeConfig(kc: KubeConfig): KubernetesNodeWriter {
    return new KubernetesNodeWriter(kc.makeApiClient(CoreV1Api));
  }

  async read(node: string): Promise<NodeDeviceState> {
    try {
      const n = await this.#api.readNode({ name: node });
      const annotation = n.metadata?.annotations?.[ANNOTATION_DEVICES];
      const c = n.status?.conditions?.find((x) => x.type === NODE_CONDITION_ACCELERATORS);
      const lastTransitionTime = iso(c?.lastTransitionTime);
      return {
        ...(annotation === undefined ? {} : { annotation }),
        ...(c === undefined
          ? {}
          : {
              condition: {
                status: c.status,
                ...(c.reason === undefined ? {} : { reason: c.reason }),
                ...(c.message === undefined ? {} : { message: c.message }),
                ...(lastTransitionTime === undefined ? {} : { lastTransitionTime }),
              },
            }),
      };
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  async writeAnnotation(node: string, value: string): Promise<void> {
    const body = { metadata: { annotations: { [ANNOTATION_DEVICES]: value } } };
    try {
      await this.#api.patchNode({ name: node, body, fieldManager: NODE_REPORTER_FIELD_MANAGER }, MERGE_PATCH);
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  async writeCondition(node: string, condition: NodeConditionPatch): Promise<void> {
    const body = { status: { conditions: [{ ...condition }] } };
    try {
      await this.#api.patchNodeStatus({ name: node, body, fieldManager: NODE_REPORTER_FIELD_MANAGER }, STRATEGIC_MERGE_PATCH);
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }
}
