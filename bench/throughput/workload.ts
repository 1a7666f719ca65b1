/**
 * What the throughput benchmark creates: TrainingJobs of one CPU-only worker, small enough that the default lab's CPU
 * pools (9 nodes of 110 pods) run nearly a thousand at once, so the figure is the federation's pace and not a
 * queue for capacity; and, for the raw limit, ConfigMaps of about the same size, which no controller acts on.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { GROUP, VERSION } from '../../src/api/names.ts';

/** jobName names the i-th job: tj-00042. */
export function jobName(i: number): string {
  return `tj-${String(i).padStart(5, '0')}`;
}

/** throughputJob is one TrainingJob: one worker, 1 core and 1 GiB, CPU only, from the registry every site allows. */
export function throughputJob(i: number): TrainingJob {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TrainingJob',
    metadata: { name: jobName(i) },
    spec: {
      workers: 1,
      resources: { cpu: '1', memory: '1Gi' },
      variants: [{ name: 'cpu', cpuOnly: true, image: 'registry.example.com/tokenize:1.0' }],
    },
  };
}

/** plainObject is the raw limit's i-th object: a ConfigMap holding about as many bytes as a TrainingJob's spec. */
export function plainObject(i: number): V1ConfigMap {
  return {
    metadata: { name: `raw-${String(i).padStart(5, '0')}` },
    data: { workers: '1', resources: '{"cpu":"1","memory":"1Gi"}', variants: '[{"name":"cpu","cpuOnly":true,"image":"registry.example.com/tokenize:1.0"}]' },
  };
}
