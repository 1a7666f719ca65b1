/**
 * The Node annotation `suanwang.io/devices` (ANNOTATION_DEVICES): how `suanwang node-reporter` hands a node's device
 * inventory and health to the site agent, through the Node object rather than a socket, so the agent needs nothing
 * but its Node watch and every `kubectl get node -o yaml` shows what the agent saw.
 *
 * The value is compact JSON, version 1:
 *
 *   {"v":1,"provider":"nvidia-smi","tool":"nvidia-smi","at":"2026-01-01T00:00:00.000Z",
 *    "seen":"2026-01-01T00:05:00.000Z","status":"Ok",
 *    "devices":[{"i":0,"id":"GPU-…","model":"NVIDIA H100 80GB HBM3","memMiB":81559,"health":"Healthy"}]}
 *
 * - `at` is the sample time of the report that produced this state: the reporter keeps it while the state holds
 *   (see sameDeviceState), so `at` reads "observed like this since".
 * - `seen` is the time of the latest sample, refreshed every round even when nothing else changed: it is how the
 *   agent tells a live reporter from a dead one (node-devices.ts treats a report whose last sample is too old as
 *   Unknown). An annotation written before `seen` existed still decodes; its last sample time is then `at`
 *   (lastSampleTime), which is never later than the real last sample, so such a report can only look older than it
 *   is — stale once its state has been steady for longer than the agent's max age, never fresher.
 * - `status` is 'Unknown' when the provider could not see the devices; `reason` then says why and `devices` is empty.
 * - Per device: tool index `i`, vendor id `id` (when the tool prints one), model, total memory, health, and up to
 *   MAX_REASONS reasons of at most MAX_REASON_CHARS characters. The caps keep 16 devices under ~15 KiB, far below
 *   Kubernetes' 256 KiB limit on all of an object's annotations together — telemetry stays out for the same reason.
 *
 * Decoding validates everything: a value that is not exactly this shape decodes to an error, never to Healthy.
 */
import type { DeviceHealth, DeviceReport, ReportStatus } from '../devices/types.ts';

/** DEVICE_ANNOTATION_VERSION is the `v` field of the annotation this code writes and reads. */
export const DEVICE_ANNOTATION_VERSION = 1;
/** MAX_REASONS is how many reasons per device the annotation keeps (most severe first, as the providers order them). */
export const MAX_REASONS = 4;
/** MAX_REASON_CHARS caps each reason, and the report-level reason. */
export const MAX_REASON_CHARS = 200;
const MAX_MODEL_CHARS = 128;

/** AnnotatedDevice is one device in the annotation. */
export interface AnnotatedDevice {
  /** i is the vendor tool's index. */
  readonly i: number;
  /** id is the vendor's stable id (GPU UUID), when the tool prints one. */
  readonly id?: string;
  readonly model: string;
  /** memMiB is the device's total memory in MiB, when the tool prints it. */
  readonly memMiB?: number;
  readonly health: DeviceHealth;
  /** reasons explain the health (warnings on a Healthy device); absent when there are none. */
  readonly reasons?: readonly string[];
}

/** DeviceAnnotation is the decoded annotation value. */
export interface DeviceAnnotation {
  readonly v: typeof DEVICE_ANNOTATION_VERSION;
  readonly provider: string;
  readonly tool: string;
  /** at is the RFC 3339 time of the first sample that showed this state. */
  readonly at: string;
  /** seen is the RFC 3339 time of the latest sample; absent in annotations written before it existed. */
  readonly seen?: string;
  readonly status: ReportStatus;
  readonly reason?: string;
  readonly devices: readonly AnnotatedDevice[];
}

/** ParseResult is the outcome of parsing an annotation value. */
export type ParseResult = { readonly ok: true; readonly value: DeviceAnnotation } | { readonly ok: false; readonly error: string };

function cap(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** toDeviceAnnotation keeps the parts of a report the annotation carries, capped as the module comment says. */
export function toDeviceAnnotation(report: DeviceReport): DeviceAnnotation {
  const devices = [...report.devices]
    .sort((a, b) => a.index - b.index)
    .map((d): AnnotatedDevice => {
      const reasons = d.healthReasons.slice(0, MAX_REASONS).map((r) => cap(r, MAX_REASON_CHARS));
      return {
        i: d.index,
        ...(d.uuid === undefined || d.uuid === '' ? {} : { id: d.uuid }),
        model: cap(d.model, MAX_MODEL_CHARS),
        ...(d.memoryTotalMiB === undefined ? {} : { memMiB: d.memoryTotalMiB }),
        health: d.health,
        ...(reasons.length === 0 ? {} : { reasons }),
      };
    });
  return {
    v: DEVICE_ANNOTATION_VERSION,
    provider: report.provider,
    tool: report.tool,
    at: report.observedAt,
    seen: report.observedAt,
    status: report.status,
    ...(report.reason === undefined ? {} : { reason: cap(report.reason, MAX_REASON_CHARS) }),
    devices,
  };
}

/**
 * encodeDeviceAnnotation renders the annotation value. Keys are written in one fixed order, so equal annotations
 * encode to equal strings (sameDeviceState relies on it).
 */
export function encodeDeviceAnnotation(a: DeviceAnnotation | DeviceReport): string {
  const v = 'v' in a ? a : toDeviceAnnotation(a);
  return JSON.stringify({
    v: v.v,
    provider: v.provider,
    tool: v.tool,
    at: v.at,
    ...(v.seen === undefined ? {} : { seen: v.seen }),
    status: v.status,
    ...(v.reason === undefined ? {} : { reason: v.reason }),
    devices: v.devices.map((d) => ({
      i: d.i,
      ...(d.id === undefined ? {} : { id: d.id }),
      model: d.model,
      ...(d.memMiB === undefined ? {} : { memMiB: d.memMiB }),
      health: d.health,
      ...(d.reasons === undefined ? {} : { reasons: d.reasons }),
    })),
  });
}

/** sameDeviceState is true when two annotations differ at most in their sample times `at` and `seen`. */
export function sameDeviceState(a: DeviceAnnotation, b: DeviceAnnotation): boolean {
  return stateOf(a) === stateOf(b);
}

function stateOf(a: DeviceAnnotation): string {
  const { seen: _seen, ...state } = a;
  return encodeDeviceAnnotation({ ...state, at: '' });
}

/** lastSampleTime is the RFC 3339 time of the annotation's latest sample: `seen`, or `at` when it has none. */
export function lastSampleTime(a: DeviceAnnotation): string {
  return a.seen ?? a.at;
}

const HEALTH: readonly string[] = ['Healthy', 'Unhealthy', 'Unknown'] satisfies readonly DeviceHealth[];
const STATUS: readonly string[] = ['Ok', 'Unknown'] satisfies readonly ReportStatus[];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** parseDeviceAnnotation validates an annotation value; every problem is an error, never a default. */
export function parseDeviceAnnotation(value: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isRecord(raw)) return { ok: false, error: 'not a JSON object' };
  if (raw['v'] !== DEVICE_ANNOTATION_VERSION) return { ok: false, error: `unsupported version ${JSON.stringify(raw['v'])}` };
  const { provider, tool, at, seen, status, reason, devices } = raw;
  if (typeof provider !== 'string' || provider === '') return { ok: false, error: 'provider must be a non-empty string' };
  if (typeof tool !== 'string') return { ok: false, error: 'tool must be a string' };
  if (typeof at !== 'string') return { ok: false, error: 'at must be a string' };
  if (seen !== undefined && typeof seen !== 'string') return { ok: false, error: 'seen must be a string' };
  if (typeof status !== 'string' || !STATUS.includes(status)) return { ok: false, error: `status must be one of ${STATUS.join(', ')}` };
  if (reason !== undefined && typeof reason !== 'string') return { ok: false, error: 'reason must be a string' };
  if (!Array.isArray(devices)) return { ok: false, error: 'devices must be an array' };
  const out: AnnotatedDevice[] = [];
  const indexes = new Set<number>();
  for (const [n, d] of devices.entries()) {
    const parsed = parseDevice(d);
    if (typeof parsed === 'string') return { ok: false, error: `devices[${n}]: ${parsed}` };
    if (indexes.has(parsed.i)) return { ok: false, error: `devices[${n}]: index ${parsed.i} listed twice` };
    indexes.add(parsed.i);
    out.push(parsed);
  }
  return {
    ok: true,
    value: {
      v: DEVICE_ANNOTATION_VERSION,
      provider,
      tool,
      at,
      ...(seen === undefined ? {} : { seen }),
      status: status as ReportStatus,
      ...(reason === undefined ? {} : { reason }),
      devices: out,
    },
  };
}

/** parseDevice returns the device or a description of what is wrong with it. */
function parseDevice(d: unknown): AnnotatedDevice | string {
  if (!isRecord(d)) return 'not an object';
  const { i, id, model, memMiB, health, reasons } = d;
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) return 'i must be a non-negative integer';
  if (id !== undefined && (typeof id !== 'string' || id === '')) return 'id must be a non-empty string';
  if (typeof model !== 'string') return 'model must be a string';
  if (memMiB !== undefined && (typeof memMiB !== 'number' || !Number.isFinite(memMiB) || memMiB < 0)) {
    return 'memMiB must be a non-negative number';
  }
  if (typeof health !== 'string' || !HEALTH.includes(health)) return `health must be one of ${HEALTH.join(', ')}`;
  if (reasons !== undefined && (!Array.isArray(reasons) || !reasons.every((r) => typeof r === 'string'))) {
    return 'reasons must be an array of strings';
  }
  return {
    i,
    ...(id === undefined ? {} : { id }),
    model,
    ...(memMiB === undefined ? {} : { memMiB }),
    health: health as DeviceHealth,
    ...(reasons === undefined ? {} : { reasons: reasons as string[] }),
  };
}

/** decodeDeviceAnnotation is parseDeviceAnnotation for callers that only need "usable or not": garbage → undefined. */
export function decodeDeviceAnnotation(value: string | undefined): DeviceAnnotation | undefined {
  if (value === undefined) return undefined;
  const r = parseDeviceAnnotation(value);
  return r.ok ? r.value : undefined;
}
