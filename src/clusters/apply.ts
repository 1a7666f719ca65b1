/**
 * Server-side apply with a fixed field manager: the one way Suanwang writes whole objects, so repeated writes are
 * harmless and fields owned by others (users, other controllers) are left alone. Custom resources are never
 * written with strategic merge (client-node's default), which they do not support.
 */
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/** applyObject server-side-applies obj as fieldManager, forcing ownership of the fields it sets. */
export async function applyObject<T extends KubernetesObject>(kc: KubeConfig, obj: T, fieldManager: string): Promise<T> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  return api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}
