/**
 * Fault injection for a running lab (`suanwang lab fault`): device faults go into <dir>/faults/<site>.json, which
 * the site's simulated node reporter re-reads on every sample, so the fault travels the real path (reporter → Node
 * annotation and condition → agent → operator → Site status). A lost node is deleted from the site's apiserver;
 * clearing re-registers it from the topology.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { simulateReport, type InjectedFaults } from '../agent/devices/simulated.ts';
import { parseFaultsFile } from '../agent/site/faults-file.ts';
import { isNotFound } from '../runtime/errors.ts';
import { faultsFile } from './federation.ts';
import { labNode } from './nodes.ts';
import { readState } from './state.ts';
import { loadTopology, nodeName, type LabPool, type LabSite } from './topology.ts';

/** FaultSpec is one fault `lab fault` injects. */
export type FaultSpec =
  | { readonly kind: 'xid'; readonly node: string; readonly device: number; readonly xid: number }
  | { readonly kind: 'ascend-critical'; readonly node: string; readonly device: number }
  | { readonly kind: 'ecc'; readonly node: string; readonly device: number; readonly count: number }
  | { readonly kind: 'node-lost'; readonly node: string };

/** FaultsByNode is a site's fault file as a record by node name. */
export type FaultsByNode = Record<string, InjectedFaults>;

/** FaultError: a fault that cannot be injected or cleared as asked (no such lab, site, node or device). */
export class FaultError extends Error {
  readonly code = 'InvalidFault';
}

interface LabContext {
  readonly site: LabSite;
  readonly kubeconfig: string;
  readonly file: string;
}

function context(dir: string, siteName: string): LabContext {
  const st = readState(dir);
  if (!st) throw new FaultError(`no lab in ${dir}`);
  const site = loadTopology(st.topology).sites.find((s) => s.name === siteName);
  const cluster = st.clusters.find((c) => c.name === siteName && c.role === 'site');
  if (!site || !cluster) throw new FaultError(`no site "${siteName}" in the lab (sites: ${st.clusters.filter((c) => c.role === 'site').map((c) => c.name).join(', ')})`);
  return { site, kubeconfig: cluster.kubeconfig, file: faultsFile(dir, siteName) };
}

function findNode(site: LabSite, node: string): { pool: LabPool; index: number } {
  for (const pool of site.pools) {
    for (let i = 0; i < pool.nodes; i++) if (nodeName(site, pool, i) === node) return { pool, index: i };
  }
  throw new FaultError(`no node "${node}" in site ${site.name}`);
}

/**
 * readFaults returns the faults injected into a site (empty when none), parsed as strictly as the node reporter reads
 * them (faults-file.ts), so an edit that the reporter would refuse is refused here too instead of being built on.
 */
export function readFaults(file: string): FaultsByNode {
  if (!existsSync(file)) return {};
  const parsed = parseFaultsFile(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new FaultError(`${file}: ${parsed.error}; fix it, or clear every fault of the site (lab fault --site S --clear)`);
  return Object.fromEntries(parsed.value);
}

function writeFaults(file: string, faults: FaultsByNode): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(faults, null, 2));
  renameSync(`${file}.tmp`, file);
}

function coreApi(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

/** injectFault adds one fault to a running lab; device faults are validated against the node's devices first. */
export async function injectFault(dir: string, siteName: string, spec: FaultSpec): Promise<void> {
  const ctx = context(dir, siteName);
  const { pool } = findNode(ctx.site, spec.node);
  if (spec.kind === 'node-lost') {
    await coreApi(ctx.kubeconfig).deleteNode({ name: spec.node });
    return;
  }
  if (!pool.accelerator) throw new FaultError(`node ${spec.node} (pool ${pool.name}) has no accelerators`);
  const all = readFaults(ctx.file);
  const f = all[spec.node] ?? {};
  const next: InjectedFaults =
    spec.kind === 'xid'
      ? { ...f, xids: [...(f.xids ?? []), { device: spec.device, xid: spec.xid }] }
      : spec.kind === 'ascend-critical'
        ? { ...f, ascendCritical: [...(f.ascendCritical ?? []), spec.device] }
        : { ...f, eccUncorrectable: [...(f.eccUncorrectable ?? []).filter((e) => e.device !== spec.device), { device: spec.device, count: spec.count }] };
  let report: ReturnType<typeof simulateReport>;
  try {
    report = simulateReport(pool.accelerator, next, { observedAt: new Date(0).toISOString(), nodeName: spec.node });
  } catch (err) {
    throw new FaultError(`cannot inject into ${spec.node}: ${err instanceof Error ? err.message : String(err)}`);
  }
  writeFaults(ctx.file, { ...all, [spec.node]: next });
  const unhealthy = report.devices.filter((d) => d.health === 'Unhealthy').length;
  await setDeviceAllocatable(coreApi(ctx.kubeconfig), spec.node, pool, unhealthy);
}

/**
 * setDeviceAllocatable does what kubelet does on a real node when the device plugin marks devices unhealthy: the
 * vendor resource's allocatable drops by them (capacity keeps them), so the site's kube-scheduler stops counting them
 * and a gang restarted after a device failure is not bound back onto the broken device. The lab has no kubelet.
 */
async function setDeviceAllocatable(api: CoreV1Api, node: string, pool: LabPool, unhealthy: number): Promise<void> {
  if (!pool.accelerator) return;
  const resource = pool.accelerator.resourceName;
  const body = { status: { allocatable: { [resource]: String(Math.max(0, pool.accelerator.count - unhealthy)) } } };
  await api.patchNodeStatus({ name: node, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** clearFaults removes a site's faults (one node's, or all) and re-registers any lost node of the topology. */
export async function clearFaults(dir: string, siteName: string, node?: string): Promise<string[]> {
  const ctx = context(dir, siteName);
  if (node !== undefined) findNode(ctx.site, node);
  // Clearing every node needs nothing from the file, so it also repairs a file that no longer parses.
  const kept = node === undefined ? {} : Object.fromEntries(Object.entries(readFaults(ctx.file)).filter(([n]) => n !== node));
  writeFaults(ctx.file, kept);
  const api = coreApi(ctx.kubeconfig);
  const restored: string[] = [];
  for (const pool of ctx.site.pools) {
    for (let i = 0; i < pool.nodes; i++) {
      const name = nodeName(ctx.site, pool, i);
      if (node !== undefined && name !== node) continue;
      const exists = await api.readNode({ name }).then(
        () => true,
        (err: unknown) => {
          if (isNotFound(err)) return false;
          throw err;
        },
      );
      if (!exists) {
        await api.createNode({ body: labNode(ctx.site, pool, i) });
        restored.push(name);
      } else {
        await setDeviceAllocatable(api, name, pool, 0);
      }
    }
  }
  return restored;
}
