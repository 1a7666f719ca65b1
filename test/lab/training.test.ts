/**
 * TrainingJobs across the federation, end to end with the operator and agents running: placement by hardware and
 * price, gang capacity without over-commit, explanations, clean-up, and an operator restart without duplicates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, type SharedLab } from './support/shared-lab.ts';
import { h100Job, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('train');
let lab: SharedLab;
let hub: string;
const ns = t.ns;

beforeAll(() => {
  ({ lab, hub } = t);
});

interface K8sList<T> {
  items: T[];
}
interface PodLite {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: Array<{ resources?: { limits?: Record<string, string> } }> };
  status: { phase: string };
}

function example(file: string): string {
  return readFileSync(join(REPO_ROOT, 'examples', file), 'utf8');
}

async function waitPhase(name: string, phase: string, timeoutMs = 90_000) {
  return eventually(() => {
    const tj = getTrainingJob(hub, ns, name);
    expect(tj.status?.phase, `${name}: ${tj.status?.placement?.message ?? ''}`).toBe(phase);
    return tj;
  }, { timeoutMs, intervalMs: 300 });
}

function memberJobsEverywhere(name: string): Array<{ site: string; name: string; epoch: string | undefined }> {
  return lab.sites.flatMap((site) =>
    kubectlJson<K8sList<{ metadata: { name: string; labels?: Record<string, string> } }>>(lab.kubeconfig(site), ['get', 'jobs', '-A', '-l', `suanwang.io/workload=${name},suanwang.io/namespace=${ns}`]).items.map((j) => ({
      site,
      name: j.metadata.name,
      epoch: j.metadata.labels?.['suanwang.io/epoch'],
    })),
  );
}

function gpusInUse(site: string): number {
  const pods = kubectlJson<K8sList<PodLite>>(lab.kubeconfig(site), ['get', 'pods', '-A']).items;
  return pods
    .filter((p) => p.spec.nodeName && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed')
    .reduce((n, p) => n + p.spec.containers.reduce((m, c) => m + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0), 0);
}

describe('training jobs across the federation', () => {
  it('runs the H100-only example on the NVIDIA site to Succeeded, with kwok running its pods', async () => {
    applyYaml(hub, example('trainingjob-h100-finetune.yaml'), ns);
    const placed = await eventually(() => {
      const tj = getTrainingJob(hub, ns, 'llama-finetune-h100');
      expect(tj.status?.site).toBe('shanghai');
      return tj;
    }, { timeoutMs: 60_000, intervalMs: 300 });
    expect(placed.status?.variant).toBe('h100-fp8');
    expect(placed.status?.placement?.message).toMatch(/^placed on shanghai/);
    const rejected = placed.status?.placement?.candidates?.filter((c) => c.verdict === 'Rejected').map((c) => c.site);
    expect(rejected).toEqual(['beijing', 'guizhou']);
    await waitPhase('llama-finetune-h100', 'Running');
    const pods = kubectlJson<K8sList<PodLite>>(lab.kubeconfig('shanghai'), ['get', 'pods', '-n', ns, '-l', 'suanwang.io/workload=llama-finetune-h100']).items;
    expect(pods).toHaveLength(1);
    expect(pods[0]?.spec.nodeName).toMatch(/^shanghai-h100-/);
    const done = await waitPhase('llama-finetune-h100', 'Succeeded');
    expect(done.status?.completionTime).toBeDefined();
    const describe = kubectl(hub, ['describe', 'trainingjob', 'llama-finetune-h100', '-n', ns]).stdout;
    expect(describe).toMatch(/placed on shanghai/);
    expect(describe).toMatch(/guizhou/);
  });

  it('runs the Ascend-only example on the Ascend site to Succeeded', async () => {
    applyYaml(hub, example('trainingjob-ascend-only.yaml'), ns);
    const tj = await waitPhase('mindspore-vision-ascend', 'Succeeded');
    expect(tj.status?.site).toBe('guizhou');
    expect(tj.status?.variant).toBe('ascend910b');
    expect(memberJobsEverywhere('mindspore-vision-ascend')).toEqual([{ site: 'guizhou', name: expect.stringMatching(/^mindspore-vision-ascend-/), epoch: '1' }]);
  });

  it('keeps a job nothing can fit Pending, with every site’s reason', async () => {
    applyYaml(hub, h100Job('too-big', 64), ns);
    const tj = await eventually(() => {
      const t = getTrainingJob(hub, ns, 'too-big');
      expect(t.status?.phase).toBe('Pending');
      expect(t.status?.placement?.message).toMatch(/^0\/3 sites fit: /);
      return t;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    const msg = tj.status?.placement?.message ?? '';
    expect(msg).toMatch(/beijing: .*; guizhou: .*; shanghai: .*/);
    expect(msg).toMatch(/shanghai: .*512 nvidia\.com\/gpu|shanghai: .*nvidia\.com\/gpu/);
    await new Promise((r) => setTimeout(r, 3000));
    expect(getTrainingJob(hub, ns, 'too-big').status?.phase).toBe('Pending');
    expect(memberJobsEverywhere('too-big')).toEqual([]);
    kubectl(hub, ['delete', 'trainingjob', 'too-big', '-n', ns]);
  });

  it('never over-commits a site: of two jobs applied together that cannot both fit, one waits, explained, and starts when capacity frees', async () => {
    // Both in one apply: the operator decides them concurrently, so only promised capacity keeps them apart.
    applyYaml(hub, `${h100Job('gang-a', 2)}---\n${h100Job('gang-b', 2)}`, ns);
    const [first, second] = await eventually(() => {
      const jobs = ['gang-a', 'gang-b'].map((n) => getTrainingJob(hub, ns, n));
      const placed = jobs.filter((j) => j.status?.site === 'shanghai');
      const waiting = jobs.filter((j) => j.status?.phase === 'Pending');
      expect(placed).toHaveLength(1);
      expect(waiting).toHaveLength(1);
      return [placed[0], waiting[0]];
    }, { timeoutMs: 60_000, intervalMs: 300 });
    expect(second?.status?.placement?.message).toMatch(/shanghai: .*nvidia\.com\/gpu/);
    expect(second?.status?.site).toBeUndefined();
    const [firstName, secondName] = [first?.metadata.name ?? '', second?.metadata.name ?? ''];
    let maxGpus = 0;
    const b = await eventually(() => {
      maxGpus = Math.max(maxGpus, gpusInUse('shanghai'));
      const got = getTrainingJob(hub, ns, secondName);
      expect(got.status?.phase).toBe('Succeeded');
      return got;
    }, { timeoutMs: 150_000, intervalMs: 500 });
    const a = getTrainingJob(hub, ns, firstName);
    expect(a.status?.phase).toBe('Succeeded');
    expect(maxGpus).toBeLessThanOrEqual(16);
    // At the site itself: the second job's Job was created only after the first job's workers had finished
    // (timestamps have one-second resolution). The hub's completionTime can lag by a poll, so it is not used here.
    const sh = lab.kubeconfig('shanghai');
    const finished = kubectlJson<K8sList<{ status: { containerStatuses?: Array<{ state?: { terminated?: { finishedAt?: string } } }> } }>>(sh, ['get', 'pods', '-n', ns, '-l', `suanwang.io/workload=${firstName}`]).items.flatMap((p) =>
      (p.status.containerStatuses ?? []).map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '')),
    );
    expect(finished).toHaveLength(2);
    const secondJob = kubectlJson<K8sList<{ metadata: { creationTimestamp: string } }>>(sh, ['get', 'jobs', '-n', ns, '-l', `suanwang.io/workload=${secondName}`]).items;
    expect(secondJob).toHaveLength(1);
    expect(Date.parse(secondJob[0]?.metadata.creationTimestamp ?? '')).toBeGreaterThanOrEqual(Math.max(...finished) - 1000);
    expect(b.status?.site).toBe('shanghai');
  });

  it('removes member objects when a running job is deleted', async () => {
    applyYaml(hub, h100Job('to-delete', 1), ns);
    await waitPhase('to-delete', 'Running');
    expect(memberJobsEverywhere('to-delete')).toHaveLength(1);
    expect(kubectl(hub, ['delete', 'trainingjob', 'to-delete', '-n', ns, '--wait=true', '--timeout=60s']).code).toBe(0);
    expect(memberJobsEverywhere('to-delete')).toEqual([]);
    const svcs = kubectlJson<K8sList<unknown>>(lab.kubeconfig('shanghai'), ['get', 'services', '-n', ns, '-l', 'suanwang.io/workload=to-delete']).items;
    expect(svcs).toEqual([]);
  });

  it('survives an operator restart mid-way without duplicate member objects or lost jobs', async () => {
    applyYaml(hub, h100Job('before-restart', 1), ns);
    await eventually(() => expect(getTrainingJob(hub, ns, 'before-restart').status?.site).toBe('shanghai'), { timeoutMs: 60_000, intervalMs: 300 });
    await controlComponent(lab.dir, 'stop', 'operator', 'hub');
    applyYaml(hub, h100Job('during-restart', 1), ns);
    await new Promise((r) => setTimeout(r, 1500));
    expect(getTrainingJob(hub, ns, 'during-restart').status?.phase).toBeUndefined();
    await controlComponent(lab.dir, 'start', 'operator', 'hub');
    await waitPhase('before-restart', 'Succeeded', 120_000);
    await waitPhase('during-restart', 'Succeeded', 120_000);
    expect(memberJobsEverywhere('before-restart')).toHaveLength(1);
    expect(memberJobsEverywhere('during-restart')).toHaveLength(1);
  });
});
