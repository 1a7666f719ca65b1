/**
 * A member object as the operator wants it at a pull-mode site, and its content hash. The hash is what keeps the
 * stream quiet: controllers re-apply every member on every reconcile, and only a change of content is sent; the agent
 * echoes the hash it applied, which tells the operator whether the site's copy is of the content it wants now.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { DesiredMember } from './pull-member-messages.ts';
import { memberKeyOf } from './site-member-port.ts';

/**
 * SERVER_SET_METADATA are metadata fields the site's apiserver sets. A render does not carry them; should a caller
 * pass an object read back from a site, they are dropped so that the same content hashes the same.
 */
const SERVER_SET_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'] as const;

/** desiredMemberOf copies `obj` without status and server-set metadata, and hashes the copy. */
export function desiredMemberOf(obj: KubernetesObject): DesiredMember {
  const { status: _status, ...rest } = structuredClone(obj) as KubernetesObject & { status?: unknown };
  const object: KubernetesObject = rest;
  if (object.metadata !== undefined) {
    const metadata: Record<string, unknown> = { ...object.metadata };
    for (const field of SERVER_SET_METADATA) delete metadata[field];
    object.metadata = metadata;
  }
  return { key: memberKeyOf(object), object, hash: desiredMemberHash(object) };
}

/** desiredMemberHash is the sha256 (hex) of canonicalJson(obj). */
export function desiredMemberHash(obj: KubernetesObject): string {
  return canonicalHash(obj);
}

/** canonicalHash is the sha256 (hex) of canonicalJson(value). */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * canonicalJson is JSON with every object's keys in one fixed order (sorted; JavaScript still puts integer-like keys
 * first, which is as fixed), so the same content gives the same text whatever order it was built in. Like
 * JSON.stringify it drops undefined properties and writes undefined array items as null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value; // a Date: JSON.stringify writes its string
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedKeys((value as Record<string, unknown>)[key]);
  return out;
}
