/**
 * The two TrainingJobs a round of the member latency benchmark applies, one per connection mode of
 * examples/lab/pull.yaml: each has a single variant that only one site can run, so placement has no choice to make
 * and the figures compare the two ways a member Job reaches its site, not two placements. One worker with one device,
 * so that thirty rounds never fill a site even if a round's jobs were still being removed.
 */
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { GROUP, VERSION } from '../../src/api/names.ts';

/** ConnectionMode is how the operator reaches a site. */
export type ConnectionMode = 'push' | 'pull';

/** ProbeSite is the site of examples/lab/pull.yaml a probe job can only run at, and the variant that pins it there. */
export interface ProbeSite {
  readonly mode: ConnectionMode;
  readonly site: string;
  readonly variant: TrainingJob['spec']['variants'][number];
}

/** PROBE_SITES: shanghai (push) has the only H100s of the lab, guizhou (pull) the only Ascend 910Bs (arm64). */
export const PROBE_SITES: readonly ProbeSite[] = [
  {
    mode: 'push',
    site: 'shanghai',
    variant: { name: 'h100', accelerator: { vendor: 'nvidia', model: 'H100', count: 1 }, image: 'registry.example.com/train:1.0-cuda' },
  },
  {
    mode: 'pull',
    site: 'guizhou',
    variant: { name: 'ascend', accelerator: { vendor: 'huawei', model: 'Ascend910B', count: 1 }, architecture: 'arm64', image: 'registry.example.com/train:1.0-cann' },
  },
];

/** probeJobName names a round's job for one mode: push-07, pull-07 (round 0 is the warm-up). */
export function probeJobName(mode: ConnectionMode, round: number): string {
  return `${mode}-${String(round).padStart(2, '0')}`;
}

/** probeJob is the TrainingJob object a round creates for one site. */
export function probeJob(probe: ProbeSite, name: string): TrainingJob {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TrainingJob',
    metadata: { name },
    spec: {
      workers: 1,
      resources: { cpu: '8', memory: '32Gi' },
      variants: [probe.variant],
    },
  };
}
