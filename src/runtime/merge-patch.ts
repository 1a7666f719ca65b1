/**
 * JSON values compared and diffed the way a JSON merge patch (RFC 7386) sees them: an absent key and an undefined
 * one are the same, objects merge key by key, arrays and scalars are replaced whole.
 */

/** JsonObject is a parsed JSON object. */
export type JsonObject = { readonly [key: string]: unknown };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** deepEqual compares two JSON values; keys whose value is undefined count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/**
 * mergePatchDiff returns the merge patch that turns `from` into `to`: changed keys with their new value, removed
 * keys as null, nested objects recursively. Undefined when nothing differs. Arrays are replaced whole, as merge
 * patch always does.
 */
export function mergePatchDiff(from: JsonObject, to: JsonObject): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[k];
    const b = to[k];
    if (deepEqual(a, b)) continue;
    if (b === undefined) patch[k] = null;
    else if (isObject(a) && isObject(b)) patch[k] = mergePatchDiff(a, b) ?? {};
    else patch[k] = b;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/**
 * applyMergePatch returns `target` with `patch` applied as RFC 7386 says: null removes a key, an object merges into
 * an object key by key, anything else replaces. Neither argument is changed. The inverse of mergePatchDiff: what a
 * hub apiserver does with the patches the hub writers send, for code that keeps objects in memory.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
