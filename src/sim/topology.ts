/**
 * The simulated federation, read from a lab topology file (examples/lab/*.yaml, examples/sim/*.yaml) by the same
 * reader as the lab's (src/api/topology-file.ts), so that a simulated federation and a lab federation are the same
 * file, checked the same way: every problem names the file, line and field.
 *
 * The one difference: the lab caps a pool at LAB_MAX_POOL_NODES kwok nodes on one machine; a simulated pool may be
 * larger (SIM_MAX_POOL_NODES, the simulator's memory being the limit). The types below name the part of a site the
 * simulator models; zone, provider, pool labels and taints change nothing it replays (they are still validated).
 */
import { parseTopologyFile, readTopologyFile, type Topology, type TopologyPool, type TopologySite } from '../api/topology-file.ts';
import type { YamlSource } from '../api/yaml-source.ts';

/** SimPool is a pool of identical nodes, as far as the simulator models it. */
export type SimPool = Pick<TopologyPool, 'name' | 'nodes' | 'cpu' | 'memory' | 'architecture' | 'accelerator'>;

/** SimSiteSpec is one site of the simulated federation. */
export interface SimSiteSpec extends Pick<TopologySite, 'name' | 'region' | 'currency' | 'labels'> {
  readonly pools: readonly SimPool[];
}

/** SimTopology is the federation a run replays on; sites in file order. */
export interface SimTopology {
  readonly file: string;
  readonly sites: readonly SimSiteSpec[];
}

/** SIM_MAX_POOL_NODES bounds a simulated pool (module comment). */
export const SIM_MAX_POOL_NODES = 100_000;

/** loadSimTopology reads a topology file; throws ConfigError listing every problem with its line. */
export function loadSimTopology(file: string): Topology {
  return readTopologyFile(file, { maxPoolNodes: SIM_MAX_POOL_NODES });
}

/** parseSimTopology reads an already parsed topology document. */
export function parseSimTopology(src: YamlSource): Topology {
  return parseTopologyFile(src, { maxPoolNodes: SIM_MAX_POOL_NODES });
}
