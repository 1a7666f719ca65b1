/**
 * What the site agent sends when its pools change (pure): a delta of the pools that differ from the last sent, and a
 * health event per device whose usability changed.
 *
 * Pools are compared by their content: buildPools emits everything in a fixed order, so equal pools give equal JSON.
 * The agent keeps only a digest of each pool between builds (poolDigest), made from the digests of its records.
 *
 * Device health events track three states, Usable (Healthy or Degraded), Unhealthy and Unknown:
 *
 * | before → after                               | code            | severity | resolved |
 * |----------------------------------------------|-----------------|----------|----------|
 * | Usable or Unknown → Unhealthy                | DeviceUnhealthy | CRITICAL | false    |
 * | Usable or Unhealthy → Unknown                | DeviceUnknown   | WARNING  | false    |
 * | Unhealthy or Unknown → Usable                | DeviceRecovered | INFO     | true     |
 * | listed → no longer listed, node still there  | DeviceUnknown   | WARNING  | false    |
 * | not listed → listed and not Usable           | as its state    |          |          |
 *
 * "No longer listed" is what a node whose reporter went blind looks like (its annotation's status is Unknown and lists
 * no devices); such a device is remembered as Unknown, so it raises DeviceRecovered when it is listed healthy again.
 * A device on a node that left the site raises nothing and is forgotten — the pool delta says the node is gone.
 * The first build after start raises nothing either: the snapshot carries the state.
 */
import { createHash } from 'node:crypto';
import type { Device, HealthEvent, NodePool } from '../../wire/messages.ts';

/** PoolDelta is the pool part of a SiteDelta. */
export interface PoolDelta {
  readonly upsertedPools: NodePool[];
  readonly removedPoolNames: string[];
}

/** PoolDigests is a digest (SHA-256) of each pool's JSON, by pool name: what pools are compared by. */
export type PoolDigests = ReadonlyMap<string, string>;

/**
 * RECORD_DIGESTS remembers the digest of each wire Node and Device record's JSON. Builds hand out the same records
 * again while they do not change (pool-builder.ts WIRE_NODES, node-devices.ts), so a pool is digested from its few
 * fields and one remembered digest per node and device, instead of serialising the whole pool on every rebuild: a
 * 1,000-node pool's JSON is over 2 MB, made and dropped every time a pod starts or ends.
 */
const RECORD_DIGESTS = new WeakMap<object, string>();

function recordDigest(record: object): string {
  let digest = RECORD_DIGESTS.get(record);
  if (digest === undefined) {
    digest = createHash('sha256').update(JSON.stringify(record)).digest('base64');
    RECORD_DIGESTS.set(record, digest);
  }
  return digest;
}

/**
 * poolDigest digests a pool: its own fields' JSON, then each node's and each device's record digest in order (a
 * base64 digest holds no newline, and neither does JSON.stringify's output, so the pieces cannot run together).
 * Equal pools give equal digests, as their JSON would.
 */
export function poolDigest(pool: NodePool): string {
  const { nodes, devices, ...fields } = pool;
  const hash = createHash('sha256').update(JSON.stringify(fields));
  hash.update('\nnodes');
  for (const n of nodes ?? []) hash.update('\n').update(recordDigest(n));
  hash.update('\ndevices');
  for (const d of devices ?? []) hash.update('\n').update(recordDigest(d));
  return hash.digest('base64');
}

/** poolDigests digests each pool, by name. */
export function poolDigests(pools: readonly NodePool[]): PoolDigests {
  return new Map(pools.map((p) => [p.name ?? '', poolDigest(p)]));
}

/**
 * diffPoolDigests is diffPools against the digests of the pools before (the agent keeps those of the last sent pools,
 * so each rebuild serialises the site once, not twice); it also returns the digests of `after`.
 */
export function diffPoolDigests(before: PoolDigests, after: readonly NodePool[]): { readonly delta: PoolDelta | undefined; readonly digests: PoolDigests } {
  const digests = poolDigests(after);
  const upsertedPools = after.filter((p) => before.get(p.name ?? '') !== digests.get(p.name ?? ''));
  const removedPoolNames = [...before.keys()].filter((n) => !digests.has(n)).sort();
  const changed = upsertedPools.length > 0 || removedPoolNames.length > 0;
  return { delta: changed ? { upsertedPools, removedPoolNames } : undefined, digests };
}

/** diffPools returns the pools to upsert and remove to turn `before` into `after`; undefined when nothing changed. */
export function diffPools(before: readonly NodePool[], after: readonly NodePool[]): PoolDelta | undefined {
  return diffPoolDigests(poolDigests(before), after).delta;
}

/** HealthEventCode holds the codes of device health events. */
export const HealthEventCode = {
  DeviceUnhealthy: 'DeviceUnhealthy',
  DeviceUnknown: 'DeviceUnknown',
  DeviceRecovered: 'DeviceRecovered',
} as const;

/** Usability is the health a device event tracks. */
export type Usability = 'Usable' | 'Unhealthy' | 'Unknown';

/** DeviceState is one device in a baseline: its pool, its last record and its usability. */
export interface DeviceState {
  readonly pool: string;
  readonly device: Device;
  readonly state: Usability;
}

function usability(d: Device): Usability {
  switch (d.health?.status) {
    case 'HEALTH_STATUS_HEALTHY':
    case 'HEALTH_STATUS_DEGRADED':
      return 'Usable';
    case 'HEALTH_STATUS_UNHEALTHY':
    case 'HEALTH_STATUS_LOST':
      return 'Unhealthy';
    default:
      return 'Unknown';
  }
}

/** DeviceBaseline is the device states events are computed against; keep the one healthChanges returns. */
export type DeviceBaseline = ReadonlyMap<string, DeviceState>;

/**
 * KEYS remembers each Device record's baseline key: nodeDevices (node-devices.ts) hands the same records to every
 * build until their Node changes, so the key is made once, not on every rebuild.
 */
const KEYS = new WeakMap<Device, string>();

function keyOf(d: Device): string {
  let key = KEYS.get(d);
  if (key === undefined) {
    key = `${d.nodeName ?? ''}/${d.id ?? ''}`;
    KEYS.set(d, key);
  }
  return key;
}

/** baselineOf indexes the pools' devices; a device record `previous` holds in the same pool keeps its entry there. */
function baselineOf(pools: readonly NodePool[], previous?: DeviceBaseline): Map<string, DeviceState> {
  const out = new Map<string, DeviceState>();
  for (const p of pools) {
    const pool = p.name ?? '';
    for (const d of p.devices ?? []) {
      const key = keyOf(d);
      const was = previous?.get(key);
      out.set(key, was !== undefined && was.device === d && was.pool === pool ? was : { pool, device: d, state: usability(d) });
    }
  }
  return out;
}

/** deviceBaseline indexes a build's devices by node and id: the baseline of the first build, which raises no events. */
export function deviceBaseline(pools: readonly NodePool[]): DeviceBaseline {
  return baselineOf(pools);
}

function nodesOf(pools: readonly NodePool[]): Set<string> {
  return new Set(pools.flatMap((p) => (p.nodes ?? []).map((n) => n.name ?? '')));
}

/** HealthChange is a health event without its id, which the caller assigns. */
export type HealthChange = Omit<HealthEvent, 'eventId'>;

function change(seen: DeviceState, to: Usability, why: string): HealthChange {
  const d = seen.device;
  const where = `device ${d.index ?? '?'} (${d.id ?? ''}) on ${d.nodeName ?? ''}`;
  const base = { pool: seen.pool, nodeName: d.nodeName ?? '', deviceId: d.id ?? '' };
  switch (to) {
    case 'Unhealthy':
      return { ...base, code: HealthEventCode.DeviceUnhealthy, severity: 'SEVERITY_CRITICAL', message: `${where} is unhealthy: ${why}`, resolved: false };
    case 'Unknown':
      return { ...base, code: HealthEventCode.DeviceUnknown, severity: 'SEVERITY_WARNING', message: `${where} health is unknown: ${why}`, resolved: false };
    case 'Usable':
      return { ...base, code: HealthEventCode.DeviceRecovered, severity: 'SEVERITY_INFO', message: `${where} is healthy again`, resolved: true };
  }
}

function reasonsOf(d: Device): string {
  const r = d.health?.reasons ?? [];
  return r.length === 0 ? 'no reason given' : r.join(', ');
}

/** HealthChanges is the outcome of healthChanges: the events, and the baseline for the next comparison. */
export interface HealthChanges {
  readonly events: HealthChange[];
  readonly baseline: DeviceBaseline;
}

/**
 * healthChanges lists the device health events between the baseline and a new build, ordered by node and device
 * (table above). A device no longer listed on a live node stays in the returned baseline as Unknown, so that it
 * raises DeviceRecovered when it is listed healthy again.
 */
export function healthChanges(baseline: DeviceBaseline, after: readonly NodePool[]): HealthChanges {
  const next = baselineOf(after, baseline);
  const liveNodes = nodesOf(after);
  // Each key raises at most one event; they are ordered by key at the end (fewer keys than devices change).
  const changed: { readonly key: string; readonly event: HealthChange }[] = [];
  for (const [key, now] of next) {
    const from = baseline.get(key)?.state ?? 'Usable';
    if (from !== now.state) changed.push({ key, event: change(now, now.state, reasonsOf(now.device)) });
  }
  for (const [key, was] of baseline) {
    if (next.has(key) || !liveNodes.has(was.device.nodeName ?? '')) continue;
    if (was.state !== 'Unknown') changed.push({ key, event: change(was, 'Unknown', "the node's reporter no longer lists it") });
    next.set(key, { ...was, state: 'Unknown' });
  }
  changed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { events: changed.map((c) => c.event), baseline: next };
}
