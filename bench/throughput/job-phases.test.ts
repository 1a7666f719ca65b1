import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { JobPhases } from './job-phases.ts';

function job(name: string, status: TrainingJob['status']): TrainingJob {
  return { apiVersion: 'suanwang.io/v1alpha1', kind: 'TrainingJob', metadata: { name }, spec: { resources: { cpu: '1', memory: '1Gi' }, variants: [{ name: 'cpu', cpuOnly: true, image: 'x' }] }, ...(status && { status }) };
}

describe('JobPhases', () => {
  it('measures each phase from the job\'s apply', () => {
    const t = new JobPhases();
    t.applied('a', 100);
    t.observe(job('a', {}), 110);
    t.observe(job('a', { phase: 'Placed', site: 's1' }), 300);
    t.observe(job('a', { phase: 'Running', site: 's1' }), 1100);
    t.observe(job('a', { phase: 'Succeeded', site: 's1' }), 2100);
    expect(t.since('placedAt')).toEqual([200]);
    expect(t.since('runningAt')).toEqual([1000]);
    expect(t.since('succeededAt')).toEqual([2000]);
    expect(t.counts()).toEqual({ seen: 1, placed: 1, running: 1, succeeded: 1, failed: 0 });
    expect(t.sites()).toBe(1);
  });

  it('counts a skipped phase when a later one is seen, and keeps the first moment', () => {
    const t = new JobPhases();
    t.applied('b', 0);
    t.observe(job('b', { phase: 'Succeeded', site: 's2' }), 500);
    t.observe(job('b', { phase: 'Succeeded', site: 's2' }), 900);
    expect(t.since('runningAt')).toEqual([500]);
    expect(t.since('placedAt')).toEqual([500]);
  });

  it('says when the last job reached a phase only once all expected did, and lists the unfinished', () => {
    const t = new JobPhases();
    t.applied('a', 0);
    t.applied('b', 0);
    t.observe(job('a', { phase: 'Succeeded' }), 40);
    t.observe(job('b', { phase: 'Placed', site: 's', conditions: [{ type: 'Running', status: 'False', reason: 'WorkersStarting', message: '0/1 workers ready', lastTransitionTime: '2026-01-01T00:00:00Z' }] }), 50);
    expect(t.last('succeededAt', 2)).toBeUndefined();
    expect(t.last('placedAt', 2)).toBe(50);
    expect(t.since('succeededAt')).toEqual([40, undefined]);
    expect(t.unfinished(5)).toEqual(['b: Running=False WorkersStarting: 0/1 workers ready']);
  });
});
