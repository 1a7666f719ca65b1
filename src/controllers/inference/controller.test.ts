import { describe, expect, it } from 'vitest';
import { inferenceServiceKey } from './controller.ts';
import type { HubPatcher as InferenceServicePatcher } from '../framework/hub-writer.ts';
import { HubInferenceServiceWriter } from './hub-writer.ts';
import { makeService, variant } from './testing.ts';

describe('inferenceServiceKey', () => {
  it('is InferenceService/<namespace>/<name>', () => {
    expect(inferenceServiceKey('team-a', 'chat')).toBe('InferenceService/team-a/chat');
  });
});

describe('HubInferenceServiceWriter', () => {
  type Call = { kind: string; param: Record<string, unknown> };
  const patcher = (calls: Call[]): InferenceServicePatcher =>
    ({
      patchNamespacedCustomObject: async (param: unknown) => (calls.push({ kind: 'object', param: param as Record<string, unknown> }), {}),
      patchNamespacedCustomObjectStatus: async (param: unknown) => (calls.push({ kind: 'status', param: param as Record<string, unknown> }), {}),
    }) as unknown as InferenceServicePatcher;
  const svc = makeService('chat')
    .namespace('team-a')
    .variant(variant('gpu').nvidia(undefined, 1))
    .status({ replicas: 2, readyReplicas: 1 })
    .edit((s) => (s.metadata.resourceVersion = '7'))
    .obj();

  it('writes nothing when the status is unchanged', async () => {
    const calls: Call[] = [];
    expect(await new HubInferenceServiceWriter(patcher(calls)).writeStatus(svc, { replicas: 2, readyReplicas: 1 })).toBe(svc);
    expect(calls).toEqual([]);
  });

  it('patches the inferenceservices status with only the difference, under the resourceVersion read', async () => {
    const calls: Call[] = [];
    await new HubInferenceServiceWriter(patcher(calls)).writeStatus(svc, { replicas: 2, readyReplicas: 2 });
    expect(calls).toEqual([
      {
        kind: 'status',
        param: {
          group: 'suanwang.io',
          version: 'v1alpha1',
          plural: 'inferenceservices',
          namespace: 'team-a',
          name: 'chat',
          fieldManager: 'suanwang-operator',
          body: { metadata: { resourceVersion: '7' }, status: { readyReplicas: 2 } },
        },
      },
    ]);
  });
});
