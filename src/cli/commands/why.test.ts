import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../api/generated/types.ts';
import { makeInferenceService, makeTrainingJob, variant } from '../../placement/testing.ts';
import type { HubObjects } from './hub-objects.ts';
import { formatWhy, parseTarget, whyCommand } from './why.ts';

describe('parseTarget', () => {
  it.each([
    { arg: 'tj/llama', want: { kind: 'TrainingJob', name: 'llama' } },
    { arg: 'TrainingJob/llama', want: { kind: 'TrainingJob', name: 'llama' } },
    { arg: 'trainingjobs/llama', want: { kind: 'TrainingJob', name: 'llama' } },
    { arg: 'isvc/chat', want: { kind: 'InferenceService', name: 'chat' } },
    { arg: 'inferenceservice/chat', want: { kind: 'InferenceService', name: 'chat' } },
  ])('$arg', ({ arg, want }) => expect(parseTarget([arg])).toEqual(want));

  it.each([
    { args: [], want: 'needs exactly one KIND/NAME' },
    { args: ['llama'], want: 'is not KIND/NAME' },
    { args: ['pod/llama'], want: 'kind "pod" is not trainingjob (tj) or inferenceservice (isvc)' },
    { args: ['tj/Llama'], want: 'is not an object name' },
  ])('$args: $want', ({ args, want }) => expect(() => parseTarget(args)).toThrow(want));
});

function waitingJob(): TrainingJob {
  const tj = makeTrainingJob('llama').variant(variant('h100').nvidia('H100', 8)).obj();
  tj.metadata.namespace = 'team-a';
  tj.spec.queue = 'research';
  tj.status = {
    phase: 'Pending',
    conditions: [
      { type: 'Running', status: 'False', reason: 'WorkersStarting', message: '', lastTransitionTime: '2026-03-01T10:00:00Z' },
      { type: 'Placed', status: 'False', reason: 'Unschedulable', message: '0/2 sites fit', lastTransitionTime: '2026-03-01T10:00:00Z' },
      { type: 'Admitted', status: 'False', reason: 'QuotaExceeded', message: 'needs 8 nvidia.com/gpu, queue research has 4 left', lastTransitionTime: '2026-03-01T10:00:00Z' },
    ],
    placement: {
      epoch: 1,
      decisionTime: '2026-03-01T10:00:00Z',
      message: '0/2 sites fit',
      candidates: [
        { site: 'guizhou', verdict: 'Rejected', reasons: ['variant h100: no pool with nvidia H100'] },
        { site: 'shanghai', verdict: 'Rejected', reasons: ['variant h100: needs 8 nvidia.com/gpu, 4 free'] },
      ],
    },
  };
  return tj;
}

describe('formatWhy', () => {
  it('puts Admitted, then Placed, first, and lists every site with its reasons', () => {
    const lines = formatWhy('TrainingJob', waitingJob());
    const types = lines.filter((l) => /^ {2}(Admitted|Placed|Running)\s/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(types).toEqual(['Admitted', 'Placed', 'Running']);
    expect(lines).toContain('Queue:       research (nothing held: not admitted)');
    expect(lines.some((l) => /Admitted\s+False\s+QuotaExceeded\s+\S+\s+needs 8 nvidia.com\/gpu, queue research has 4 left$/.test(l))).toBe(true);
    expect(lines).toContain('Placement:   0/2 sites fit (epoch 1, 2026-03-01T10:00:00Z)');
    expect(lines.some((l) => /shanghai\s+Rejected\s+-\s+-\s+variant h100: needs 8 nvidia.com\/gpu, 4 free$/.test(l))).toBe(true);
  });

  it('shows what an admitted workload holds and where an InferenceService serves', () => {
    const isvc = makeInferenceService('chat').variant(variant('h100').nvidia('H100', 1)).obj();
    isvc.status = { replicas: 2, readyReplicas: 1, sites: [{ site: 'shanghai', variant: 'h100', replicas: 2, readyReplicas: 1 }], admission: { queue: 'serving', admittedTime: '2026-03-01T10:00:00Z', charge: { 'nvidia.com/gpu': '2' } } };
    const lines = formatWhy('InferenceService', isvc);
    expect(lines).toContain('Replicas:    1/2 ready (min 1): shanghai 1/2 h100');
    expect(lines).toContain('Queue:       serving holds nvidia.com/gpu 2 since 2026-03-01T10:00:00Z');
    expect(lines).toContain('Placement:   (no decision recorded yet)');
  });
});

describe('why command', () => {
  const hubWith = (tj: TrainingJob | undefined, asked: string[]): HubObjects => ({
    list: async () => [],
    get: async (kind, namespace, name) => {
      asked.push(`${kind}/${namespace}/${name}`);
      return tj as never;
    },
  });

  it('reads the workload in the namespace given and prints it', async () => {
    const out: string[] = [];
    const asked: string[] = [];
    const code = await whyCommand(['tj/llama', '-n', 'team-a'], { out: (l) => out.push(l), err: () => {}, hub: () => hubWith(waitingJob(), asked) });
    expect(code).toBe(0);
    expect(asked).toEqual(['TrainingJob/team-a/llama']);
    expect(out[0]).toBe('Name:        llama');
  });

  it('exit 1 naming the workload when it does not exist', async () => {
    const err: string[] = [];
    const code = await whyCommand(['isvc/chat'], { out: () => {}, err: (l) => err.push(l), hub: () => hubWith(undefined, []) });
    expect(code).toBe(1);
    expect(err[0]).toBe('why: InferenceService default/chat not found on the hub');
  });
});
