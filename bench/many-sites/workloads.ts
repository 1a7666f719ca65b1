/**
 * The benchmark's TrainingJobs: one worker each, in a mix of shapes so that placement has choices to make among the
 * K sites: CPU only; one device of either NVIDIA or Huawei (two variants); one device of any NVIDIA model; and one
 * Hygon DCU or else CPU (a fallback variant). No queue: a job that names none is charged to the `default` Queue, which
 * admits without limit while no Queue of that name exists (src/queueing/queue-info.ts). Pure.
 */
import type { TrainingJob, TrainingVariant } from '../../src/api/generated/types.ts';
import { GROUP, VERSION } from '../../src/api/names.ts';

const IMAGE = 'registry.example.com/bench/train:1.0';

/** WorkloadMix names the shapes, in the order job i takes them (i % length). */
export const WORKLOAD_MIX: readonly { readonly name: string; readonly variants: readonly TrainingVariant[] }[] = [
  { name: 'cpu', variants: [{ name: 'cpu', cpuOnly: true, image: IMAGE }] },
  {
    name: 'nvidia-or-ascend',
    variants: [
      { name: 'nvidia', accelerator: { vendor: 'nvidia', count: 1 }, architecture: 'amd64', image: IMAGE },
      { name: 'ascend', accelerator: { vendor: 'huawei', count: 1 }, architecture: 'arm64', image: IMAGE },
    ],
  },
  { name: 'nvidia', variants: [{ name: 'nvidia', accelerator: { vendor: 'nvidia', count: 1 }, image: IMAGE }] },
  {
    name: 'dcu-or-cpu',
    variants: [
      { name: 'dcu', accelerator: { vendor: 'hygon', count: 1 }, image: IMAGE },
      { name: 'cpu', cpuOnly: true, image: IMAGE },
    ],
  },
];

/** jobName names job i: ms-00042. */
export function jobName(i: number): string {
  return `ms-${String(i).padStart(5, '0')}`;
}

/** shapeOf is the name of job i's shape in WORKLOAD_MIX. */
export function shapeOf(i: number): string {
  return (WORKLOAD_MIX[i % WORKLOAD_MIX.length] as (typeof WORKLOAD_MIX)[number]).name;
}

/** manySitesJob is job i: one worker of 1 core and 2 GiB, with its shape's variants. */
export function manySitesJob(i: number): TrainingJob {
  const shape = WORKLOAD_MIX[i % WORKLOAD_MIX.length] as (typeof WORKLOAD_MIX)[number];
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TrainingJob',
    metadata: { name: jobName(i), labels: { 'suanwang.io/bench-shape': shape.name } },
    spec: { workers: 1, resources: { cpu: '1', memory: '2Gi' }, variants: shape.variants.map((v) => ({ ...v })) },
  };
}
