import { describe, expect, it } from 'vitest';
import { applyMergePatch, deepEqual, mergePatchDiff } from './merge-patch.ts';

/** apply is RFC 7386 applied to plain JSON, to check a diff really turns `from` into `to`. */
function apply(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = apply(out[k], v);
  }
  return out;
}

describe('mergePatchDiff', () => {
  it.each([
    {
      what: 'a removed field becomes null; nested objects are diffed, arrays replaced',
      from: { phase: 'Running', site: 'guizhou', placement: { epoch: 1, message: 'a', candidates: [{ site: 'x' }] }, attempts: [1, 2] },
      to: { phase: 'Restarting', placement: { epoch: 1, message: 'b' }, attempts: [1, 2, 3] },
      want: { phase: 'Restarting', site: null, placement: { message: 'b', candidates: null }, attempts: [1, 2, 3] },
    },
    {
      what: 'undefined counts as absent',
      from: { a: 1, b: undefined },
      to: { a: 1 },
      want: undefined,
    },
    {
      what: 'from nothing',
      from: {},
      to: { phase: 'Pending', conditions: [{ type: 'Placed' }] },
      want: { phase: 'Pending', conditions: [{ type: 'Placed' }] },
    },
  ])('$what', ({ from, to, want }) => {
    const patch = mergePatchDiff(from, to);
    expect(patch).toEqual(want);
    expect(deepEqual(apply(from, patch ?? {}), to)).toBe(true);
  });
});

describe('deepEqual', () => {
  it('compares JSON values, arrays in order', () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual([], {})).toBe(false);
  });
});

describe('applyMergePatch', () => {
  const cases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
    { name: 'null removes a key', target: { a: 1, b: 2 }, patch: { b: null }, want: { a: 1 } },
    { name: 'objects merge key by key', target: { s: { x: 1, y: 2 } }, patch: { s: { y: 3, z: 4 } }, want: { s: { x: 1, y: 3, z: 4 } } },
    { name: 'arrays are replaced whole', target: { l: [1, 2, 3] }, patch: { l: [4] }, want: { l: [4] } },
    { name: 'an object replaces a scalar', target: { a: 1 }, patch: { a: { b: 2 } }, want: { a: { b: 2 } } },
    { name: 'a nested null removes nothing absent', target: {}, patch: { s: { gone: null } }, want: { s: {} } },
    { name: 'a scalar patch replaces the whole target', target: { a: 1 }, patch: 5, want: 5 },
  ];
  it.each(cases)('$name', ({ target, patch, want }) => {
    const before = structuredClone(target);
    expect(applyMergePatch(target, patch)).toEqual(want);
    expect(target).toEqual(before);
  });

  it('undoes what mergePatchDiff finds', () => {
    const from = { a: 1, s: { x: 1, y: [1] }, gone: 'x' };
    const to = { a: 2, s: { x: 1, y: [2], z: true }, added: { n: 1 } };
    expect(applyMergePatch(from, mergePatchDiff(from, to))).toEqual(to);
  });
});
