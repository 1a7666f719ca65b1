/**
 * One Node's devices as the agent reports them, read from the `suanwang.io/devices` annotation the node reporter
 * keeps (device-annotation.ts), and what they do to the Node's allocatable.
 *
 * | annotation                         | devices reported | health counts                         | unusable devices |
 * |------------------------------------|------------------|---------------------------------------|------------------|
 * | absent (no reporter on the node)   | none             | none: the pool makes no claim         | 0 (kubelet's view stands) |
 * | not decodable (garbage, new version) | none           | all of the node's devices Unknown     | all              |
 * | status Unknown (provider blind)    | none             | all of the node's devices Unknown     | all              |
 * | status Ok, stale                   | each listed one, as Unknown | listed: Unknown; not listed: Lost | all       |
 * | status Ok, fresh                   | each listed one  | Healthy (no reasons) / Degraded (Healthy with warnings) / Unhealthy / Unknown; not listed: Lost | Unhealthy + Unknown + Lost |
 *
 * "All of the node's devices" is the Node's capacity of its vendor's extended resource. A blind or broken reporter
 * counts as Unknown, never Healthy (research §(b): no visibility → no new placements on the node's accelerators).
 *
 * Not listed = Lost. When the tool lists fewer devices than the Node's capacity (7 of 8: a GPU fallen off the bus,
 * a driver that no longer sees it), the difference counts as Lost and is not allocatable: the device plugin may still
 * advertise it, but nothing can say it works.
 *
 * Fresh or stale. The report's last sample time (the annotation's `seen`, else `at`: device-annotation.ts) must be
 * within `maxAgeMs` of the agent's clock, either way; otherwise the reporter is dead, hung or cut off and what it said
 * last is history, so every listed device counts as Unknown. The default max age, DEFAULT_MAX_REPORT_AGE_MS, is
 * three of the reporter's default intervals: two rounds may be missed (a slow tool, a refused write) before the
 * devices go. A reporter run with a longer interval needs the agent's --device-report-max-age raised to match.
 * The reporter stamps with its node's clock and the agent judges with its own, so the max age also absorbs clock skew
 * between nodes: with the defaults (30 s interval plus at most a 10 s tool run, 90 s max age) a reporter's clock may
 * be about 50 s behind the agent's before its fresh reports look stale, and a clock ahead by s delays noticing a dead
 * reporter by s. A stamp more than the max age in the future cannot be judged and counts as stale too.
 *
 * Allocatable rule. On a real node the device plugin marks a bad device unhealthy and kubelet drops it from
 * allocatable (capacity keeps it). The reporter stands in for that signal — in the lab there is no device plugin,
 * and a real plugin may not see what the vendor tool sees — so the agent lowers the vendor resource's allocatable:
 *
 *   allocatable' = max(0, min(allocatable, capacity − unusable))
 *
 * Taking the minimum with kubelet's allocatable means a device the plugin already removed is not removed twice: when
 * kubelet's allocatable is already at least `unusable` below capacity, it stands as it is. One schedulable unit per
 * device is assumed (no time-slicing replicas, no MIG under the same resource name).
 */
import type { V1Node } from '@kubernetes/client-node';
import { ANNOTATION_DEVICES } from '../../api/names.ts';
import { VENDOR_INFO, type Vendor } from '../../api/vendors.ts';
import type { AnnotatedDevice } from './device-annotation.ts';
import { decodeDeviceAnnotation, lastSampleTime } from './device-annotation.ts';
import { DEFAULT_REPORT_INTERVAL_MS } from './node-reporter.ts';
import type { Device } from '../../wire/messages.ts';
import type { HealthStatus } from '../../wire/generated/suanwang/agent/v1/HealthStatus.ts';
import { addList, type Units } from './resource-units.ts';

const MIB = 2 ** 20;

/** HealthTally counts devices by wire status; lost counts devices the Node has but the report does not list. */
export interface HealthTally {
  healthy: number;
  degraded: number;
  unhealthy: number;
  unknown: number;
  lost: number;
}

/** DEFAULT_MAX_REPORT_AGE_MS is how old a report's last sample may be before its devices count as Unknown. */
export const DEFAULT_MAX_REPORT_AGE_MS = 3 * DEFAULT_REPORT_INTERVAL_MS;

/** ReportFreshness is what a report's age is judged against: the agent's clock and the max age. */
export interface ReportFreshness {
  /** now is the agent's time, in milliseconds since the epoch. */
  readonly now: number;
  readonly maxAgeMs: number;
}

/** NodeDevices is one Node's contribution to its pool's devices. */
export interface NodeDevices {
  readonly devices: Device[];
  /** counts is undefined when the Node carries no annotation at all. */
  readonly counts: HealthTally | undefined;
  /** unusable is how many devices must not receive work. */
  readonly unusable: number;
  /** allocatable is the Node's reported allocatable after the allocatable rule. */
  readonly allocatable: Units;
  /** freshUntil is when a report that is fresh now turns stale (ms since the epoch); undefined when nothing would change. */
  readonly freshUntil?: number;
}

/** DATA_SOURCE_PREFIX starts every Device.data_source the agent sets; the provider name follows. */
export const DATA_SOURCE_PREFIX = 'node-reporter/';

/** wireStatus maps a device's annotation health to the wire status. */
export function wireStatus(d: AnnotatedDevice): HealthStatus {
  switch (d.health) {
    case 'Healthy':
      return d.reasons !== undefined && d.reasons.length > 0 ? 'HEALTH_STATUS_DEGRADED' : 'HEALTH_STATUS_HEALTHY';
    case 'Unhealthy':
      return 'HEALTH_STATUS_UNHEALTHY';
    case 'Unknown':
      return 'HEALTH_STATUS_UNKNOWN';
  }
}

function nodeMemoryMiB(node: V1Node, vendor: Vendor | undefined): number | undefined {
  if (vendor !== 'nvidia') return undefined;
  const raw = node.metadata?.labels?.['nvidia.com/gpu.memory'];
  const v = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** staleReason says why a report whose last sample was at `stamp` is not believed now; undefined when it is fresh. */
function staleReason(stamp: string, freshness: ReportFreshness): string | undefined {
  const sampled = Date.parse(stamp);
  if (Number.isFinite(sampled) && Math.abs(freshness.now - sampled) <= freshness.maxAgeMs) return undefined;
  // Worded without the current time, so a report that stays stale gives the same pools on every rebuild.
  return `node reporter's last sample at ${stamp} is more than ${freshness.maxAgeMs / 1000}s from the agent's clock`;
}

/**
 * DECODED remembers each Node object's decoded annotation: the agent rebuilds its pools on every pod change, and its
 * cached Nodes are replaced, never changed, when they change at the apiserver. Keyed weakly, so a replaced Node's
 * entry goes with it.
 */
const DECODED = new WeakMap<V1Node, { readonly raw: string; readonly report: ReturnType<typeof decodeDeviceAnnotation> }>();

function decodedAnnotation(node: V1Node, raw: string): ReturnType<typeof decodeDeviceAnnotation> {
  const known = DECODED.get(node);
  if (known !== undefined && known.raw === raw) return known.report;
  const report = decodeDeviceAnnotation(raw);
  DECODED.set(node, { raw, report });
  return report;
}

/**
 * COMPUTED remembers each Node object's NodeDevices, with what else it was computed from: the vendor, the max age and
 * whether (and why) the report was stale. The same Node gives the same result until its report turns stale, so a
 * rebuild on a pod change computes nothing anew for its nodes' devices (at 1,000 nodes of 8 devices, about 6 MiB of
 * garbage per rebuild otherwise; bench/agent-footprint.bench.ts). Callers only read the result.
 */
const COMPUTED = new WeakMap<V1Node, { readonly vendor: Vendor | undefined; readonly maxAgeMs: number; readonly stale: string | undefined; readonly result: NodeDevices }>();

/** nodeDevices reads one Node's annotation and applies the rules in the module comment. */
export function nodeDevices(node: V1Node, vendor: Vendor | undefined, freshness: ReportFreshness): NodeDevices {
  const raw = node.metadata?.annotations?.[ANNOTATION_DEVICES];
  const a = raw === undefined ? undefined : decodedAnnotation(node, raw);
  const stale = a === undefined || a.status !== 'Ok' || a.devices.length === 0 ? undefined : staleReason(lastSampleTime(a), freshness);
  const known = COMPUTED.get(node);
  if (known !== undefined && known.vendor === vendor && known.maxAgeMs === freshness.maxAgeMs && known.stale === stale) return known.result;
  const result = computeNodeDevices(node, vendor, freshness, raw === undefined ? 'none' : a, stale);
  COMPUTED.set(node, { vendor, maxAgeMs: freshness.maxAgeMs, stale, result });
  return result;
}

/** computeNodeDevices is nodeDevices for annotation `a` ('none' without one) and its staleness, worked out by the caller. */
function computeNodeDevices(
  node: V1Node,
  vendor: Vendor | undefined,
  freshness: ReportFreshness,
  a: ReturnType<typeof decodeDeviceAnnotation> | 'none',
  stale: string | undefined,
): NodeDevices {
  const name = node.metadata?.name ?? '';
  const capacity: Units = new Map();
  const allocatable: Units = new Map();
  addList(capacity, node.status?.capacity);
  addList(allocatable, node.status?.allocatable);
  const resource = vendor === undefined ? undefined : VENDOR_INFO[vendor].resourceName;
  const deviceCapacity = resource === undefined ? 0 : (capacity.get(resource) ?? 0);

  if (a === 'none') return { devices: [], counts: undefined, unusable: 0, allocatable };

  let devices: Device[] = [];
  let freshUntil: number | undefined;
  const counts: HealthTally = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0, lost: 0 };
  if (a === undefined || a.status !== 'Ok' || a.devices.length === 0) {
    counts.unknown = deviceCapacity;
  } else {
    if (stale === undefined) freshUntil = Date.parse(lastSampleTime(a)) + freshness.maxAgeMs;
    const labelMiB = nodeMemoryMiB(node, vendor);
    devices = [...a.devices]
      .sort((x, y) => x.i - y.i)
      .map((d): Device => {
        const status = stale === undefined ? wireStatus(d) : 'HEALTH_STATUS_UNKNOWN';
        if (status === 'HEALTH_STATUS_HEALTHY') counts.healthy++;
        else if (status === 'HEALTH_STATUS_DEGRADED') counts.degraded++;
        else if (status === 'HEALTH_STATUS_UNHEALTHY') counts.unhealthy++;
        else counts.unknown++;
        const memMiB = d.memMiB ?? labelMiB;
        return {
          id: d.id ?? `${name}/${d.i}`,
          nodeName: name,
          model: d.model,
          index: d.i,
          health: { status, reasons: stale === undefined ? [...(d.reasons ?? [])] : [stale] },
          ...(memMiB === undefined ? {} : { telemetry: { memoryTotalBytes: Math.round(memMiB * MIB) } }),
          dataSource: `${DATA_SOURCE_PREFIX}${a.provider}`,
        };
      });
    counts.lost = Math.max(0, deviceCapacity - devices.length);
  }
  const unusable = counts.unhealthy + counts.unknown + counts.lost;
  if (resource !== undefined && unusable > 0) {
    const alloc = allocatable.get(resource);
    const cap = capacity.get(resource) ?? alloc;
    if (alloc !== undefined && cap !== undefined) allocatable.set(resource, Math.max(0, Math.min(alloc, cap - unusable)));
  }
  return { devices, counts, unusable, allocatable, ...(freshUntil === undefined ? {} : { freshUntil }) };
}
