/**
 * Joining kernel-log XID events to the devices nvidia-smi listed. nvidia-smi alone cannot see most XIDs (it shows
 * counters, not events), so the node collector reads both and folds the events into the report's health.
 */
import { verdict, xidSignals } from './health.ts';
import { pciDeviceKey } from './pci.ts';
import type { Device, DeviceHealth, DeviceReport } from './types.ts';
import type { XidEvent } from './xid.ts';

/** XidApplication is the report with XID evidence folded in, plus the events no listed device matched. */
export interface XidApplication {
  readonly report: DeviceReport;
  /** unmatched events name a GPU the report does not list — itself a sign the GPU vanished (research pitfall 11). */
  readonly unmatched: readonly XidEvent[];
}

const WORSE: Readonly<Record<DeviceHealth, number>> = { Healthy: 0, Unknown: 1, Unhealthy: 2 };

function matches(device: Device, event: XidEvent): boolean {
  if (device.uuid !== undefined && event.uuid !== undefined) return device.uuid === event.uuid;
  return device.pciBusId !== undefined && pciDeviceKey(device.pciBusId) === event.pciKey;
}

/**
 * applyXidEvents marks each NVIDIA device with the XIDs logged against it: the worse of the tool's verdict and the
 * XIDs' verdict wins, and the reasons of the worse one come first. Events are matched by UUID when both sides have
 * one, else by PCI address.
 */
export function applyXidEvents(report: DeviceReport, events: readonly XidEvent[]): XidApplication {
  const used = new Set<XidEvent>();
  const devices = report.devices.map((device) => {
    if (device.vendor !== 'nvidia') return device;
    const mine = events.filter((e) => matches(device, e));
    if (mine.length === 0) return device;
    for (const e of mine) used.add(e);
    const fromXids = verdict(mine.flatMap((e) => xidSignals(e.xid, e.classification)));
    const xidWorse = WORSE[fromXids.health] > WORSE[device.health];
    const health = xidWorse ? fromXids.health : device.health;
    const reasons = xidWorse
      ? [...fromXids.healthReasons, ...device.healthReasons]
      : [...device.healthReasons, ...fromXids.healthReasons];
    return { ...device, health, healthReasons: [...new Set(reasons)] };
  });
  return { report: { ...report, devices }, unmatched: events.filter((e) => !used.has(e)) };
}
