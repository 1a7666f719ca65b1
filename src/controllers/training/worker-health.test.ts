import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { NODE_CONDITION_ACCELERATORS } from '../../api/names.ts';
import { PullSiteMembers } from '../../clusters/pull-site-members.ts';
import type { SiteMemberPort } from '../../clusters/site-member-port.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { readWorkers } from './worker-health.ts';

const PODS: V1Pod[] = [
  { metadata: { name: 'w-1' }, spec: { containers: [], nodeName: 'node-a' }, status: { phase: 'Running' } },
  {
    metadata: { name: 'w-0' },
    spec: { containers: [] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available' }] },
  },
];
const SICK: V1Node = { metadata: { name: 'node-a' }, status: { conditions: [{ type: NODE_CONDITION_ACCELERATORS, status: 'False', message: 'XID 79' }] } };

/** port shows the given readers; every member call fails, since readWorkers must make none. */
function port(readers: Pick<SiteMemberPort, 'pods' | 'node'>, selectors: string[] = []): SiteMemberPort {
  const none = (): never => {
    throw new Error('no member call expected');
  };
  return {
    site: 'shanghai',
    mode: 'Push',
    read: none,
    list: none,
    apply: none,
    delete: none,
    ensureNamespace: none,
    refusal: () => undefined,
    ...(readers.pods !== undefined && {
      pods: (namespace: string, selector: string) => {
        selectors.push(`${namespace} ${selector}`);
        return readers.pods?.(namespace, selector) ?? Promise.resolve([]);
      },
    }),
    ...(readers.node !== undefined && { node: readers.node }),
  };
}

describe('readWorkers', () => {
  it('reads the epoch’s pods and the nodes under them', async () => {
    const selectors: string[] = [];
    const health = await readWorkers(port({ pods: async () => PODS, node: async () => SICK }, selectors), 'default', 'train', 3);
    expect(selectors).toEqual(['default suanwang.io/workload=train,suanwang.io/namespace=default,suanwang.io/epoch=3']);
    expect(health).toEqual({
      pending: [{ pod: 'w-0', message: 'Unschedulable: 0/4 nodes are available' }],
      unhealthyNodes: [{ node: 'node-a', message: 'XID 79' }],
    });
  });

  it('says nothing when the port cannot show pods, so the pass decides without worker health', async () => {
    expect(await readWorkers(port({}), 'default', 'train', 3)).toBeUndefined();
  });

  it('judges no node unhealthy when the port shows pods but not nodes', async () => {
    const health = await readWorkers(port({ pods: async () => PODS }), 'default', 'train', 3);
    expect(health).toEqual({ pending: [{ pod: 'w-0', message: 'Unschedulable: 0/4 nodes are available' }], unhealthyNodes: [] });
  });

  it('reads a pull site’s worker pods and their nodes from what its agent reported', async () => {
    const store = new PullSiteMembers({ send: () => true, clock: new FakeClock(0) });
    const labels = { 'app.kubernetes.io/managed-by': 'suanwang', 'suanwang.io/workload': 'train', 'suanwang.io/namespace': 'default', 'suanwang.io/epoch': '3' };
    // As the agent projects them: metadata, the node, the phase and PodScheduled; the node's AcceleratorHealthy only.
    const running: V1Pod = { metadata: { name: 'train-1', namespace: 'default', labels }, spec: { containers: [], nodeName: 'node-a' }, status: { phase: 'Running' } };
    const waiting: V1Pod = {
      metadata: { name: 'train-0', namespace: 'default', labels },
      spec: { containers: [] },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available' }] },
    };
    const older: V1Pod = { metadata: { name: 'train-old', namespace: 'default', labels: { ...labels, 'suanwang.io/epoch': '2' } }, spec: { containers: [] }, status: { phase: 'Pending' } };
    const pull = store.port('shanghai');
    store.sessionOpened('shanghai');
    await expect(readWorkers(pull, 'default', 'train', 3)).rejects.toMatchObject({ reason: 'SiteNotReporting' });

    store.report('shanghai', {
      full: true,
      states: [
        { key: { kind: 'Pod', namespace: 'default', name: 'train-1' }, object: { apiVersion: 'v1', kind: 'Pod', ...running } },
        { key: { kind: 'Pod', namespace: 'default', name: 'train-0' }, object: { apiVersion: 'v1', kind: 'Pod', ...waiting } },
        { key: { kind: 'Pod', namespace: 'default', name: 'train-old' }, object: { apiVersion: 'v1', kind: 'Pod', ...older } },
        { key: { kind: 'Node', namespace: '', name: 'node-a' }, object: { apiVersion: 'v1', kind: 'Node', ...SICK } },
      ],
      gone: [],
    });
    expect(await readWorkers(pull, 'default', 'train', 3)).toEqual({
      pending: [{ pod: 'train-0', message: 'Unschedulable: 0/4 nodes are available' }],
      unhealthyNodes: [{ node: 'node-a', message: 'XID 79' }],
    });
  });
});
