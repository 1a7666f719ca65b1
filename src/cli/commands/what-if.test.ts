import { describe, expect, it } from 'vitest';
import type { InferenceService, Queue, Site, TrainingJob } from '../../api/generated/types.ts';
import type { KindName } from '../../api/names.ts';
import { workloadKey } from '../../queueing/queued-workload.ts';
import { makeKey } from '../../runtime/key.ts';
import { labSites, makeInferenceService, makeTrainingJob, variant } from '../../placement/testing.ts';
import type { HubObjects, KindObject } from './hub-objects.ts';
import { whatIf, type HubState } from './what-if-decision.ts';
import { parseManifest } from './what-if-manifest.ts';
import { whatIfCommand, type WhatIfIo } from './what-if.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

function sites(): Site[] {
  const s = labSites();
  return [s.shanghai.obj(), s.guizhou.obj(), s.beijing.obj()];
}

function makeQueue(name: string, spec: Queue['spec'] = {}): Queue {
  return { apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name }, spec };
}

/** h100Yaml is a one-worker job on `gpus` H100s (only shanghai has them in labSites). */
function h100Yaml(name: string, gpus: number, queue?: string, namespace?: string): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata:
  name: ${name}
${namespace === undefined ? '' : `  namespace: ${namespace}\n`}spec:
${queue === undefined ? '' : `  queue: ${queue}\n`}  workers: 1
  resources: { cpu: "8", memory: 32Gi }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: ${gpus} }
      image: registry.example.com/train:1.0
`;
}

/** admittedJob is a job on the hub whose status holds an admission of `gpus` H100s at shanghai in `queue`. */
function admittedJob(name: string, queue: string, gpus: number): TrainingJob {
  const tj = makeTrainingJob(name).variant(variant('h100').nvidia('H100', gpus)).obj();
  tj.metadata = { name, namespace: 'team-a', creationTimestamp: '2026-03-01T11:00:00Z' };
  tj.spec.queue = queue;
  tj.status = {
    phase: 'Running',
    site: 'shanghai',
    variant: 'h100',
    pool: 'h100',
    admission: { queue, admittedTime: '2026-03-01T11:00:01Z', charge: { 'nvidia.com/gpu': String(gpus), cpu: '8', memory: '64Gi' } },
  };
  return tj;
}

function waitingJob(name: string, queue: string, gpus: number, created: string): TrainingJob {
  const tj = makeTrainingJob(name).variant(variant('h100').nvidia('H100', gpus)).obj();
  tj.metadata = { name, namespace: 'team-a', creationTimestamp: created };
  tj.spec.queue = queue;
  return tj;
}

function hub(over: Partial<HubState> = {}): HubState {
  return { queues: [], sites: sites(), trainingJobs: [], inferenceServices: [], ...over };
}

function decide(yaml: string, state: HubState, namespace?: string) {
  const parsed = parseManifest(yaml, namespace);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return whatIf(state, parsed.manifest, parsed.workload, NOW);
}

describe('whatIf: the operator\'s decision for a workload not on the hub', () => {
  it('admits and places a job that fits its quota, naming the site, variant and pool and every site\'s verdict', () => {
    const w = decide(h100Yaml('train', 8, 'research'), hub({ queues: [makeQueue('research', { quota: { 'nvidia.com/gpu': '16' } })] }), 'team-a');
    expect(w.verdict.kind).toBe('Admit');
    expect(w.placed).toBe(true);
    if (w.verdict.kind !== 'Admit') return;
    expect(w.verdict.queue).toBe('research');
    expect(w.verdict.placement).toMatchObject({ site: 'shanghai', variant: 'h100', pool: 'h100' });
    expect(w.verdict.charge['nvidia.com/gpu']).toBe(8);
    expect(w.record?.candidates?.map((c) => [c.site, c.verdict])).toEqual([['beijing', 'Rejected'], ['guizhou', 'Rejected'], ['shanghai', 'Selected']]);
    expect(w.recordIsHypothetical).toBe(false);
  });

  it('waits with QuotaExceeded and the numbers when admitted jobs hold the queue\'s quota', () => {
    const state = hub({ queues: [makeQueue('research', { quota: { 'nvidia.com/gpu': '8' } })], trainingJobs: [admittedJob('running', 'research', 8)] });
    const w = decide(h100Yaml('train', 4, 'research'), state, 'team-a');
    expect(w.placed).toBe(false);
    expect(w.verdict).toMatchObject({ kind: 'Wait', reason: 'QuotaExceeded' });
    expect(w.verdict.kind === 'Wait' && w.verdict.message).toMatch(/nvidia\.com\/gpu/);
    expect(w.queue?.inUse['nvidia.com/gpu']).toBe(8);
  });

  it('counts older waiting work of the queue first, as the operator\'s cycle does', () => {
    // Shanghai has the only 16 H100s: an older job of the same queue waits for all 16 and goes first.
    const state = hub({ trainingJobs: [waitingJob('older', 'default', 8, '2026-03-01T11:59:00Z')] });
    state.trainingJobs[0]!.spec.workers = 2;
    const w = decide(h100Yaml('train', 8), state, 'team-a');
    expect(w.admittedAhead).toBe(1);
    expect(w.verdict).toMatchObject({ kind: 'Wait', reason: 'Unschedulable' });
    expect(w.record?.candidates?.find((c) => c.site === 'shanghai')?.reasons?.join(' ')).toMatch(/free/);
    // Without the older one, the same job is placed.
    const alone = decide(h100Yaml('train', 8), hub(), 'team-a');
    expect(alone.placed).toBe(true);
  });

  it('a namespace the queue does not allow waits with NamespaceNotAllowed; the sites show where it would go', () => {
    const w = decide(h100Yaml('train', 8, 'closed'), hub({ queues: [makeQueue('closed', { namespaces: ['elsewhere'] })] }), 'team-a');
    expect(w.verdict).toMatchObject({ kind: 'Wait', reason: 'NamespaceNotAllowed' });
    expect(w.queue).toBeUndefined();
    expect(w.recordIsHypothetical).toBe(true);
    expect(w.record?.candidates?.find((c) => c.verdict === 'Selected')?.site).toBe('shanghai');
  });

  it('answers for the manifest when a workload of that name exists, and leaves the existing one out', () => {
    const state = hub({ queues: [makeQueue('research', { quota: { 'nvidia.com/gpu': '8' } })], trainingJobs: [admittedJob('train', 'research', 8)] });
    const w = decide(h100Yaml('train', 8, 'research'), state, 'team-a');
    expect(w.replaces).toBe(true);
    expect(w.placed).toBe(true);
  });

  it('an InferenceService is admitted on its quota and its minimum replicas spread over the sites', () => {
    const isvc: InferenceService = makeInferenceService('chat').variant(variant('h100').nvidia('H100', 1)).obj();
    isvc.spec.replicas = { min: 2 };
    const yaml = JSON.stringify({ ...isvc, metadata: { name: 'chat' } });
    const w = decide(yaml, hub(), 'serving');
    expect(w.verdict.kind).toBe('Admit');
    expect(w.inference?.short).toBe(0);
    expect(w.inference?.assignments.map((a) => [a.site, a.replicas])).toEqual([['shanghai', 2]]);
    expect(w.placed).toBe(true);
  });
});

it('keys workloads as the operator\'s work queues do, so verdicts are found by the same key', () => {
  expect(workloadKey('InferenceService', 'team-a', 'chat')).toBe(makeKey('InferenceService', 'team-a', 'chat'));
});

describe('parseManifest', () => {
  it.each([
    { name: 'wrong kind', yaml: 'apiVersion: suanwang.io/v1alpha1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n', want: 'kind: must be TrainingJob or InferenceService' },
    { name: 'wrong apiVersion', yaml: h100Yaml('x', 1).replace('suanwang.io/v1alpha1', 'v1'), want: 'apiVersion: must be suanwang.io/v1alpha1' },
    { name: 'no name', yaml: h100Yaml('x', 1).replace('  name: x\n', '  labels: {a: b}\n'), want: 'metadata.name: is required' },
    { name: 'a field of the wrong type', yaml: h100Yaml('x', 1).replace('workers: 1', 'workers: many'), want: 'spec.workers: must be an integer' },
    { name: 'an unknown field', yaml: h100Yaml('x', 1).replace('workers: 1', 'workerz: 1'), want: 'spec.workerz: unknown field' },
    { name: 'no variants', yaml: h100Yaml('x', 1).replace(/  variants:[\s\S]*$/, ''), want: 'spec: variants is required' },
    { name: 'two documents', yaml: `${h100Yaml('x', 1)}---\n${h100Yaml('y', 1)}`, want: 'exactly one' },
    { name: 'namespace clash', yaml: h100Yaml('x', 1, undefined, 'a'), ns: 'b', want: 'metadata.namespace: the manifest says a but -n says b' },
    { name: 'not YAML', yaml: 'kind: [', want: 'not valid YAML' },
  ])('$name: names the problem', ({ yaml, ns, want }) => {
    const r = parseManifest(yaml, ns);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.errors.join('\n')).toContain(want);
  });

  it('takes the namespace from -n, else the manifest, else default', () => {
    const ns = (yaml: string, flag?: string): string | undefined => {
      const r = parseManifest(yaml, flag);
      return r.ok ? r.manifest.namespace : undefined;
    };
    expect(ns(h100Yaml('x', 1), 'team-a')).toBe('team-a');
    expect(ns(h100Yaml('x', 1, undefined, 'team-b'))).toBe('team-b');
    expect(ns(h100Yaml('x', 1))).toBe('default');
  });
});

/** fakeHub serves the objects of `state`; listed records which kinds were read. */
function fakeHub(state: HubState, listed: string[] = []): HubObjects {
  const byKind: { [K in KindName]: KindObject[K][] } = {
    Site: [...state.sites],
    Queue: [...state.queues],
    TrainingJob: [...state.trainingJobs],
    InferenceService: [...state.inferenceServices],
  };
  return {
    list: async <K extends KindName>(kind: K) => {
      listed.push(kind);
      return byKind[kind];
    },
    get: async () => undefined,
  };
}

function run(argv: string[], files: Record<string, string>, state: HubState, listed: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const io: WhatIfIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => new Date(NOW),
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw new Error('ENOENT: no such file');
      return f;
    },
    hub: () => fakeHub(state, listed),
  };
  return whatIfCommand(argv, io).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('what-if command', () => {
  it('prints the queue with its numbers, the verdict, the placement and the sites table; exit 0 when placed', async () => {
    const r = await run(['-f', 'job.yaml', '-n', 'team-a'], { 'job.yaml': h100Yaml('train', 8, 'research') }, hub({ queues: [makeQueue('research', { quota: { 'nvidia.com/gpu': '16' } })] }));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Queue:       research (weight 1, preemption Never)');
    expect(r.out).toMatch(/nvidia\.com\/gpu\s+16\s+0\s+8/);
    expect(r.out).toContain('Admitted=True  reason QuotaReserved');
    expect(r.out).toContain('site shanghai, variant h100, pool h100 (nvidia.com/gpu)');
    expect(r.out).toMatch(/SITE\s+VERDICT\s+VARIANT\s+SCORE\s+REASONS/);
    expect(r.out).toMatch(/guizhou\s+Rejected\s+-\s+-\s+.*nvidia/);
    expect(r.out).toMatch(/shanghai\s+Selected\s+h100\s+\d+\s+scores: /);
    expect(r.out).toContain('Not seen from here: capacity the operator has promised');
    expect(r.out).toContain('Nothing was created.');
  });

  it('exit 1 and the reason when it would wait', async () => {
    const state = hub({ queues: [makeQueue('research', { quota: { 'nvidia.com/gpu': '8' } })], trainingJobs: [admittedJob('running', 'research', 8)] });
    const r = await run(['-f', 'job.yaml', '-n', 'team-a'], { 'job.yaml': h100Yaml('train', 4, 'research') }, state);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Admitted=False  reason QuotaExceeded');
    expect(r.out).toMatch(/nvidia\.com\/gpu\s+8\s+8/);
  });

  it('exit 2 on a bad manifest, naming the field, without reading the hub', async () => {
    const listed: string[] = [];
    const r = await run(['-f', 'job.yaml'], { 'job.yaml': h100Yaml('train', 4).replace('count: 4', 'count: 0') }, hub(), listed);
    expect(r.code).toBe(2);
    expect(r.err).toContain('spec.variants[0].accelerator.count');
    expect(listed).toEqual([]);
  });

  it('exit 2 for a missing file or a missing -f', async () => {
    expect((await run(['-f', 'nope.yaml'], {}, hub())).err).toContain('-f nope.yaml: cannot read');
    const r = await run([], {}, hub());
    expect(r.code).toBe(2);
    expect(r.err).toContain('--filename is required');
  });
});
