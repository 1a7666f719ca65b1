import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { memberName } from '../framework/member-names.ts';
import { renderInferenceMembers, renderedHash, type MemberAssignment } from './member-objects.ts';
import { makeService, variant } from './testing.ts';

function chat() {
  return makeService('chat-7b')
    .namespace('team-a')
    .replicas(3)
    .resources('8', '64Gi')
    .variant(variant('gpu').nvidia(undefined, 1).minMemory('40Gi'))
    .variant(variant('cpu').cpuOnly('48Gi').resources({ cpu: '32', memory: '32Gi' }))
    .edit((svc) => {
      const gpu = svc.spec.variants[0];
      if (gpu === undefined) throw new Error('fixture');
      gpu.args = ['--model=/models/chat-7b', '--port=8080'];
      gpu.env = [{ name: 'VLLM_LOGGING', value: 'info' }];
    });
}

const onShanghai: MemberAssignment = { site: 'shanghai', variant: 'gpu', replicas: 2, pool: 'h100', acceleratorResource: 'nvidia.com/gpu' };

function server(d: V1Deployment): V1Container {
  const c = d.spec?.template.spec?.containers[0];
  if (c === undefined) throw new Error('no server container');
  return c;
}

describe('renderInferenceMembers', () => {
  it('renders a Deployment with the site share and a ClusterIP Service, named deterministically and labelled', () => {
    const { namespace, deployment, service } = renderInferenceMembers(chat().obj(), onShanghai, 4);
    const name = memberName('team-a', 'chat-7b');
    const labels = {
      'app.kubernetes.io/managed-by': 'suanwang',
      'suanwang.io/workload': 'chat-7b',
      'suanwang.io/namespace': 'team-a',
      'suanwang.io/site': 'shanghai',
      'suanwang.io/epoch': '4',
      'suanwang.io/variant': 'gpu',
    };
    expect(namespace.metadata?.name).toBe('team-a');
    expect(deployment.metadata).toMatchObject({ name, namespace: 'team-a', labels });
    expect(service.metadata).toMatchObject({ name, namespace: 'team-a', labels });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.selector).toEqual({ matchLabels: { 'suanwang.io/workload': 'chat-7b', 'suanwang.io/namespace': 'team-a' } });
    expect(deployment.spec?.template.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'suanwang',
      'suanwang.io/workload': 'chat-7b',
      'suanwang.io/namespace': 'team-a',
      'suanwang.io/site': 'shanghai',
      'suanwang.io/variant': 'gpu',
      'suanwang.io/role': 'replica',
    });
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'suanwang.io/workload': 'chat-7b', 'suanwang.io/namespace': 'team-a' },
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  it('labels the Deployment and Service (not the pods) with the uid of the service they belong to', () => {
    const { deployment, service } = renderInferenceMembers(chat().edit((s) => (s.metadata.uid = 'u-123')).obj(), onShanghai, 1);
    expect(deployment.metadata?.labels?.['suanwang.io/owner-uid']).toBe('u-123');
    expect(service.metadata?.labels?.['suanwang.io/owner-uid']).toBe('u-123');
    expect(deployment.spec?.template.metadata?.labels?.['suanwang.io/owner-uid']).toBeUndefined();
  });

  it("runs the variant's image and settings on the service's port", () => {
    const { deployment } = renderInferenceMembers(chat().port(9000).obj(), onShanghai, 1);
    const c = server(deployment);
    expect(c.name).toBe('server');
    expect(c.image).toBe('registry.example.com/gpu:1');
    expect(c.args).toEqual(['--model=/models/chat-7b', '--port=8080']);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9000, protocol: 'TCP' }]);
    expect(c.env).toEqual([
      { name: 'SUANWANG_SITE', value: 'shanghai' },
      { name: 'SUANWANG_VARIANT', value: 'gpu' },
      { name: 'SUANWANG_PORT', value: '9000' },
      { name: 'VLLM_LOGGING', value: 'info' },
    ]);
    expect(c.readinessProbe?.tcpSocket?.port).toBe('http');
  });

  it('requests cpu, memory and the accelerator (limits = requests) on the chosen pool, tolerating its taint', () => {
    const { deployment } = renderInferenceMembers(chat().obj(), { ...onShanghai, acceleratorResource: 'nvidia.com/gpu' }, 1);
    const spec = deployment.spec?.template.spec;
    const want = { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1' };
    expect(server(deployment).resources).toEqual({ requests: want, limits: want });
    expect(spec?.nodeSelector).toEqual({ 'suanwang.io/pool': 'h100' });
    expect(spec?.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it("uses the vendor's usual resource name when the pool's is not known, and pins the architecture", () => {
    const svc = makeService('npu').variant(variant('ascend').huawei('Ascend910B', 2).arch('arm64')).obj();
    const { deployment } = renderInferenceMembers(svc, { site: 'guizhou', variant: 'ascend', replicas: 1 }, 1);
    expect(server(deployment).resources?.limits).toEqual({ cpu: '8', memory: '64Gi', 'huawei.com/Ascend910': '2' });
    expect(deployment.spec?.template.spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
  });

  it.each([
    { what: 'raises a CPU variant below minMemory to minMemory', memory: '32Gi', minMemory: '48Gi', want: '48Gi' },
    { what: 'keeps a CPU variant memory above minMemory', memory: '96Gi', minMemory: '48Gi', want: '96Gi' },
    { what: 'compares quantities, not strings', memory: '50000Mi', minMemory: '48Gi', want: '50000Mi' },
  ])('$what', ({ memory, minMemory, want }) => {
    const svc = makeService('cpu').variant(variant('cpu').cpuOnly(minMemory).resources({ cpu: '32', memory })).obj();
    const { deployment } = renderInferenceMembers(svc, { site: 'guizhou', variant: 'cpu', replicas: 1, pool: 'cpu' }, 1);
    expect(server(deployment).resources?.requests).toEqual({ cpu: '32', memory: want });
    expect(deployment.spec?.template.spec?.tolerations).toBeUndefined();
  });

  it('keeps the pod template the same on a pure scale and a new epoch (no replica restarts)', () => {
    const before = renderInferenceMembers(chat().obj(), onShanghai, 3);
    const after = renderInferenceMembers(chat().obj(), { ...onShanghai, replicas: 5 }, 4);
    expect(after.deployment.spec?.template).toEqual(before.deployment.spec?.template);
    expect(after.deployment.spec?.selector).toEqual(before.deployment.spec?.selector);
    expect(after.deployment.spec?.replicas).toBe(5);
    expect(after.deployment.metadata?.labels?.['suanwang.io/epoch']).toBe('4');
    expect(after.service.spec).toEqual(before.service.spec);
  });

  it('changes the pod template when the variant changes (a rolling update of the same Deployment)', () => {
    const gpu = renderInferenceMembers(chat().obj(), onShanghai, 1);
    const cpu = renderInferenceMembers(chat().obj(), { site: 'shanghai', variant: 'cpu', replicas: 2, pool: 'cpu' }, 2);
    expect(cpu.deployment.metadata?.name).toBe(gpu.deployment.metadata?.name);
    expect(cpu.deployment.spec?.selector).toEqual(gpu.deployment.spec?.selector);
    expect(cpu.deployment.spec?.template).not.toEqual(gpu.deployment.spec?.template);
  });

  it('stamps a hash of what was rendered, which moves with any rendered change', () => {
    const a = renderInferenceMembers(chat().obj(), onShanghai, 1);
    const again = renderInferenceMembers(chat().obj(), onShanghai, 1);
    const scaled = renderInferenceMembers(chat().obj(), { ...onShanghai, replicas: 3 }, 1);
    const hash = a.deployment.metadata?.annotations?.['suanwang.io/rendered-hash'];
    expect(hash).toBe(renderedHash(a.deployment));
    expect(again).toEqual(a);
    expect(scaled.deployment.metadata?.annotations?.['suanwang.io/rendered-hash']).not.toBe(hash);
  });

  it('refuses an assignment naming a variant the spec does not have', () => {
    expect(() => renderInferenceMembers(chat().obj(), { ...onShanghai, variant: 'mlu' }, 1)).toThrow(/variant "mlu"/);
  });
});
