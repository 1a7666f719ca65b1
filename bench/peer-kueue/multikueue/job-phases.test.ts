import { describe, expect, it } from 'vitest';
import { KueueJobPhases } from './job-phases.ts';

const job = (name: string, status: Record<string, unknown>): Record<string, unknown> => ({ metadata: { name }, status });
const workload = (owner: string, admitted: boolean): Record<string, unknown> => ({
  metadata: { ownerReferences: [{ kind: 'Job', name: owner }] },
  status: { conditions: [{ type: 'Admitted', status: admitted ? 'True' : 'False', reason: 'Pending', message: 'waiting for the check' }] },
});

describe('KueueJobPhases', () => {
  it('takes Admitted from the Workload, Running from a ready pod, Succeeded from the Complete condition', () => {
    const p = new KueueJobPhases();
    p.observeJob(job('a', {}), 1);
    p.observeWorkload(workload('a', true), 5);
    p.observeJob(job('a', { ready: 1, active: 1 }), 9);
    p.observeJob(job('a', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }), 12);
    expect(p.last('admittedAt', 1)).toBe(5);
    expect(p.last('runningAt', 1)).toBe(9);
    expect(p.last('succeededAt', 1)).toBe(12);
    expect(p.counts()).toEqual({ seen: 1, admitted: 1, running: 1, succeeded: 1, failed: 0 });
  });

  it('counts skipped phases at the later one and keeps the first moment', () => {
    const p = new KueueJobPhases();
    p.observeJob(job('b', { conditions: [{ type: 'Complete', status: 'True' }] }), 20);
    p.observeWorkload(workload('b', true), 25);
    expect(p.last('admittedAt', 1)).toBe(20);
    expect(p.last('runningAt', 1)).toBe(20);
  });

  it('says undefined until every expected job reached a phase, and lists what did not finish', () => {
    const p = new KueueJobPhases();
    p.observeJob(job('c', { conditions: [{ type: 'Complete', status: 'True' }] }), 3);
    p.observeWorkload(workload('d', false), 4);
    p.observeJob(job('e', { conditions: [{ type: 'Failed', status: 'True' }] }), 6);
    expect(p.last('succeededAt', 2)).toBeUndefined();
    expect(p.last('succeededAt', 1)).toBe(3);
    expect(p.counts()).toMatchObject({ seen: 3, succeeded: 1, failed: 1 });
    expect(p.unfinished(10)).toEqual(['d: Admitted=False Pending: waiting for the check']);
  });

  it('ignores a Workload no Job owns', () => {
    const p = new KueueJobPhases();
    p.observeWorkload({ metadata: {}, status: { conditions: [{ type: 'Admitted', status: 'True' }] } }, 1);
    expect(p.counts().seen).toBe(0);
  });
});
