import { describe, expect, it } from 'vitest';
import { fromWireReport } from './pull-wire.ts';

describe('fromWireReport', () => {
  it('reads the pods and nodes the agent observes beside the members, and names states of unknown kinds', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w-0', namespace: 'ml' }, spec: { nodeName: 'n-1' }, status: { phase: 'Running' } };
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n-1' }, status: {} };
    const { report, problems } = fromWireReport({
      full: true,
      states: [
        { ref: { kind: 'Pod', namespace: 'ml', name: 'w-0' }, objectJson: JSON.stringify(pod), appliedHash: '' },
        { ref: { kind: 'Node', namespace: '', name: 'n-1' }, objectJson: JSON.stringify(node), appliedHash: '' },
        { ref: { kind: 'Secret', namespace: 'ml', name: 's' }, objectJson: '{}' },
      ],
      gone: [{ kind: 'Pod', namespace: 'ml', name: 'w-1' }],
    });
    expect(report).toEqual({
      full: true,
      states: [
        { key: { kind: 'Pod', namespace: 'ml', name: 'w-0' }, object: pod },
        { key: { kind: 'Node', namespace: '', name: 'n-1' }, object: node },
      ],
      gone: [{ kind: 'Pod', namespace: 'ml', name: 'w-1' }],
    });
    expect(problems).toEqual(['a member state with no readable ref ({"kind":"Secret","namespace":"ml","name":"s"})']);
  });
});
