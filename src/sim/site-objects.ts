/**
 * The Site objects the simulated operator reads: spec as the lab registers a topology's site (region, labels, prices
 * per device-hour), status as a healthy agent reports it — Ready, and per pool its nodes, allocatable, allocated (what
 * the bound workers request) and free shape. The engine then builds its snapshot from these with buildSnapshot, as
 * the controllers do from the hub's cache: the same input, through the same code.
 *
 * The statuses are exact and current: a simulated agent reports at once, so nothing is ever promised-but-unreported
 * between cycles (within one cycle admissionCycle keeps its own books).
 */
import type { NodePool, Site } from '../api/generated/types.ts';
import { API_VERSION, ConditionStatus, ConditionType, ConnectionMode, Kind } from '../api/names.ts';
import { productLabelValue } from '../api/vendors.ts';
import { buildSnapshot, type SiteInfo, type Snapshot } from '../placement/snapshot.ts';
import { compare, type PoolState, type SiteState } from './fleet.ts';
import { poolShape, type FreeNode } from '../api/free-shape.ts';

/** SIM_EPOCH is the time every condition says it last changed: the virtual clock has no calendar. */
const SIM_EPOCH = '1970-01-01T00:00:00Z';

/**
 * SiteObjects keeps one Site per fleet site and rebuilds a pool's status only when its nodes changed; likewise the
 * snapshot: buildSnapshot runs per site, for the sites that changed since the last snapshot (one cycle usually
 * changes one or two of them), and the snapshot is those sites in name order — what buildSnapshot of all of them
 * gives, at a fraction of the parsing.
 */
export class SiteObjects {
  readonly #sites: readonly SiteState[];
  readonly #pools = new Map<PoolState, { version: number; status: NodePool }>();
  readonly #infos = new Map<SiteState, { versions: string; info: SiteInfo }>();

  constructor(sites: readonly SiteState[]) {
    this.#sites = sites;
  }

  /** current returns every site as a Site object, in name order. */
  current(): Site[] {
    return this.#sites.map((s) => this.#site(s));
  }

  /** snapshot is buildSnapshot(current()), rebuilt only for the sites that changed. */
  snapshot(): Snapshot {
    const sites: SiteInfo[] = [];
    for (const s of this.#sites) {
      const versions = s.pools.map((p) => p.version).join(',');
      let known = this.#infos.get(s);
      if (known === undefined || known.versions !== versions) {
        known = { versions, info: buildSnapshot([this.#site(s)]).sites[0] as SiteInfo };
        this.#infos.set(s, known);
      }
      sites.push(known.info);
    }
    return { sites: sites.sort((a, b) => compare(a.name, b.name)) };
  }

  #site(s: SiteState): Site {
    return siteObject(s, s.pools.map((p) => this.#poolStatus(p)));
  }

  #poolStatus(p: PoolState): NodePool {
    const known = this.#pools.get(p);
    if (known !== undefined && known.version === p.version) return known.status;
    const status = poolStatus(p);
    this.#pools.set(p, { version: p.version, status });
    return status;
  }
}

/** siteObject is the Site for a site state with the given pool statuses. */
function siteObject(s: SiteState, pools: NodePool[]): Site {
  const prices = new Map<string, number>();
  for (const p of s.pools) {
    const a = p.spec.accelerator;
    if (a?.pricePerHour !== undefined) prices.set(productLabelValue(a.model), a.pricePerHour);
  }
  return {
    apiVersion: API_VERSION,
    kind: Kind.Site,
    metadata: { name: s.name },
    spec: {
      region: s.spec.region,
      labels: { ...s.spec.labels },
      connection: { mode: ConnectionMode.Push },
      pricing: { currency: s.spec.currency, accelerators: [...prices].sort(([a], [b]) => compare(a, b)).map(([model, pricePerHour]) => ({ model, pricePerHour })) },
    },
    status: {
      conditions: [{ type: ConditionType.Ready, status: ConditionStatus.True, lastTransitionTime: SIM_EPOCH, reason: 'Simulated', message: 'simulated site' }],
      nodePools: pools,
    },
  };
}

/** poolStatus is a pool as the agent reports it: totals in quantities (cpu in cores, memory in bytes) and its shape. */
export function poolStatus(p: PoolState): NodePool {
  const nodes = p.freeDevices.length;
  const a = p.spec.accelerator;
  const allocatable: Record<string, number> = { cpu: (p.nodeCpuMilli * nodes) / 1000, memory: p.nodeMemory * nodes };
  const allocated: Record<string, number> = { cpu: p.allocatedCpuMilli / 1000, memory: p.allocatedMemory };
  if (a !== undefined) {
    allocatable[a.resourceName] = p.nodeDevices * nodes;
    allocated[a.resourceName] = p.allocatedDevices;
  }
  const free: FreeNode[] = [];
  for (let n = 0; n < nodes; n++) free.push({ devices: p.freeDevices[n] as number, cpuMilli: p.freeCpuMilli[n] as number, memoryBytes: p.freeMemory[n] as number });
  const shape = poolShape(free, a !== undefined);
  return {
    name: p.name,
    architecture: p.spec.architecture,
    ...(a === undefined
      ? {}
      : {
          accelerator: {
            vendor: a.vendor,
            model: productLabelValue(a.model),
            resourceName: a.resourceName,
            memory: `${a.memoryGiB}Gi`,
            precisions: a.precisions as NonNullable<NonNullable<NodePool['accelerator']>['precisions']>,
            count: a.count,
          },
        }),
    nodes,
    readyNodes: nodes,
    capacity: allocatable,
    allocatable,
    allocated,
    healthyDevices: a === undefined ? 0 : p.nodeDevices * nodes,
    unhealthyDevices: 0,
    freeShape: shape.map((g) => ({ nodes: g.nodes, devices: g.devices, cpu: g.cpuMilli / 1000, memory: g.memoryBytes })),
  };
}
