/**
 * Reading devices out of a DRA ResourceSlice (`resource.k8s.io/v1`). On clusters that use DRA, GPUs are not in the
 * node's allocatable at all (research §3, pitfall 19), so the agent learns the inventory from the slices. A slice
 * publishes devices, not their health: a device is Unhealthy when it carries a NoSchedule/NoExecute device taint (the
 * DRA way to fence a bad device) and Unknown otherwise, until a device provider on the node says more.
 */
import type { Vendor } from '../../api/vendors.ts';
import { parseQuantity } from '../../api/quantity.ts';
import { isObject, type JsonObject } from './json-value.ts';
import { optional } from './measure.ts';
import { normalizePciBusId } from './pci.ts';
import type { Device } from './types.ts';

/** DRA_DRIVER_VENDORS maps DRA driver names to vendors; a slice from another driver is not read. */
export const DRA_DRIVER_VENDORS: Readonly<Record<string, Vendor>> = { 'gpu.nvidia.com': 'nvidia' };

/** SliceDevices is the devices of one slice, with the pool they belong to, or why the slice could not be read. */
export type SliceDevices =
  | {
      readonly ok: true;
      readonly driver: string;
      readonly nodeName?: string;
      readonly pool: { readonly name: string; readonly generation: number; readonly resourceSliceCount: number };
      readonly devices: readonly Device[];
    }
  | { readonly ok: false; readonly reason: string };

/** sliceDevices reads a ResourceSlice object (as the API returns it) into Devices; MIG partitions are skipped. */
export function sliceDevices(slice: unknown): SliceDevices {
  if (!isObject(slice) || slice['kind'] !== 'ResourceSlice' || !isObject(slice['spec'])) {
    return { ok: false, reason: 'not a ResourceSlice' };
  }
  const spec = slice['spec'];
  const driver = spec['driver'];
  if (typeof driver !== 'string') return { ok: false, reason: 'ResourceSlice has no spec.driver' };
  const vendor = DRA_DRIVER_VENDORS[driver];
  if (vendor === undefined) return { ok: false, reason: `ResourceSlice driver ${driver} is not a known accelerator driver` };
  const pool = spec['pool'];
  if (!isObject(pool) || typeof pool['name'] !== 'string' || typeof pool['generation'] !== 'number' || typeof pool['resourceSliceCount'] !== 'number') {
    return { ok: false, reason: 'ResourceSlice has no complete spec.pool' };
  }
  const list = spec['devices'] ?? [];
  if (!Array.isArray(list)) return { ok: false, reason: 'ResourceSlice spec.devices is not a list' };
  const devices: Device[] = [];
  for (const [position, entry] of list.entries()) {
    if (!isObject(entry) || typeof entry['name'] !== 'string') return { ok: false, reason: `spec.devices[${position}] has no name` };
    const attrs = isObject(entry['attributes']) ? entry['attributes'] : {};
    if (attr(attrs, 'type', 'string') === 'mig') continue;
    devices.push(toDevice(entry, attrs, vendor, position));
  }
  const nodeName = spec['nodeName'];
  return {
    ok: true,
    driver,
    ...optional('nodeName', typeof nodeName === 'string' ? nodeName : undefined),
    pool: { name: pool['name'], generation: pool['generation'], resourceSliceCount: pool['resourceSliceCount'] },
    devices,
  };
}

/** attr reads a typed DRA attribute ({string: …}, {int: …}, {version: …}). */
function attr(attrs: JsonObject, name: string, type: 'string' | 'int' | 'version'): string | number | undefined {
  const a = attrs[name];
  if (!isObject(a)) return undefined;
  const v = a[type];
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
}

function toDevice(entry: JsonObject, attrs: JsonObject, vendor: Vendor, position: number): Device {
  const name = String(entry['name']);
  const indexAttr = attr(attrs, 'index', 'int');
  const fromName = /(\d+)$/.exec(name)?.[1];
  const index = typeof indexAttr === 'number' ? indexAttr : fromName === undefined ? position : Number(fromName);
  const capacity = isObject(entry['capacity']) ? entry['capacity'] : {};
  const memory = isObject(capacity['memory']) ? capacity['memory']['value'] : undefined;
  const bytes = typeof memory === 'string' || typeof memory === 'number' ? parseQuantity(memory) : undefined;
  const bus = attr(attrs, 'resource.kubernetes.io/pciBusID', 'string');
  const uuid = attr(attrs, 'uuid', 'string');
  const model = attr(attrs, 'productName', 'string');
  const taints = (Array.isArray(entry['taints']) ? entry['taints'] : []).filter(
    (t): t is JsonObject => isObject(t) && (t['effect'] === 'NoSchedule' || t['effect'] === 'NoExecute'),
  );
  return {
    index,
    ...optional('uuid', typeof uuid === 'string' ? uuid : undefined),
    ...optional('pciBusId', typeof bus === 'string' ? normalizePciBusId(bus) : undefined),
    vendor,
    model: typeof model === 'string' ? model : '',
    ...optional('memoryTotalMiB', bytes === undefined ? undefined : Math.round(bytes / 2 ** 20)),
    health: taints.length > 0 ? 'Unhealthy' : 'Unknown',
    healthReasons:
      taints.length > 0
        ? taints.map((t) => `DRA device taint ${String(t['key'])}=${String(t['value'] ?? '')}:${String(t['effect'])}`)
        : ['a ResourceSlice carries no device health'],
  };
}
