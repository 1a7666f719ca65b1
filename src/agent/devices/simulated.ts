/**
 * The simulated device provider for the lab: kwok nodes have no accelerators, so their reports are computed from the
 * node's declared devices and the faults a test injects. It applies the same health rules as the real parsers
 * (health.ts, xid.ts), so a lab test that injects XID 79 sees exactly what a real node with that XID would report.
 * Pure and deterministic: the same inputs always give the same report.
 */
import type { AcceleratorShape } from '../../api/vendors.ts';
import { VENDOR_INFO } from '../../api/vendors.ts';
import { ascendSignals, eccSignals, verdict, xidSignals, type HealthSignal } from './health.ts';
import { okReport, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';
import { classifyXid, DEFAULT_XID_POLICY, type XidPolicy } from './xid.ts';

/** SimulatedDeviceSpec describes a node's devices: the same shape the lab topology uses for its nodes. */
export type SimulatedDeviceSpec = AcceleratorShape;

/** InjectedFaults are the faults a lab test puts on a node's devices, by device index. */
export interface InjectedFaults {
  /** xids logs these NVIDIA XIDs against devices (nvidia only). */
  readonly xids?: readonly { readonly device: number; readonly xid: number }[];
  /** ascendCritical sets npu-smi Health to Critical on these devices (huawei only). */
  readonly ascendCritical?: readonly number[];
  /** eccUncorrectable sets a device's uncorrectable ECC count. */
  readonly eccUncorrectable?: readonly { readonly device: number; readonly count: number }[];
  /** unavailable makes the whole provider blind (tool missing, hung), with this as the reason. */
  readonly unavailable?: string;
}

/** SimulateOptions are the sample's time, the node it is for, and the XID policy in force. */
export interface SimulateOptions {
  readonly observedAt: string;
  /** nodeName makes device UUIDs unique across the lab's nodes. */
  readonly nodeName?: string;
  readonly xidPolicy?: XidPolicy;
}

/**
 * simulateReport builds the report a node with these devices and faults would send. Throws RangeError when a fault
 * names a device the node does not have or does not fit the vendor (an XID on an Ascend NPU), because that is a
 * mistake in the test, not a state the lab should model.
 */
export function simulateReport(spec: SimulatedDeviceSpec, faults: InjectedFaults, opts: SimulateOptions): DeviceReport {
  validate(spec, faults);
  const ctx: ReportContext = { provider: 'simulated', tool: 'simulated', observedAt: opts.observedAt };
  if (faults.unavailable !== undefined) return unknownReport(ctx, faults.unavailable);
  const policy = opts.xidPolicy ?? DEFAULT_XID_POLICY;
  const tool = VENDOR_INFO[spec.vendor].tool;
  const devices: Device[] = [];
  for (let index = 0; index < spec.count; index++) {
    const ecc = faults.eccUncorrectable?.filter((f) => f.device === index).reduce((sum, f) => sum + f.count, 0) ?? 0;
    const signals: HealthSignal[] = [
      ...(faults.xids ?? []).filter((f) => f.device === index).flatMap((f) => xidSignals(f.xid, classifyXid(policy, f.xid))),
      ...(faults.ascendCritical?.includes(index) === true ? ascendSignals('Critical') : []),
      ...eccSignals(tool, ecc),
    ];
    const { health, healthReasons } = verdict(signals);
    devices.push({
      index,
      uuid: `sim-${opts.nodeName ?? 'node'}-${spec.vendor}-${index}`,
      vendor: spec.vendor,
      model: spec.model,
      memoryTotalMiB: spec.memoryGiB * 1024,
      memoryUsedMiB: 0,
      utilizationPct: 0,
      eccUncorrectable: ecc,
      health,
      healthReasons,
    });
  }
  return okReport(ctx, devices);
}

function validate(spec: SimulatedDeviceSpec, faults: InjectedFaults): void {
  if (!Number.isInteger(spec.count) || spec.count < 0) throw new RangeError(`device count ${spec.count} is not a whole number`);
  if (!(spec.memoryGiB >= 0)) throw new RangeError(`memoryGiB ${spec.memoryGiB} is negative`);
  const onDevice = (what: string, device: number): void => {
    if (!Number.isInteger(device) || device < 0 || device >= spec.count) {
      throw new RangeError(`${what} names device ${device}, but the node has ${spec.count} device(s)`);
    }
  };
  for (const f of faults.xids ?? []) {
    if (spec.vendor !== 'nvidia') throw new RangeError(`XID ${f.xid} injected on a ${spec.vendor} device`);
    if (!Number.isInteger(f.xid) || f.xid <= 0) throw new RangeError(`XID ${f.xid} is not a positive integer`);
    onDevice(`XID ${f.xid}`, f.device);
  }
  for (const d of faults.ascendCritical ?? []) {
    if (spec.vendor !== 'huawei') throw new RangeError(`Ascend Critical injected on a ${spec.vendor} device`);
    onDevice('Ascend Critical', d);
  }
  for (const f of faults.eccUncorrectable ?? []) {
    if (!Number.isInteger(f.count) || f.count < 0) throw new RangeError(`ECC count ${f.count} is not a whole number`);
    onDevice('ECC fault', f.device);
  }
}
