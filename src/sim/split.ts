/**
 * `suanwang simulate split`: a node list (openb CSV) cut into sites, written as a lab topology — the federation a
 * simulation (or a lab) runs on. Within a site, nodes of the same GPU model, GPU count, cpu and memory form one pool.
 *
 * Ways to cut:
 *  - model: one site per GPU model, and a site `cpu` for the CPU-only nodes (centres built around one kind of card);
 *  - round-robin: node i to site i mod N (alike sites, each a sample of the whole fleet);
 *  - blocks (`--split-by N`): N runs of consecutive nodes in file order (uneven centres, as fleets grow in batches).
 *
 * A pool is capped at 500 nodes, the lab's bound, so that the file also starts a lab: a larger group is written as
 * several pools (`<name>`, `<name>-2`, ...). The openb list does not say how much memory its G1–G3 GPUs have; the
 * lab format requires a number, so they get UNDISCLOSED_MEMORY_GIB with a comment (nothing in the openb traces asks
 * for device memory, so it changes no decision).
 */
import type { OpenbNode } from './openb.ts';
import { compare } from './fleet.ts';
import { LAB_MAX_POOL_NODES } from '../api/topology-file.ts';

/** SplitBy says how to cut the fleet. */
export type SplitBy = { readonly kind: 'model' } | { readonly kind: 'round-robin'; readonly sites: number } | { readonly kind: 'blocks'; readonly sites: number };


/** DEVICE_MEMORY_GIB is the memory of the openb GPU models that are public products. */
const DEVICE_MEMORY_GIB: Readonly<Record<string, number>> = { T4: 16, P100: 16, V100M16: 16, V100M32: 32, A10: 24 };
/** UNDISCLOSED_MEMORY_GIB stands in for G1–G3's device memory (module comment). */
export const UNDISCLOSED_MEMORY_GIB = 16;

/** SplitPool is one pool of a split site. */
export interface SplitPool {
  readonly name: string;
  readonly nodes: number;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  readonly model: string;
}

/** SplitSite is one site of a split. */
export interface SplitSite {
  readonly name: string;
  readonly pools: readonly SplitPool[];
}

/** splitNodes cuts the nodes into sites (module comment); sites in name order, empty ones left out. */
export function splitNodes(nodes: readonly OpenbNode[], by: SplitBy): SplitSite[] {
  const groups = new Map<string, OpenbNode[]>();
  const add = (site: string, n: OpenbNode): void => {
    const list = groups.get(site) ?? [];
    list.push(n);
    groups.set(site, list);
  };
  const width = by.kind === 'model' ? 0 : String(by.sites).length;
  const siteName = (i: number): string => `site-${String(i + 1).padStart(width, '0')}`;
  nodes.forEach((n, i) => {
    if (by.kind === 'model') add(n.gpus === 0 ? 'cpu' : dnsName(n.model), n);
    else if (by.kind === 'round-robin') add(siteName(i % by.sites), n);
    else add(siteName(Math.floor((i * by.sites) / nodes.length)), n);
  });
  return [...groups.entries()].sort(([a], [b]) => compare(a, b)).map(([name, list]) => ({ name, pools: poolsOf(list) }));
}

/** poolsOf groups alike nodes into pools of at most LAB_MAX_POOL_NODES, in name order. */
function poolsOf(nodes: readonly OpenbNode[]): SplitPool[] {
  const byShape = new Map<string, { base: string; n: OpenbNode; count: number }>();
  for (const n of nodes) {
    const base = poolName(n);
    const known = byShape.get(base);
    if (known === undefined) byShape.set(base, { base, n, count: 1 });
    else known.count += 1;
  }
  const pools: SplitPool[] = [];
  for (const { base, n, count } of byShape.values()) {
    for (let k = 0; k * LAB_MAX_POOL_NODES < count; k++) {
      pools.push({
        name: k === 0 ? base : `${base}-${k + 1}`,
        nodes: Math.min(LAB_MAX_POOL_NODES, count - k * LAB_MAX_POOL_NODES),
        cpuMilli: n.cpuMilli,
        memoryMiB: n.memoryMiB,
        gpus: n.gpus,
        model: n.model,
      });
    }
  }
  return pools.sort((a, b) => compare(a.name, b.name));
}

/** poolName names a node's shape: `g2-8x-96c-384gi`, `cpu-32c-256gi`. */
function poolName(n: OpenbNode): string {
  const kind = n.gpus === 0 ? 'cpu' : `${dnsName(n.model)}-${n.gpus}x`;
  const cpu = n.cpuMilli % 1000 === 0 ? `${n.cpuMilli / 1000}c` : `${n.cpuMilli}m`;
  const memory = n.memoryMiB % 1024 === 0 ? `${n.memoryMiB / 1024}gi` : `${n.memoryMiB}mi`;
  return `${kind}-${cpu}-${memory}`;
}

function dnsName(model: string): string {
  return model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'gpu';
}

/** topologyYaml renders the sites as a lab topology file, `header` lines first as comments. */
export function topologyYaml(sites: readonly SplitSite[], header: readonly string[]): string {
  const out = [...header.map((h) => `# ${h}`.trimEnd()), 'apiVersion: lab.suanwang.io/v1alpha1', 'kind: LabTopology', 'hub:', '  name: hub', 'sites:'];
  for (const s of sites) {
    const gpus = s.pools.reduce((n, p) => n + p.nodes * p.gpus, 0);
    const nodes = s.pools.reduce((n, p) => n + p.nodes, 0);
    out.push(`  # ${nodes} nodes, ${gpus} GPUs`, `  - name: ${s.name}`, `    region: sim-${s.name}`, '    pools:');
    for (const p of s.pools) {
      out.push(`      - name: ${p.name}`, `        nodes: ${p.nodes}`, `        cpu: ${p.cpuMilli % 1000 === 0 ? p.cpuMilli / 1000 : `${p.cpuMilli}m`}`);
      out.push(`        memory: ${p.memoryMiB % 1024 === 0 ? `${p.memoryMiB / 1024}Gi` : `${p.memoryMiB}Mi`}`);
      if (p.gpus > 0) {
        const memory = DEVICE_MEMORY_GIB[p.model];
        out.push('        accelerator:', '          vendor: nvidia', `          model: ${yamlString(p.model)}`, `          count: ${p.gpus}`);
        out.push(memory === undefined ? `          memoryGiB: ${UNDISCLOSED_MEMORY_GIB} # undisclosed model: a stand-in` : `          memoryGiB: ${memory}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** yamlString quotes a model name unless it is plain letters and digits. */
function yamlString(s: string): string {
  return /^[A-Za-z][A-Za-z0-9]*$/.test(s) ? s : JSON.stringify(s);
}
