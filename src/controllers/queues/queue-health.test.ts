// A Queue's GitOps health: Ready once the operator has observed its spec (kstatus: Current when observedGeneration
// equals metadata.generation and Ready is True); nothing else to wait for.
import { describe, expect, it } from 'vitest';
import type { Queue } from '../../api/generated/types.ts';
import { API_VERSION } from '../../api/names.ts';
import { nextQueueStatus, worthWriting } from './queue-status.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

function queue(generation: number, status?: Queue['status']): Queue {
  return {
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: { name: 'research', generation },
    spec: { quota: { 'nvidia.com/gpu': '16' } },
    ...(status !== undefined && { status }),
  };
}

describe('Queue health', () => {
  it('observes the spec: observedGeneration and Ready=True/SpecObserved at that generation', () => {
    const s = nextQueueStatus(queue(1, { observedGeneration: 0 }), undefined, [], new Date(T0));
    expect(s.observedGeneration).toBe(1);
    expect(s.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T08:00:00Z',
        reason: 'SpecObserved',
        message: 'workloads are admitted under the current spec',
      },
    ]);
  });

  it('a spec edit moves observedGeneration and nothing else of Ready but its generation; the same state is not rewritten', () => {
    const first = nextQueueStatus(queue(1), undefined, [], new Date(T0));
    const edited = nextQueueStatus(queue(2, first), undefined, [], new Date(T0 + 60_000));
    expect(edited.observedGeneration).toBe(2);
    expect(edited.conditions?.[0]).toMatchObject({ observedGeneration: 2, lastTransitionTime: '2026-01-01T08:00:00Z' });
    const again = nextQueueStatus(queue(2, edited), undefined, [], new Date(T0 + 120_000));
    expect(worthWriting(edited, again, T0 + 120_000, 60_000)).toBe(false);
  });
});
