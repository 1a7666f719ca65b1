/**
 * The benchmark's site, as lab topologies: a hub and one site, `footprint`. The lab starts with the seed pools only
 * (7 nodes, the size of the largest default lab site), which is the small site; the benchmark then adds the large
 * pools itself, so the same control plane serves both phases. Each large pool has at most LAB_MAX_POOL_NODES nodes,
 * the lab's bound, so a site of 1,000 nodes is several H100 pools, as a real centre would be.
 */
import { LAB_MAX_POOL_NODES } from '../../src/api/topology-file.ts';

/** SITE is the site's name in the topology (its nodes are named footprint-<pool>-<i>). */
export const SITE = 'footprint';

/** SEED_NODES is how many nodes the small site has: 4 H100 nodes and 3 CPU nodes. */
export const SEED_NODES = 7;

/** GPUS_PER_NODE is how many devices each H100 node has. */
export const GPUS_PER_NODE = 8;

const HEADER = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
hub:
  name: hub
sites:
  - name: ${SITE}
    region: cn-east
    zone: cn-east-1a
    provider: footprint-centre
    currency: CNY
    pools:
`;

function h100Pool(name: string, nodes: number): string {
  return `      - name: ${name}
        nodes: ${nodes}
        cpu: 192
        memory: 2Ti
        architecture: amd64
        accelerator:
          vendor: nvidia
          model: NVIDIA H100 80GB HBM3
          count: ${GPUS_PER_NODE}
          memoryGiB: 80
          precisions: [fp8, bf16, fp16, tf32, fp32, fp64]
          pricePerHour: 28
`;
}

const SEED_POOLS = `${h100Pool('h100', 4)}      - name: cpu
        nodes: 3
        cpu: 64
        memory: 256Gi
        architecture: amd64
`;

/** largePoolSizes splits the nodes beyond the seed into pools of at most LAB_MAX_POOL_NODES. */
export function largePoolSizes(totalNodes: number): number[] {
  const sizes: number[] = [];
  for (let left = totalNodes - SEED_NODES; left > 0; left -= LAB_MAX_POOL_NODES) sizes.push(Math.min(left, LAB_MAX_POOL_NODES));
  return sizes;
}

/** largePoolName names large pool `i` (h100-a, h100-b, ...). */
export function largePoolName(i: number): string {
  return `h100-${String.fromCharCode('a'.charCodeAt(0) + i)}`;
}

/** smallTopology is the topology the lab starts with: the seed pools only. */
export function smallTopology(): string {
  return HEADER + SEED_POOLS;
}

/** largeTopology has every pool of a site of `totalNodes` nodes (the node reporter simulates them all). */
export function largeTopology(totalNodes: number): string {
  return HEADER + SEED_POOLS + largePoolSizes(totalNodes).map((n, i) => h100Pool(largePoolName(i), n)).join('');
}
