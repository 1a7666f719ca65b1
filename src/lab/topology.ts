/**
 * The lab topology: which clusters the lab starts (a hub and several sites) and what node pools each site has. The
 * file is read by the product's reader (src/api/topology-file.ts), which the simulator shares, with the lab's bound on
 * a pool (LAB_MAX_POOL_NODES kwok Nodes); validated in full before anything starts, every problem naming the file,
 * line and field; a pull site's `sitePolicy:` is checked with its agent's own reader (site-policies.ts). What is the
 * lab's own is here: the names, labels and capacity of the kwok Nodes it makes.
 */
import { acceleratorNodeLabels } from '../api/vendors.ts';
import { LABEL_POOL, LABEL_PRECISIONS } from '../api/names.ts';
import { LAB_MAX_POOL_NODES, parseTopologyFile, type Topology, type TopologyPool, type TopologySite } from '../api/topology-file.ts';
import { YamlSource } from '../api/yaml-source.ts';
import { checkSitePolicies } from './site-policies.ts';

export type { Topology };
/** LabPool is one node pool of a site: identical kwok Nodes. */
export type LabPool = TopologyPool;
/** LabSite is one site cluster of the lab. */
export type LabSite = TopologySite;

/** loadTopology reads and validates a topology file for the lab; throws ConfigError listing every problem. */
export function loadTopology(file: string): Topology {
  return parseTopology(YamlSource.read(file));
}

/** parseTopology validates an already parsed topology document for the lab, site policies included. */
export function parseTopology(src: YamlSource): Topology {
  const topology = parseTopologyFile(src, { maxPoolNodes: LAB_MAX_POOL_NODES });
  checkSitePolicies(src, topology);
  return topology;
}

/** nodeName is the deterministic name of node `index` of a pool. */
export function nodeName(site: LabSite, pool: LabPool, index: number): string {
  return `${site.name}-${pool.name}-${index}`;
}

/** nodeLabels are the labels a lab Node carries: well-known Kubernetes labels, vendor labels, the pool's own. */
export function nodeLabels(site: LabSite, pool: LabPool, index: number): Record<string, string> {
  const name = nodeName(site, pool, index);
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': pool.architecture,
    'topology.kubernetes.io/region': site.region,
    ...(site.zone ? { 'topology.kubernetes.io/zone': site.zone } : {}),
    [LABEL_POOL]: pool.name,
    type: 'kwok',
    ...(pool.accelerator ? acceleratorNodeLabels(pool.accelerator) : {}),
    ...(pool.accelerator && pool.accelerator.precisions.length > 0 ? { [LABEL_PRECISIONS]: pool.accelerator.precisions.join('.') } : {}),
    ...pool.labels,
  };
}

/** nodeCapacity is what one node of the pool advertises (status.capacity and status.allocatable). */
export function nodeCapacity(pool: LabPool): Record<string, string> {
  const cap: Record<string, string> = {
    cpu: String(pool.cpu),
    memory: String(Math.floor(pool.memory)),
    pods: '110',
    'ephemeral-storage': '1Ti',
  };
  if (pool.accelerator) cap[pool.accelerator.resourceName] = String(pool.accelerator.count);
  return cap;
}
