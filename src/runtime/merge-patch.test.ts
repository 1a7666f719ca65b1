import { describe, expect, it } from 'vitest';
import { deepEqual, mergePatchDiff } from './merge-patch.ts';

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
