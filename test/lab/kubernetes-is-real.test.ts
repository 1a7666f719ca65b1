/**
 * The lab is real Kubernetes: kube-scheduler binds by extended resources, kube-controller-manager runs Jobs,
 * kwok runs pods, and clusters are isolated from each other.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './support/shared-lab.ts';

interface Pod {
  spec: { nodeName?: string };
  status: { phase: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

let lab: SharedLab;
const ns = `lab-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  lab = await sharedLab();
  for (const c of ['hub', ...lab.sites]) expect(kubectl(lab.kubeconfig(c), ['create', 'namespace', ns]).code).toBe(0);
});

// The lab is shared: the Running 'one-gpu' pod would otherwise hold a shanghai GPU for every test file after this one.
afterAll(() => {
  if ((lab as SharedLab | undefined) === undefined) return;
  for (const c of ['hub', ...lab.sites]) kubectl(lab.kubeconfig(c), ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
});

function pod(name: string, gpus: number): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${ns} }
spec:
  containers:
    - name: main
      image: registry.invalid/cuda:12
      resources: { limits: { nvidia.com/gpu: ${gpus} } }
`;
}

describe('the lab is real Kubernetes', () => {
  it('binds a pod requesting nvidia.com/gpu to a GPU node, where kwok runs it', async () => {
    const kc = lab.kubeconfig('shanghai');
    expect(kubectl(kc, ['apply', '-f', '-'], { input: pod('one-gpu', 1) }).code).toBe(0);
    const p = await eventually(() => {
      const got = kubectlJson<Pod>(kc, ['get', 'pod', 'one-gpu', '-n', ns]);
      expect(got.status.phase).toBe('Running');
      return got;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const node = kubectlJson<{ metadata: { labels: Record<string, string> } }>(kc, ['get', 'node', p.spec.nodeName ?? '']);
    expect(node.metadata.labels['nvidia.com/gpu.product']).toBe('NVIDIA-H100-80GB-HBM3');
  });

  it('leaves a pod that wants more GPUs than any node has Pending, with the scheduler’s own reason', async () => {
    const kc = lab.kubeconfig('shanghai');
    expect(kubectl(kc, ['apply', '-f', '-'], { input: pod('too-big', 16) }).code).toBe(0);
    const cond = await eventually(() => {
      const got = kubectlJson<Pod>(kc, ['get', 'pod', 'too-big', '-n', ns]);
      const c = got.status.conditions?.find((x) => x.type === 'PodScheduled');
      expect(c?.reason).toBe('Unschedulable');
      expect(got.status.phase).toBe('Pending');
      return c;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect(cond?.message).toMatch(/Insufficient nvidia\.com\/gpu/);
  });

  it('runs an Indexed Job of 4 completions to Complete through kube-controller-manager and kwok', async () => {
    const kc = lab.kubeconfig('guizhou');
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: indexed, namespace: ${ns} }
spec:
  completions: 4
  parallelism: 4
  completionMode: Indexed
  template:
    metadata:
      annotations: { pod-complete.stage.kwok.x-k8s.io/delay: 1s }
    spec:
      restartPolicy: Never
      containers:
        - name: worker
          image: registry.invalid/mindspore:2.4
          resources: { limits: { huawei.com/Ascend910: 2 } }
`;
    expect(kubectl(kc, ['apply', '-f', '-'], { input: job }).code).toBe(0);
    const status = await eventually(() => {
      const j = kubectlJson<{ status: { succeeded?: number; conditions?: Array<{ type: string; status: string }> } }>(kc, ['get', 'job', 'indexed', '-n', ns]);
      expect(j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')).toBe(true);
      return j.status;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(status.succeeded).toBe(4);
    const pods = kubectlJson<{ items: Array<{ metadata: { annotations: Record<string, string> }; spec: { nodeName: string } }> }>(kc, ['get', 'pods', '-n', ns, '-l', 'job-name=indexed']);
    expect(pods.items.map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort()).toEqual(['0', '1', '2', '3']);
    for (const p of pods.items) expect(p.spec.nodeName).toMatch(/^guizhou-ascend910b-/);
  });

  it('keeps clusters isolated: an object on one site is absent from the hub and the other sites', () => {
    const [first, ...others] = lab.sites;
    expect(first).toBeDefined();
    const created = kubectl(lab.kubeconfig(first as string), ['create', 'configmap', 'only-here', '-n', ns, '--from-literal=site=' + first]);
    expect(created.code).toBe(0);
    expect(kubectl(lab.kubeconfig(first as string), ['get', 'configmap', 'only-here', '-n', ns]).code).toBe(0);
    for (const c of ['hub', ...others]) {
      const r = kubectl(lab.kubeconfig(c), ['get', 'configmap', 'only-here', '-n', ns]);
      expect(r.code, `configmap visible on ${c}`).not.toBe(0);
      expect(r.stderr).toMatch(/NotFound|not found/);
    }
  });

  it('lists each site’s pools with real-cluster labels and capacity', () => {
    const nodes = kubectlJson<{ items: Array<{ metadata: { labels: Record<string, string> }; status: { allocatable: Record<string, string> } }> }>(lab.kubeconfig('beijing'), ['get', 'nodes']);
    const pools = new Map<string, number>();
    for (const n of nodes.items) pools.set(n.metadata.labels['suanwang.io/pool'] ?? '', (pools.get(n.metadata.labels['suanwang.io/pool'] ?? '') ?? 0) + 1);
    expect(Object.fromEntries(pools)).toEqual({ a100: 2, dcu: 1, cpu: 2 });
    const dcu = nodes.items.find((n) => n.metadata.labels['suanwang.io/pool'] === 'dcu');
    expect(dcu?.status.allocatable['hygon.com/dcu']).toBe('8');
    expect(dcu?.metadata.labels['topology.kubernetes.io/region']).toBe('cn-north');
  });
});
