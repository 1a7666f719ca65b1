import { describe, expect, it } from 'vitest';
import { jobName, manySitesJob, shapeOf, WORKLOAD_MIX } from './workloads.ts';

describe('manySitesJob', () => {
  it('names jobs and cycles through the shapes', () => {
    expect(jobName(42)).toBe('ms-00042');
    expect(Array.from({ length: 5 }, (_, i) => shapeOf(i))).toEqual(['cpu', 'nvidia-or-ascend', 'nvidia', 'dcu-or-cpu', 'cpu']);
  });

  it('makes one-worker jobs without a queue, with the shape\'s variants in order', () => {
    const j = manySitesJob(1);
    expect(j.spec.workers).toBe(1);
    expect(j.spec.queue).toBeUndefined();
    expect(j.spec.variants.map((v) => v.name)).toEqual(['nvidia', 'ascend']);
    expect(j.metadata.labels?.['suanwang.io/bench-shape']).toBe('nvidia-or-ascend');
  });

  it('gives every variant an image and either an accelerator or cpuOnly', () => {
    for (const shape of WORKLOAD_MIX) for (const v of shape.variants) expect(v.image !== '' && (v.cpuOnly === true) !== (v.accelerator !== undefined)).toBe(true);
  });
});
