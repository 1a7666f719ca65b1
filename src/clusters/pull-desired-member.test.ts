import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { canonicalJson, desiredMemberHash, desiredMemberOf } from './pull-desired-member.ts';

function job(image = 'trainer:1'): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'tj-a-1', namespace: 'team-a', labels: { 'suanwang.io/workload': 'a', 'suanwang.io/epoch': '1' } },
    spec: { template: { spec: { containers: [{ name: 'worker', image }], restartPolicy: 'Never' } } },
  };
}

describe('canonicalJson', () => {
  it('writes the same text for the same content built in another key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: 'z' } })).toBe(canonicalJson({ a: { c: 'z', d: [2, { x: 0, y: 1 }] }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('keeps array order and drops undefined properties, as JSON does', () => {
    expect(canonicalJson({ a: [3, 1, 2], u: undefined })).toBe('{"a":[3,1,2]}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe('desiredMemberOf', () => {
  it('hashes content: the same render twice is the same hash, another image another one', () => {
    expect(desiredMemberOf(job()).hash).toBe(desiredMemberOf(job()).hash);
    expect(desiredMemberOf(job()).hash).toMatch(/^[0-9a-f]{64}$/);
    expect(desiredMemberOf(job('trainer:2')).hash).not.toBe(desiredMemberOf(job()).hash);
  });

  it('drops status and server-set metadata, so a copy read back from a site hashes as the render', () => {
    const readBack: V1Job = { ...job(), status: { active: 2 } };
    readBack.metadata = { ...readBack.metadata, resourceVersion: '42', uid: 'u-1', generation: 3, managedFields: [{ manager: 'x' }] };
    const member = desiredMemberOf(readBack);
    expect(member.hash).toBe(desiredMemberOf(job()).hash);
    expect(member.object).not.toHaveProperty('status');
    expect(member.object.metadata).not.toHaveProperty('resourceVersion');
    expect(member.object.metadata?.labels).toEqual(job().metadata?.labels);
    expect(readBack.status).toEqual({ active: 2 }); // the caller's object is left alone
    expect(readBack.metadata?.resourceVersion).toBe('42');
  });

  it('names the member by its own kind, namespace and name, and hashes the object it keeps', () => {
    const member = desiredMemberOf(job());
    expect(member.key).toEqual({ kind: 'Job', namespace: 'team-a', name: 'tj-a-1' });
    expect(member.hash).toBe(desiredMemberHash(member.object));
  });
});
