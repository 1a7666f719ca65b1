import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ReleaseGrace } from './release-grace.ts';

function pod(name: string, phase = 'Running', node = 'n1'): V1Pod {
  return { metadata: { name, namespace: 'ml', uid: `uid-${name}` }, spec: { nodeName: node, containers: [] }, status: { phase } };
}

const names = (pods: readonly V1Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '').sort();

describe('ReleaseGrace', () => {
  it('counts a pod that starts at once, and one that finished or went for the grace more, as it last held', () => {
    const g = new ReleaseGrace(3000);
    expect(names(g.counted([pod('a'), pod('b')], 0))).toEqual(['a', 'b']);
    expect(g.nextExpiry()).toBeUndefined();
    // a finishes, b is deleted, c starts: all three count, the ended ones until 1000 + 3000.
    const counted = g.counted([pod('a', 'Succeeded'), pod('c')], 1000);
    expect(names(counted)).toEqual(['a', 'b', 'c']);
    expect(counted.find((p) => p.metadata?.name === 'a')?.status?.phase).toBe('Running');
    expect(g.nextExpiry()).toBe(4000);
    expect(names(g.counted([pod('a', 'Succeeded'), pod('c')], 3999))).toEqual(['a', 'b', 'c']);
    expect(names(g.counted([pod('a', 'Succeeded'), pod('c')], 4000))).toEqual(['c']);
    expect(g.nextExpiry()).toBeUndefined();
  });

  it('never counts a pod that had finished before it was first seen, nor one not bound yet', () => {
    const g = new ReleaseGrace(3000);
    expect(names(g.counted([pod('done', 'Succeeded'), pod('pending', 'Pending', '')], 0))).toEqual([]);
    expect(names(g.counted([], 10))).toEqual([]);
  });

  it('with no grace, reports exactly the pods that hold resources', () => {
    const g = new ReleaseGrace(0);
    g.counted([pod('a')], 0);
    expect(names(g.counted([pod('a', 'Failed')], 1))).toEqual([]);
  });
});
