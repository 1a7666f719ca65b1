/**
 * The throughput benchmark's workload as Kueue runs it: a batch/v1 Job of one pod with the same image and requests as
 * Suanwang's throughputJob (bench/throughput/workload.ts), labelled for the LocalQueue. Kueue's Job webhook on the
 * hub suspends it and sets spec.managedBy to MultiKueue; nothing here does that for it.
 */
import type { V1Job } from '@kubernetes/client-node';
import { throughputJob } from '../../throughput/workload.ts';
import { LOCAL_QUEUE } from './queue-objects.ts';

/** QUEUE_NAME_LABEL is the label that hands a Job to Kueue. */
export const QUEUE_NAME_LABEL = 'kueue.x-k8s.io/queue-name';

/** batchJobName names the i-th job: kj-00042. */
export function batchJobName(i: number): string {
  return `kj-${String(i).padStart(5, '0')}`;
}

/** kueueBatchJob is the i-th Job: one pod asking what the i-th TrainingJob's one worker asks. */
export function kueueBatchJob(i: number): V1Job {
  const tj = throughputJob(i);
  const variant = tj.spec.variants[0];
  if (variant === undefined || tj.spec.workers !== 1) throw new Error('throughputJob changed shape: expected one worker and one variant');
  const { cpu, memory } = tj.spec.resources;
  if (cpu === undefined || memory === undefined) throw new Error('throughputJob changed shape: expected cpu and memory requests');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: batchJobName(i), labels: { [QUEUE_NAME_LABEL]: LOCAL_QUEUE } },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'worker', image: variant.image, resources: { requests: { cpu: String(cpu), memory: String(memory) } } }],
        },
      },
    },
  };
}
