/**
 * A namespace of its own on the shared lab's hub for one lab test file: created before its tests, emptied of
 * TrainingJobs and InferenceServices after them (their finalizers clean the sites), so files never see each other's
 * workloads.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { POD_COMPLETE_DELAY_ANNOTATION } from '../../../src/lab/kwok-stages.ts';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './shared-lab.ts';

/** WorkloadNamespace is the lab, the hub's kubeconfig and the namespace, readable once beforeAll ran. */
export interface WorkloadNamespace {
  readonly lab: SharedLab;
  readonly hub: string;
  readonly ns: string;
}

/** useWorkloadNamespace registers the hooks and returns the namespace's handle (its fields are set in beforeAll). */
export function useWorkloadNamespace(prefix: string): WorkloadNamespace {
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  let lab: SharedLab | undefined;
  beforeAll(async () => {
    lab = await sharedLab();
    expect(kubectl(lab.kubeconfig('hub'), ['create', 'namespace', ns]).code).toBe(0);
  });
  afterAll(() => {
    if (lab !== undefined) kubectl(lab.kubeconfig('hub'), ['delete', 'trainingjobs,inferenceservices', '--all', '-n', ns, '--wait=true', '--timeout=90s']);
  });
  const ready = (): SharedLab => {
    if (lab === undefined) throw new Error('the shared lab is read in beforeAll; use the namespace inside a test');
    return lab;
  };
  return {
    get lab() {
      return ready();
    },
    get hub() {
      return ready().kubeconfig('hub');
    },
    ns,
  };
}

/** h100Job is a job of `workers` workers × 8 H100 (only shanghai has H100s in the default lab, in its pool "h100"). */
export function h100Job(name: string, workers = 1): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${name} }
spec:
  workers: ${workers}
  resources: { cpu: "16", memory: 64Gi }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: 8 }
      image: registry.example.com/train:1.0
`;
}

/**
 * portableJob runs on 8 H100s (shanghai) or 8 Ascend 910Bs (guizhou), whichever placement prefers; `image`, when
 * given, is both variants' image.
 */
export function portableJob(name: string, image?: string): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${name} }
spec:
  workers: 1
  resources: { cpu: "16", memory: 64Gi }
  checkpoint: { path: "s3://ckpt/${name}/" }
  failurePolicy: { maxSiteFailovers: 1 }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: 8 }
      image: ${image ?? 'registry.example.com/train:1.0-cuda'}
    - name: ascend910b
      accelerator: { vendor: huawei, model: Ascend910B, count: 8 }
      architecture: arm64
      image: ${image ?? 'registry.example.com/train:1.0-cann'}
`;
}

/**
 * keepRunning keeps a job's worker pods at `site` running for minutes: the shared lab's kwok completes Job pods after
 * 12 s, shorter than a lease and a grace, and re-reads the delay annotation when a pod changes. It waits for the pods.
 */
export async function keepRunning(t: WorkloadNamespace, site: string, name: string): Promise<void> {
  await keepPodsRunning(t.lab.kubeconfig(site), t.ns, name);
}

/** keepPodsRunning is keepRunning for any lab: the site's kubeconfig, the workload's namespace and name. */
export async function keepPodsRunning(kubeconfig: string, namespace: string, name: string): Promise<void> {
  await eventually(
    () => {
      const pods = kubectlJson<{ items: unknown[] }>(kubeconfig, ['get', 'pods', '-n', namespace, '-l', `suanwang.io/workload=${name}`]).items;
      expect(pods.length).toBeGreaterThan(0);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  kubectl(kubeconfig, ['annotate', 'pods', '-n', namespace, '-l', `suanwang.io/workload=${name}`, `${POD_COMPLETE_DELAY_ANNOTATION}=300s`, '--overwrite']);
}
