import { describe, expect, it } from 'vitest';
import { acceleratorNode, workerPod } from './member-testing.ts';
import { isReportedPod, nodeProjection, nodeUnder, podProjection } from './observed-projection.ts';

describe('isReportedPod', () => {
  it('reports the unfinished pods of member Jobs and nothing else', () => {
    expect(isReportedPod(workerPod('w-0', { node: 'n-1' }))).toBe(true);
    expect(isReportedPod(workerPod('w-0'))).toBe(true); // Pending
    expect(isReportedPod(workerPod('w-0', { node: 'n-1', deleting: true }))).toBe(true);
    expect(isReportedPod(workerPod('w-0', { node: 'n-1', phase: 'Succeeded' }))).toBe(false);
    expect(isReportedPod(workerPod('w-0', { node: 'n-1', phase: 'Failed' }))).toBe(false);
    expect(isReportedPod(workerPod('r-0', { node: 'n-1', owner: 'ReplicaSet' }))).toBe(false); // an inference replica
    expect(isReportedPod(workerPod('w-0', { node: 'n-1', owner: 'none' }))).toBe(false);
    const unlabelled = workerPod('w-0', { node: 'n-1' });
    delete unlabelled.metadata?.labels?.['app.kubernetes.io/managed-by'];
    expect(isReportedPod(unlabelled)).toBe(false);
  });

  it('names the node of a bound pod that is not being deleted', () => {
    expect(nodeUnder(workerPod('w-0', { node: 'n-1' }))).toBe('n-1');
    expect(nodeUnder(workerPod('w-0'))).toBeUndefined();
    expect(nodeUnder(workerPod('w-0', { node: 'n-1', deleting: true }))).toBeUndefined();
  });
});

describe('podProjection', () => {
  it('keeps the name, namespace, labels, node, phase and PodScheduled without its times, and nothing else', () => {
    expect(podProjection(workerPod('w-1', { node: 'n-1' }))).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'w-1', namespace: 'ml', labels: workerPod('w-1').metadata?.labels },
      spec: { nodeName: 'n-1' },
      status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }] },
    });
    expect(podProjection(workerPod('w-0'))).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'w-0', namespace: 'ml', labels: workerPod('w-0').metadata?.labels },
      spec: {},
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available' }] },
    });
  });

  it('keeps the deletionTimestamp of a pod being deleted, which the hub leaves out of the live workers', () => {
    const projected = JSON.parse(JSON.stringify(podProjection(workerPod('w-0', { node: 'n-1', deleting: true })))) as { metadata: Record<string, unknown> };
    expect(projected.metadata['deletionTimestamp']).toBe('2026-01-01T00:00:00.000Z');
  });

  it('is the same for pods that differ only in what the hub does not read', () => {
    const a = workerPod('w-1', { node: 'n-1' });
    const b = workerPod('w-1', { node: 'n-1' });
    b.metadata!.resourceVersion = '43';
    b.status!.conditions = b.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
    b.status!.containerStatuses![0]!.restartCount = 1;
    expect(JSON.stringify(podProjection(b))).toBe(JSON.stringify(podProjection(a)));
  });
});

describe('nodeProjection', () => {
  it('keeps the name and AcceleratorHealthy without its times, so a heartbeat changes nothing', () => {
    const expected = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n-1' },
      status: { conditions: [{ type: 'AcceleratorHealthy', status: 'False', reason: 'DevicesUnhealthy', message: 'GPU 3: XID 79' }] },
    };
    expect(nodeProjection(acceleratorNode('n-1', 'False'))).toEqual(expected);
    expect(nodeProjection(acceleratorNode('n-1', 'False', '2026-01-01T00:05:00Z'))).toEqual(expected);
    expect(nodeProjection({ metadata: { name: 'plain' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'plain' },
      status: {},
    });
  });
});
