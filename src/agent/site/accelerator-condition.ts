/**
 * The Node condition `AcceleratorHealthy` (NODE_CONDITION_ACCELERATORS) that `suanwang node-reporter` keeps beside the
 * device annotation: the one-line verdict people see in `kubectl describe node`, and that taint-based tooling
 * (node-problem-detector style remediation, a cordoning controller) can act on without parsing the annotation.
 *
 * | condition | reason            | when                                                             |
 * |-----------|-------------------|------------------------------------------------------------------|
 * | True      | AllDevicesHealthy | the provider saw its devices and every one is Healthy           |
 * | False     | DevicesUnhealthy  | at least one device is Unhealthy                                 |
 * | Unknown   | DevicesUnknown    | none Unhealthy, but at least one device's health could not be read |
 * | Unknown   | ProviderUnknown   | the provider could not see the devices (tool missing, hung, …)  |
 *
 * The message is built only from the annotation's content (never the sample time) in device-index order, so the same
 * state always gives the same message and an unchanged node is never rewritten.
 */
import { ConditionStatus, NODE_CONDITION_ACCELERATORS, type ConditionStatusValue } from '../../api/names.ts';
import type { AnnotatedDevice, DeviceAnnotation } from './device-annotation.ts';

/** AcceleratorReason holds the reasons of the AcceleratorHealthy condition. */
export const AcceleratorReason = {
  AllDevicesHealthy: 'AllDevicesHealthy',
  DevicesUnhealthy: 'DevicesUnhealthy',
  DevicesUnknown: 'DevicesUnknown',
  ProviderUnknown: 'ProviderUnknown',
} as const;
export type AcceleratorReasonName = (typeof AcceleratorReason)[keyof typeof AcceleratorReason];

/** AcceleratorCondition is the condition without its times, which the writer adds. */
export interface AcceleratorCondition {
  readonly type: typeof NODE_CONDITION_ACCELERATORS;
  readonly status: ConditionStatusValue;
  readonly reason: AcceleratorReasonName;
  readonly message: string;
}

/** MAX_MESSAGE_CHARS keeps the message readable in `kubectl describe node`; the annotation has the full list. */
export const MAX_MESSAGE_CHARS = 1024;

function cap(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS - 1)}…` : s;
}

function describe(d: AnnotatedDevice): string {
  const name = d.id === undefined ? `device ${d.i}` : `device ${d.i} (${d.id})`;
  return d.reasons === undefined || d.reasons.length === 0 ? name : `${name}: ${d.reasons.join(', ')}`;
}

function list(devices: readonly AnnotatedDevice[]): string {
  return devices.map(describe).join('; ');
}

/** acceleratorCondition computes the condition for a decoded annotation (rules in the module comment). */
export function acceleratorCondition(a: DeviceAnnotation): AcceleratorCondition {
  const make = (status: ConditionStatusValue, reason: AcceleratorReasonName, message: string): AcceleratorCondition => ({
    type: NODE_CONDITION_ACCELERATORS,
    status,
    reason,
    message: cap(message),
  });
  if (a.status !== 'Ok' || a.devices.length === 0) {
    const why = a.reason ?? (a.devices.length === 0 ? 'no devices listed' : 'no reason given');
    const who = a.provider === a.tool ? a.provider : `${a.provider} (${a.tool})`;
    return make(ConditionStatus.Unknown, AcceleratorReason.ProviderUnknown, `${who} could not see the devices: ${why}`);
  }
  const devices = [...a.devices].sort((x, y) => x.i - y.i);
  const total = devices.length;
  const unhealthy = devices.filter((d) => d.health === 'Unhealthy');
  const unknown = devices.filter((d) => d.health === 'Unknown');
  if (unhealthy.length > 0) {
    const more = unknown.length === 0 ? '' : `; ${unknown.length} unknown: ${list(unknown)}`;
    return make(
      ConditionStatus.False,
      AcceleratorReason.DevicesUnhealthy,
      `${unhealthy.length} of ${total} devices unhealthy: ${list(unhealthy)}${more}`,
    );
  }
  if (unknown.length > 0) {
    return make(ConditionStatus.Unknown, AcceleratorReason.DevicesUnknown, `${unknown.length} of ${total} devices unknown: ${list(unknown)}`);
  }
  const warned = devices.filter((d) => d.reasons !== undefined && d.reasons.length > 0);
  const warnings = warned.length === 0 ? '' : `; warnings on ${list(warned)}`;
  return make(ConditionStatus.True, AcceleratorReason.AllDevicesHealthy, `all ${total} devices healthy (${a.tool})${warnings}`);
}
