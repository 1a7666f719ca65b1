/**
 * Work queue keys: `kind/namespace/name`, with an empty namespace for cluster-scoped objects (`Site//east`).
 * The kind is part of the key so that one queue can carry several kinds without two objects colliding; none of
 * the three parts can contain `/` in Kubernetes, so the split is unambiguous.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

/** ObjectRef is a parsed key. */
export interface ObjectRef {
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** makeKey builds the key of an object from its parts. */
export function makeKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** objectKey is the key of `obj` under `kind` (passed in: list items often lack `kind`). */
export function objectKey(kind: string, obj: KubernetesObject): string {
  return makeKey(kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
}

/** parseKey splits a key made by `makeKey`, or returns undefined for anything else. */
export function parseKey(key: string): ObjectRef | undefined {
  const parts = key.split('/');
  if (parts.length !== 3) return undefined;
  const [kind, namespace, name] = parts as [string, string, string];
  if (kind === '' || name === '') return undefined;
  return { kind, namespace, name };
}
