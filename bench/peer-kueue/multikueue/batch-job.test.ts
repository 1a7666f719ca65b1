import { describe, expect, it } from 'vitest';
import { throughputJob } from '../../throughput/workload.ts';
import { batchJobName, kueueBatchJob, QUEUE_NAME_LABEL } from './batch-job.ts';
import { LOCAL_QUEUE } from './queue-objects.ts';

describe('kueueBatchJob', () => {
  it("asks for one pod with the TrainingJob worker's image and requests, labelled for the LocalQueue", () => {
    const job = kueueBatchJob(42);
    const tj = throughputJob(42);
    expect(job.metadata?.name).toBe('kj-00042');
    expect(job.metadata?.labels).toEqual({ [QUEUE_NAME_LABEL]: LOCAL_QUEUE });
    expect(job.spec?.parallelism).toBe(1);
    expect(job.spec?.completions).toBe(1);
    const containers = job.spec?.template.spec?.containers ?? [];
    expect(containers).toHaveLength(1);
    expect(containers[0]?.image).toBe(tj.spec.variants[0]?.image);
    expect(containers[0]?.resources?.requests).toEqual({ cpu: String(tj.spec.resources.cpu), memory: String(tj.spec.resources.memory) });
  });

  it('leaves suspending and managedBy to Kueue', () => {
    const spec = kueueBatchJob(0).spec;
    expect(spec?.suspend).toBeUndefined();
    expect(spec?.managedBy).toBeUndefined();
  });

  it('names jobs apart', () => {
    expect(batchJobName(7)).not.toBe(batchJobName(70));
  });
});
