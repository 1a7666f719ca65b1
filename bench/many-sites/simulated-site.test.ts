import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_POOL } from '../../src/api/names.ts';
import { FakeClock } from '../../src/runtime/clock.ts';
import { SimulatedSite } from './simulated-site.ts';
import { generateSite } from './sites.ts';

function memberJob(name: string, gpus: number, workers = 1): KubernetesObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'ml', labels: { 'app.kubernetes.io/managed-by': 'suanwang', 'suanwang.io/workload': name, 'suanwang.io/namespace': 'ml' } },
    spec: {
      parallelism: workers,
      completions: workers,
      template: {
        metadata: { labels: { 'suanwang.io/role': 'worker' } },
        spec: { restartPolicy: 'Never', nodeSelector: { [LABEL_POOL]: 'h100' }, containers: [{ name: 'w', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { 'nvidia.com/gpu': String(gpus) } } }] },
      },
    },
  } as KubernetesObject;
}

const jobOf = (site: SimulatedSite, name: string): V1Job | undefined => site.members.Job.get('ml', name) as V1Job | undefined;
const podsOf = (site: SimulatedSite, name: string): V1Pod[] => site.pods.list('ml').filter((p) => p.metadata?.labels?.['batch.kubernetes.io/job-name'] === name);

describe('SimulatedSite', () => {
  const timing = { startDelayMs: 1000, runMs: 5000 };

  it('runs a Job: its pod Running after the delay, then Succeeded and the Job Complete', async () => {
    const clock = new FakeClock();
    const site = new SimulatedSite(generateSite(0, { cpuNodes: 1, deviceNodes: 1 }), timing, clock);
    const applied = await site.apply(memberJob('a', 2));
    expect(applied.metadata?.uid).toBeDefined();
    expect(podsOf(site, 'a')).toHaveLength(0);
    clock.advance(1000);
    const [pod] = podsOf(site, 'a');
    expect(pod?.status?.phase).toBe('Running');
    expect(pod?.spec?.nodeName).toBe('site-0001-h100-0');
    expect(pod?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'a', controller: true });
    expect(jobOf(site, 'a')?.status).toMatchObject({ active: 1, ready: 1, succeeded: 0 });
    clock.advance(5000);
    expect(podsOf(site, 'a')[0]?.status?.phase).toBe('Succeeded');
    expect(jobOf(site, 'a')?.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    expect(site.counters).toMatchObject({ applies: 1, podsStarted: 1, podsSucceeded: 1, unschedulable: 0 });
  });

  it('keeps the uid and status when the same Job is applied again, and does not run it twice', async () => {
    const clock = new FakeClock();
    const site = new SimulatedSite(generateSite(0), timing, clock);
    const first = await site.apply(memberJob('a', 1));
    clock.advance(1000);
    const again = await site.apply(memberJob('a', 1));
    expect(again.metadata?.uid).toBe(first.metadata?.uid);
    expect((again as V1Job).status?.ready).toBe(1);
    clock.advance(1000);
    expect(podsOf(site, 'a')).toHaveLength(1);
  });

  it('leaves a pod Pending while the pool is full and starts it when room frees', async () => {
    const clock = new FakeClock();
    const site = new SimulatedSite(generateSite(0, { cpuNodes: 0, deviceNodes: 1 }), timing, clock);
    await site.apply(memberJob('big', 8));
    await site.apply(memberJob('next', 1));
    clock.advance(1000);
    expect(podsOf(site, 'next')[0]?.status?.phase).toBe('Pending');
    expect(jobOf(site, 'next')?.status?.ready).toBe(0);
    expect(site.counters.unschedulable).toBe(1);
    clock.advance(5000);
    expect(podsOf(site, 'next')[0]?.status?.phase).toBe('Running');
    expect(jobOf(site, 'next')?.status?.ready).toBe(1);
  });

  it('removes a Job with its pods and timers', async () => {
    const clock = new FakeClock();
    const site = new SimulatedSite(generateSite(0), timing, clock);
    await site.apply(memberJob('a', 1));
    clock.advance(1000);
    await site.remove({ kind: 'Job', namespace: 'ml', name: 'a' });
    expect(jobOf(site, 'a')).toBeUndefined();
    expect(podsOf(site, 'a')).toHaveLength(0);
    clock.advance(10_000);
    expect(site.counters.podsSucceeded).toBe(0);
    expect(site.counters.removes).toBe(1);
  });

  it('refuses a kind it does not hold', async () => {
    const site = new SimulatedSite(generateSite(0), timing, new FakeClock());
    await expect(site.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ml' } })).rejects.toThrow(/ConfigMap/);
  });
});
