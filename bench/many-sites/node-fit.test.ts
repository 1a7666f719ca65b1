import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_POOL } from '../../src/api/names.ts';
import { fitNode, usedByNode } from './node-fit.ts';
import { generateSite } from './sites.ts';
import { siteNodes } from './site-nodes.ts';

function pod(name: string, opts: { pool?: string; gpus?: number; cpu?: string; node?: string; phase?: string } = {}): V1Pod {
  const limits = opts.gpus === undefined ? undefined : { 'nvidia.com/gpu': String(opts.gpus) };
  return {
    metadata: { name, namespace: 'ml' },
    spec: {
      ...(opts.pool === undefined ? {} : { nodeSelector: { [LABEL_POOL]: opts.pool } }),
      ...(opts.node === undefined ? {} : { nodeName: opts.node }),
      containers: [{ name: 'w', image: 'x', resources: { requests: { cpu: opts.cpu ?? '1', memory: '1Gi' }, ...(limits && { limits }) } }],
    },
    status: { phase: opts.phase ?? (opts.node === undefined ? 'Pending' : 'Running') },
  };
}

describe('fitNode', () => {
  const nodes = siteNodes(generateSite(0, { cpuNodes: 1, deviceNodes: 2 }));

  it('takes the first node of the selected pool', () => {
    expect(fitNode(pod('a', { pool: 'h100', gpus: 1 }), nodes, new Map())).toBe('site-0001-h100-0');
    expect(fitNode(pod('b', { pool: 'cpu' }), nodes, new Map())).toBe('site-0001-cpu-0');
  });

  it('skips a node whose devices are taken, and finds none when every one is', () => {
    const full = [pod('x', { node: 'site-0001-h100-0', gpus: 8 })];
    expect(fitNode(pod('a', { pool: 'h100', gpus: 1 }), nodes, usedByNode(full))).toBe('site-0001-h100-1');
    full.push(pod('y', { node: 'site-0001-h100-1', gpus: 8 }));
    expect(fitNode(pod('a', { pool: 'h100', gpus: 1 }), nodes, usedByNode(full))).toBeUndefined();
  });

  it('counts only pods that still hold resources', () => {
    const done = [pod('x', { node: 'site-0001-cpu-0', cpu: '64', phase: 'Succeeded' })];
    expect(usedByNode(done).size).toBe(0);
    expect(fitNode(pod('a', { pool: 'cpu', cpu: '64' }), nodes, usedByNode(done))).toBe('site-0001-cpu-0');
    const busy = [pod('x', { node: 'site-0001-cpu-0', cpu: '64' })];
    expect(fitNode(pod('a', { pool: 'cpu', cpu: '1' }), nodes, usedByNode(busy))).toBeUndefined();
  });
});
