import { createHash } from 'node:crypto';
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { TrainingAttempt } from '../../api/generated/types.ts';
import { memberName, MAX_MEMBER_NAME } from '../framework/member-names.ts';
import { renderMembers, type MemberDecision } from './member-objects.ts';
import { makeTrainingJob, variant } from './testing.ts';

const decision: MemberDecision = { site: 'guizhou', variant: 'ascend910b', epoch: 1 };

function pretrain() {
  return makeTrainingJob('llm-7b-pretrain')
    .namespace('team-a')
    .workers(2)
    .resources('64', '512Gi')
    .variant(variant('h100').nvidia('H100', 8).arch('amd64'))
    .variant(variant('ascend910b').huawei('Ascend910B', 8).arch('arm64'))
    .edit((tj) => {
      const v = tj.spec.variants[1];
      if (v === undefined) throw new Error('fixture');
      v.command = ['torchrun', '--nproc-per-node=8'];
      v.args = ['train.py', '--device=npu'];
      v.env = [{ name: 'HCCL_CONNECT_TIMEOUT', value: '1200' }];
    });
}

function attempt(epoch: number): TrainingAttempt {
  return { site: 'shanghai', variant: 'h100', epoch, startTime: '2026-01-01T00:00:00Z', outcome: 'SiteLost' };
}

function worker(c: V1Container | undefined): V1Container {
  if (c === undefined) throw new Error('no worker container');
  return c;
}

function envOf(c: V1Container): Record<string, V1EnvVar> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
}

describe('memberName', () => {
  const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

  it.each([
    { name: 'llm-7b-pretrain', namespace: 'team-a', want: `llm-7b-pretrain-${hash8('team-a/llm-7b-pretrain')}` },
    { name: 'a.b.c', namespace: 'ns', want: `a-b-c-${hash8('ns/a.b.c')}` },
    { name: '7b-run', namespace: 'ns', want: `w-7b-run-${hash8('ns/7b-run')}` },
  ])('names $namespace/$name as $want', ({ name, namespace, want }) => {
    expect(memberName(namespace, name)).toBe(want);
  });

  it('is deterministic, a DNS-1035 label, and leaves room for the pod index of an Indexed Job', () => {
    const long = `x${'y'.repeat(240)}`;
    const a = memberName('ns', long);
    expect(a).toBe(memberName('ns', long));
    expect(a.length).toBeLessThanOrEqual(MAX_MEMBER_NAME);
    expect(`${a}-1023`.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('tells apart names that only differ past the cut, and the same name in two namespaces', () => {
    const prefix = 'p'.repeat(100);
    expect(memberName('ns', `${prefix}-a`)).not.toBe(memberName('ns', `${prefix}-b`));
    expect(memberName('a', 'job')).not.toBe(memberName('b', 'job'));
  });
});

describe('renderMembers', () => {
  it('renders an Indexed Job of all workers, a headless Service and the namespace, all labelled with the epoch', () => {
    const { namespace, service, job } = renderMembers(pretrain().obj(), { ...decision, epoch: 3 });
    const name = memberName('team-a', 'llm-7b-pretrain');
    const labels = {
      'app.kubernetes.io/managed-by': 'suanwang',
      'suanwang.io/workload': 'llm-7b-pretrain',
      'suanwang.io/namespace': 'team-a',
      'suanwang.io/site': 'guizhou',
      'suanwang.io/epoch': '3',
    };
    expect(namespace.metadata?.name).toBe('team-a');
    // The Job (not its pods, whose template cannot change) also names its variant, for adoption after a lost status.
    expect(job.metadata).toEqual({ name, namespace: 'team-a', labels: { ...labels, 'suanwang.io/variant': decision.variant } });
    expect(service.metadata).toEqual({ name, namespace: 'team-a', labels });
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimit: 3 });
    expect(job.spec?.template.metadata?.labels).toEqual({ ...labels, 'suanwang.io/role': 'worker' });
    expect(job.spec?.template.spec?.subdomain).toBe(name);
    expect(service.spec).toMatchObject({
      clusterIP: 'None',
      selector: { 'suanwang.io/workload': 'llm-7b-pretrain', 'suanwang.io/namespace': 'team-a', 'suanwang.io/epoch': '3' },
      ports: [{ port: 29500 }],
    });
  });

  it("runs the chosen variant's image and settings with rank, world size and rendezvous set", () => {
    const { job } = renderMembers(pretrain().obj(), decision);
    const c = worker(job.spec?.template.spec?.containers[0]);
    const name = memberName('team-a', 'llm-7b-pretrain');
    expect(c.name).toBe('worker');
    expect(c.image).toBe('registry.example.com/ascend910b:1');
    expect(c.command).toEqual(['torchrun', '--nproc-per-node=8']);
    expect(c.args).toEqual(['train.py', '--device=npu']);
    const env = envOf(c);
    expect(env['SUANWANG_WORKER_RANK']?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    expect(env['SUANWANG_WORLD_SIZE']?.value).toBe('2');
    expect(env['SUANWANG_RENDEZVOUS']?.value).toBe(`${name}-0.${name}.team-a.svc:29500`);
    expect(env['HCCL_CONNECT_TIMEOUT']?.value).toBe('1200');
    expect(env['SUANWANG_CHECKPOINT_PATH']).toBeUndefined();
    // The variant's own variables come after ours, so they may refer to them.
    expect(c.env?.at(-1)?.name).toBe('HCCL_CONNECT_TIMEOUT');
  });

  it('requests cpu, memory and the accelerator with limits equal to requests, on the right architecture', () => {
    const { job } = renderMembers(pretrain().obj(), decision);
    const spec = job.spec?.template.spec;
    const c = worker(spec?.containers[0]);
    const want = { cpu: '64', memory: '512Gi', 'huawei.com/Ascend910': '8' };
    expect(c.resources).toEqual({ requests: want, limits: want });
    expect(spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(spec?.tolerations).toEqual([{ key: 'huawei.com/Ascend910', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it("uses the pool's resource name and pins the pool when the decision knows them", () => {
    const { job } = renderMembers(pretrain().obj(), { ...decision, pool: 'ascend910b', acceleratorResource: 'huawei.com/Ascend910B' });
    const spec = job.spec?.template.spec;
    expect(worker(spec?.containers[0]).resources?.limits).toEqual({ cpu: '64', memory: '512Gi', 'huawei.com/Ascend910B': '8' });
    expect(spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64', 'suanwang.io/pool': 'ascend910b' });
  });

  it('gives a CPU-only variant its own resources and no accelerator, selector or toleration', () => {
    const tj = makeTrainingJob('tokenize')
      .workers(4)
      .resources('16', '64Gi')
      .variant(variant('cpu').cpuOnly().resources({ cpu: '32' }))
      .backoffLimit(6)
      .obj();
    const { job } = renderMembers(tj, { site: 'beijing', variant: 'cpu', epoch: 1 });
    const spec = job.spec?.template.spec;
    expect(worker(spec?.containers[0]).resources?.requests).toEqual({ cpu: '32', memory: '64Gi' });
    expect(spec?.nodeSelector).toBeUndefined();
    expect(spec?.tolerations).toBeUndefined();
    expect(job.spec).toMatchObject({ completions: 4, parallelism: 4, backoffLimit: 6 });
  });

  it('sets the checkpoint path always, and the resume variable and arguments only after a first attempt', () => {
    const base = pretrain().checkpoint('s3://ckpt/llm/', { args: ['--resume-from=$(SUANWANG_RESUME_FROM)'] });
    const first = worker(renderMembers(base.obj(), decision).job.spec?.template.spec?.containers[0]);
    expect(envOf(first)['SUANWANG_CHECKPOINT_PATH']?.value).toBe('s3://ckpt/llm/');
    expect(envOf(first)['SUANWANG_RESUME_FROM']).toBeUndefined();
    expect(first.args).toEqual(['train.py', '--device=npu']);

    // Status already lists the current attempt (epoch 2) after an earlier one: this is a resume.
    const moved = base.status({ attempts: [attempt(1), { ...attempt(2), outcome: 'Running' }] }).obj();
    const second = worker(renderMembers(moved, { ...decision, epoch: 2 }).job.spec?.template.spec?.containers[0]);
    expect(envOf(second)['SUANWANG_RESUME_FROM']?.value).toBe('s3://ckpt/llm/');
    expect(second.args).toEqual(['train.py', '--device=npu', '--resume-from=$(SUANWANG_RESUME_FROM)']);
  });

  it('is not a resume when the only attempt listed is the current one', () => {
    const tj = pretrain()
      .checkpoint('s3://ckpt/llm/', { env: 'RESUME', args: ['--resume'] })
      .status({ attempts: [{ ...attempt(1), outcome: 'Running' }] })
      .obj();
    const c = worker(renderMembers(tj, decision).job.spec?.template.spec?.containers[0]);
    expect(envOf(c)['RESUME']).toBeUndefined();
    expect(c.args).toEqual(['train.py', '--device=npu']);
    const resumed = worker(renderMembers(tj, { ...decision, epoch: 2 }).job.spec?.template.spec?.containers[0]);
    expect(envOf(resumed)['RESUME']?.value).toBe('s3://ckpt/llm/');
  });

  it('renders the same objects for the same inputs (a re-apply after a restart changes nothing)', () => {
    expect(renderMembers(pretrain().obj(), decision)).toEqual(renderMembers(pretrain().obj(), decision));
  });

  it('refuses a decision naming a variant the spec does not have', () => {
    expect(() => renderMembers(pretrain().obj(), { ...decision, variant: 'mlu' })).toThrow(/variant "mlu"/);
  });
});
