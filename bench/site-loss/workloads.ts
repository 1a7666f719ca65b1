/**
 * The two workloads the site-loss benchmark puts on the site it then loses: a TrainingJob that can run at every site
 * of the default lab (one variant per site's accelerator, the lost site's first) and an InferenceService of a few
 * replicas with the same choice, preferring the lost site's region. Where they start is forced by cordoning the other
 * sites while they are placed (the benchmark's doing, not the workloads').
 */
import type { AcceleratorRequest, InferenceService, InferenceVariant, TrainingJob, TrainingVariant } from '../../src/api/generated/types.ts';
import { API_VERSION } from '../../src/api/names.ts';

/** SiteAccelerator is what a variant asks for to run at one site of the default lab. */
interface SiteAccelerator {
  readonly variant: string;
  readonly accelerator: Pick<AcceleratorRequest, 'vendor' | 'model'>;
  readonly architecture: 'amd64' | 'arm64';
}

/** DEFAULT_LAB_ACCELERATORS: the first accelerator pool of each site of examples/lab/default.yaml. */
const DEFAULT_LAB_ACCELERATORS: Readonly<Record<string, SiteAccelerator>> = {
  shanghai: { variant: 'h100', accelerator: { vendor: 'nvidia', model: 'H100' }, architecture: 'amd64' },
  beijing: { variant: 'a100', accelerator: { vendor: 'nvidia', model: 'A100' }, architecture: 'amd64' },
  guizhou: { variant: 'ascend910b', accelerator: { vendor: 'huawei', model: 'Ascend910B' }, architecture: 'arm64' },
};

/** BENCH_SITES are the sites the benchmark can lose (those of the default lab). */
export const BENCH_SITES = Object.keys(DEFAULT_LAB_ACCELERATORS);

/** TRAINING_WORKERS and TRAINING_DEVICES: one worker of 8 devices, a whole node of any site's accelerator pool. */
export const TRAINING_WORKERS = 1;
const TRAINING_DEVICES = 8;

/** The registry guizhou's site policy admits (examples/lab/default.yaml). */
const REGISTRY = 'registry.example.com';

/** siteOrder is the lost site first, then the others in name order: the variants' order of preference. */
function siteOrder(lost: string): SiteAccelerator[] {
  const first = DEFAULT_LAB_ACCELERATORS[lost];
  if (first === undefined) throw new Error(`--site=${lost}: not a site of examples/lab/default.yaml (one of ${BENCH_SITES.join(', ')})`);
  const others = Object.keys(DEFAULT_LAB_ACCELERATORS)
    .filter((s) => s !== lost)
    .sort()
    .map((s) => DEFAULT_LAB_ACCELERATORS[s] as SiteAccelerator);
  return [first, ...others];
}

/** trainingJob is the job to fail over: one worker, 8 devices of whichever site runs it, resuming from a checkpoint. */
export function trainingJob(name: string, lost: string): TrainingJob {
  const variants: TrainingVariant[] = siteOrder(lost).map((s) => ({
    name: s.variant,
    accelerator: { ...s.accelerator, count: TRAINING_DEVICES },
    architecture: s.architecture,
    image: `${REGISTRY}/train:1.0-${s.variant}`,
  }));
  return {
    apiVersion: API_VERSION,
    kind: 'TrainingJob',
    metadata: { name },
    spec: {
      workers: TRAINING_WORKERS,
      resources: { cpu: '16', memory: '64Gi' },
      checkpoint: { path: `s3://ckpt/${name}/` },
      failurePolicy: { maxSiteFailovers: 1 },
      variants,
    },
  };
}

/** inferenceService is the service whose replicas must serve elsewhere: `replicas` replicas of one device each. */
export function inferenceService(name: string, lost: string, region: string | undefined, replicas: number): InferenceService {
  const variants: InferenceVariant[] = siteOrder(lost).map((s) => ({
    name: s.variant,
    accelerator: { ...s.accelerator, count: 1 },
    architecture: s.architecture,
    image: `${REGISTRY}/serve:1.0-${s.variant}`,
  }));
  return {
    apiVersion: API_VERSION,
    kind: 'InferenceService',
    metadata: { name },
    spec: {
      replicas: { min: replicas, max: replicas },
      resources: { cpu: '4', memory: '32Gi' },
      variants,
      placement: { minSites: 1, ...(region !== undefined && { preferredRegions: [region] }) },
      port: 8080,
    },
  };
}
