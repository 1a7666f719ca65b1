import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { NODE_CONDITION_ACCELERATORS } from '../../api/names.ts';
import type { SiteMemberPort } from '../../clusters/site-member-port.ts';
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
});
