/**
 * Queues end to end, with the operator and agents running: fair share between weighted queues on the same GPUs,
 * preemption within a queue and the preempted job's resume, a namespace the queue does not allow, and metering that
 * an operator restart does not change. Queues are cluster-scoped: every Queue here has a name of its own, and no job
 * here names the `default` queue.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue, TrainingJob } from '../../src/api/generated/types.ts';
import { POD_COMPLETE_DELAY_ANNOTATION } from '../../src/lab/kwok-stages.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, conditionOf, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, type SharedLab } from './support/shared-lab.ts';
import { keepRunning, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('queues');
let lab: SharedLab;
let hub: string;
const ns = t.ns;
const suffix = randomBytes(3).toString('hex');
const created: string[] = [];

beforeAll(() => {
  ({ lab, hub } = t);
});
afterAll(() => {
  if (created.length > 0) kubectl(hub, ['delete', 'queues', ...created, '--ignore-not-found']);
});

function queue(name: string, spec: string): string {
  const full = `${name}-${suffix}`;
  applyYaml(hub, `apiVersion: suanwang.io/v1alpha1\nkind: Queue\nmetadata: { name: ${full} }\nspec:\n${spec}`);
  created.push(full);
  return full;
}

function getQueue(name: string): Queue {
  return kubectlJson<Queue>(hub, ['get', 'queue', name]);
}

/** job is one worker with `gpus` H100s (only shanghai has H100s), charged to `queueName`. */
function job(name: string, queueName: string, gpus: number, extra = ''): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${name} }
spec:
  queue: ${queueName}
  workers: 1
  resources: { cpu: "8", memory: 32Gi }
  checkpoint: { path: "s3://ckpt/${name}/" }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: ${gpus} }
      image: registry.example.com/train:1.0
${extra}`;
}

async function waitFor<T>(name: string, check: (tj: TrainingJob) => T, timeoutMs = 90_000): Promise<T> {
  return eventually(() => check(getTrainingJob(hub, ns, name)), { timeoutMs, intervalMs: 300 });
}

function attemptsOf(names: readonly string[]): { name: string; start: number; end: number }[] {
  return names.flatMap((name) =>
    (getTrainingJob(hub, ns, name).status?.attempts ?? []).map((a) => ({ name, start: Date.parse(a.startTime), end: a.endTime === undefined ? Date.now() : Date.parse(a.endTime) })),
  );
}

describe('queues', () => {
  it('a namespace the queue does not allow waits with the reason, and proceeds when the queue allows it', async () => {
    const q = queue('closed', '  namespaces: [somewhere-else]\n');
    applyYaml(hub, job('outsider', q, 1), ns);
    await waitFor('outsider', (tj) => {
      const admitted = conditionOf(tj, 'Admitted');
      expect(admitted?.status).toBe('False');
      expect(admitted?.reason).toBe('NamespaceNotAllowed');
      expect(admitted?.message).toContain(`namespace ${ns} may not use queue ${q}`);
    });
    expect(getTrainingJob(hub, ns, 'outsider').status?.site).toBeUndefined();
    kubectl(hub, ['patch', 'queue', q, '--type=merge', '-p', JSON.stringify({ spec: { namespaces: ['somewhere-else', ns] } })]);
    await waitFor('outsider', (tj) => {
      expect(conditionOf(tj, 'Admitted')?.reason).toBe('QuotaReserved');
      expect(tj.status?.admission?.queue).toBe(q);
      expect(tj.status?.site).toBe('shanghai');
    });
  });

  it('a higher-priority job preempts a lower one of its queue; the preempted job resumes from its checkpoint later', async () => {
    const q = queue('prio', '  quota: { nvidia.com/gpu: "8" }\n  preemptionPolicy: LowerPriority\n');
    applyYaml(hub, job('low', q, 8, '  priority: 0\n'), ns);
    await waitFor('low', (tj) => expect(tj.status?.phase).toBe('Running'));
    await keepRunning(t, 'shanghai', 'low');
    applyYaml(hub, job('high', q, 8, '  priority: 10\n'), ns);
    // The high job is admitted at once, on the room the low one leaves; its pods bind as the low one's go.
    await waitFor('high', (tj) => expect(tj.status?.admission?.queue).toBe(q));
    const events = kubectl(hub, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=high,reason=Admitted', '-o', 'jsonpath={.items[*].message}']).stdout;
    expect(events).toContain(`preempting ${ns}/low`);
    const preempted = await waitFor('low', (tj) => {
      const c = conditionOf(tj, 'Preempted');
      expect(c?.status).toBe('True');
      expect(tj.status?.admission).toBeUndefined();
      return c;
    });
    expect(preempted?.message).toContain(`preempted by ${ns}/high (priority 10, queue ${q})`);
    expect(getTrainingJob(hub, ns, 'low').status?.attempts?.at(-1)?.outcome).toBe('Preempted');
    // The high job runs (kwok completes it after 12 s); then the low one is admitted again, one epoch on, resuming.
    await waitFor('high', (tj) => expect(tj.status?.phase).toBe('Succeeded'), 120_000);
    const resumed = await waitFor('low', (tj) => {
      expect(tj.status?.admission?.queue).toBe(q);
      expect(tj.status?.placement?.epoch).toBe(2);
      return tj;
    }, 120_000);
    expect(resumed.status?.attempts?.map((a) => a.outcome)).toEqual(['Preempted', expect.stringMatching(/Running|Succeeded/)]);
    const member = await eventually(() => {
      const jobs = kubectlJson<{ items: { metadata: { labels?: Record<string, string> }; spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }[] }>(
        lab.kubeconfig('shanghai'),
        ['get', 'jobs', '-n', ns, '-l', 'suanwang.io/workload=low'],
      ).items;
      expect(jobs).toHaveLength(1);
      return jobs[0]!;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(member.metadata.labels?.['suanwang.io/epoch']).toBe('2');
    expect(member.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'SUANWANG_RESUME_FROM', value: 's3://ckpt/low/' });
    await waitFor('low', (tj) => expect(tj.status?.phase).toBe('Succeeded'), 120_000);
  });

  it('two queues contending for the same GPUs get device-time in proportion to their weights (1 : 3, within 20 %)', async () => {
    const light = queue('light', '  weight: 1\n');
    const heavy = queue('heavy', '  weight: 3\n');
    // 16 H100s at shanghai hold four 4-GPU jobs at a time: DRF gives the light queue one slot, the heavy one three.
    // Work of earlier test files may still be going away there: start from an idle pool, or the slots are fewer.
    await eventually(() => {
      const pool = kubectlJson<{ status?: { nodePools?: { name: string; allocated?: Record<string, string> }[] } }>(hub, ['get', 'site', 'shanghai'])
        .status?.nodePools?.find((p) => p.name === 'h100');
      expect(Number(pool?.allocated?.['nvidia.com/gpu'] ?? 0)).toBe(0);
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    // A blocker holds all 16 while the contending jobs arrive: the first cycles would otherwise run while only part of
    // the batch has reached the hub, and a queue with nothing waiting yet rightly leaves its slot to the other (work
    // conserving, not contention). Once every job waits, the blocker finishes and the queues contend from the start.
    const blocking = queue('blocking', '  weight: 1\n');
    applyYaml(hub, job('blocker', blocking, 8).replace('workers: 1', 'workers: 2'), ns);
    await waitFor('blocker', (tj) => expect(tj.status?.phase).toBe('Running'));
    await keepRunning(t, 'shanghai', 'blocker');
    const lights = Array.from({ length: 7 }, (_, i) => `light-${i + 1}`);
    const heavies = Array.from({ length: 14 }, (_, i) => `heavy-${i + 1}`);
    const docs = heavies.flatMap((n, i) => [job(n, heavy, 4), ...(i < lights.length ? [job(lights[i] as string, light, 4)] : [])]);
    applyYaml(hub, docs.join('---\n'), ns);
    await eventually(() => {
      for (const n of [...lights, ...heavies]) expect(conditionOf(getTrainingJob(hub, ns, n), 'Admitted')?.status).toBe('False');
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    kubectl(lab.kubeconfig('shanghai'), ['annotate', 'pods', '-n', ns, '-l', 'suanwang.io/workload=blocker', `${POD_COMPLETE_DELAY_ANNOTATION}=1s`, '--overwrite']);
    await eventually(() => {
      for (const n of heavies) expect(getTrainingJob(hub, ns, n).status?.attempts?.length ?? 0).toBeGreaterThan(0);
    }, { timeoutMs: 240_000, intervalMs: 1000 });
    // Both queues contend from the moment each has started something until the first queue has nothing left to start:
    // its last attempt's start.
    const lightAttempts = attemptsOf(lights);
    const heavyAttempts = attemptsOf(heavies);
    const from = Math.max(Math.min(...lightAttempts.map((a) => a.start)), Math.min(...heavyAttempts.map((a) => a.start)));
    const until = Math.min(Math.max(...lightAttempts.map((a) => a.start)), Math.max(...heavyAttempts.map((a) => a.start)));
    // Device-time counts while the 16 H100s are all handed out (four jobs running): then every freed slot went to one
    // queue or the other by DRF. Stretches where a slot stands idle while both queues wait (the site reporting freed
    // devices late) are the site's, not the share's, and are left out of both sides (the timeline prints them).
    const all = [...lightAttempts.map((a) => ({ ...a, q: 'light' })), ...heavyAttempts.map((a) => ({ ...a, q: 'heavy' }))];
    const edges = [...new Set([from, until, ...all.flatMap((a) => [a.start, a.end])])].filter((x) => x >= from && x <= until).sort((a, b) => a - b);
    let l = 0;
    let h = 0;
    let idleSlotMs = 0;
    for (let i = 0; i + 1 < edges.length; i++) {
      const [a, b] = [edges[i] as number, edges[i + 1] as number];
      const running = all.filter((x) => x.start <= a && x.end >= b);
      if (running.length < 4) {
        idleSlotMs += b - a;
        continue;
      }
      for (const x of running) (x.q === 'light' ? (l += (4 * (b - a)) / 1000) : (h += (4 * (b - a)) / 1000));
    }
    console.log(`fair share: ${(idleSlotMs / 1000).toFixed(0)} s of ${((until - from) / 1000).toFixed(0)} s with a slot idle, left out`);
    const ratio = l / h;
    // The timeline, so that a ratio out of bounds can be read: each attempt's start and end relative to the window.
    for (const [q, list] of [['light', lightAttempts], ['heavy', heavyAttempts]] as const) {
      console.log(`${q}: ${[...list].sort((a, b) => a.start - b.start).map((a) => `${a.name} ${((a.start - from) / 1000).toFixed(1)}..${((a.end - from) / 1000).toFixed(1)}`).join(', ')}`);
    }
    console.log(`fair share: light ${l.toFixed(0)} device-s, heavy ${h.toFixed(0)} device-s over ${((until - from) / 1000).toFixed(0)} s; light/heavy ${ratio.toFixed(3)} (weights 1/3 = 0.333)`);
    expect(until - from).toBeGreaterThan(20_000);
    expect(h).toBeGreaterThan(100);
    expect(ratio).toBeGreaterThan((1 / 3) * 0.8);
    expect(ratio).toBeLessThan((1 / 3) * 1.2);
  }, 300_000);

  it('metering survives an operator restart mid-run with the same totals', async () => {
    const q = queue('metered', '  quota: { nvidia.com/gpu: "8" }\n');
    applyYaml(hub, job('metered', q, 8), ns);
    await waitFor('metered', (tj) => expect(tj.status?.phase).toBe('Running'));
    await keepRunning(t, 'shanghai', 'metered');
    const before = await eventually(() => {
      const s = getQueue(q).status;
      expect(s?.metering?.sites?.[0]?.resourceHours?.['nvidia.com/gpu'] ?? 0).toBeGreaterThan(0);
      return s!;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    expect(before.admitted).toBe(1);
    expect(before.devices).toBe(`8/8 nvidia.com/gpu`);
    expect(before.cost).toMatch(/ CNY$/);
    const attempt = getTrainingJob(hub, ns, 'metered').status?.attempts?.at(-1);
    await controlComponent(lab.dir, 'stop', 'operator', 'hub');
    await new Promise((r) => setTimeout(r, 2000));
    await controlComponent(lab.dir, 'start', 'operator', 'hub');
    // Finish the job now: kwok completes a pod once its delay annotation says so.
    kubectl(lab.kubeconfig('shanghai'), ['annotate', 'pods', '-n', ns, '-l', 'suanwang.io/workload=metered', `${POD_COMPLETE_DELAY_ANNOTATION}=1s`, '--overwrite']);
    const done = await waitFor('metered', (tj) => {
      expect(tj.status?.phase).toBe('Succeeded');
      return tj;
    }, 120_000);
    // The same attempt, not a second one: the restart neither lost nor doubled it.
    const attempts = done.status?.attempts ?? [];
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.startTime).toBe(attempt?.startTime);
    const hours = (Date.parse(attempts[0]!.endTime!) - Date.parse(attempts[0]!.startTime)) / 3_600_000;
    const after = await eventually(() => {
      const s = getQueue(q).status;
      expect(s?.admitted).toBe(0);
      const gpuHours = s?.metering?.sites?.[0]?.resourceHours?.['nvidia.com/gpu'] ?? 0;
      expect(gpuHours).toBeCloseTo(8 * hours, 4);
      return s!;
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    const cost = after.metering?.sites?.[0]?.cost ?? 0;
    // shanghai prices an H100 at 28 CNY per device-hour in the default lab.
    expect(cost).toBeCloseTo(8 * 28 * hours, 2);
    expect(after.metering?.sites?.[0]?.resourceHours?.['nvidia.com/gpu'] ?? 0).toBeGreaterThanOrEqual(before.metering?.sites?.[0]?.resourceHours?.['nvidia.com/gpu'] ?? 0);
  }, 300_000);
});
