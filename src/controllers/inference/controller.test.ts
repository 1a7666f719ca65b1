import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/generated/types.ts';
import { inferenceServiceKey, siteChangeMatters } from './controller.ts';
import { HubInferenceServiceWriter, type InferenceServicePatcher } from './hub-writer.ts';
import { labSites, makeService, variant, withReady } from './testing.ts';

function allocated(site: Site): Site {
  const next = structuredClone(site);
  const pool = next.status?.nodePools?.[0];
  if (pool !== undefined) pool.allocated = { 'nvidia.com/gpu': '8' };
  return next;
}

describe('siteChangeMatters', () => {
  const base = labSites().beijing.obj();
  const heartbeat = (s: Site, at: string): Site => ({ ...s, metadata: { ...s.metadata, resourceVersion: at }, status: { ...s.status, lastHeartbeatTime: at } });
  it.each([
    { what: 'a new Site', previous: undefined, next: base, want: true },
    { what: 'a heartbeat alone', previous: heartbeat(base, '1'), next: heartbeat(base, '2'), want: false },
    { what: 'Ready turning Unknown', previous: base, next: withReady(base, 'Unknown', 'LeaseExpired', '2026-01-01T00:00:00Z'), want: true },
    { what: 'a cordon', previous: base, next: { ...base, spec: { ...base.spec, cordon: true } }, want: true },
    { what: 'capacity allocated', previous: base, next: allocated(base), want: true },
  ])('$what: $want', ({ previous, next, want }) => {
    expect(siteChangeMatters(previous, next)).toBe(want);
  });
});

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
