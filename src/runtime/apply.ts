/**
 * Server-side apply with a fixed field manager: the one way Suanwang writes whole objects, so repeated writes are
 * harmless and fields owned by others (users, other controllers) are left alone. Custom resources are never
 * written with strategic merge (client-node's default), which they do not support.
 */
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/** FIELD_MANAGER names the operator in managedFields: every field it writes, at the sites and on the hub. */
export const FIELD_MANAGER = 'suanwang-operator';

/** applyObject server-side-applies obj as fieldManager, forcing ownership of the fields it sets. */
export async function applyObject<T extends KubernetesObject>(kc: KubeConfig, obj: T, fieldManager: string): Promise<T> {
  return applyObjectWith(KubernetesObjectApi.makeApiClient(kc), obj, fieldManager);
}

/** applyObjectWith is applyObject through a client already built (a site's, say: no client per call). */
export async function applyObjectWith<T extends KubernetesObject>(api: KubernetesObjectApi, obj: T, fieldManager: string): Promise<T> {
  return api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}
