/**
 * NVIDIA XID classification and kernel-log parsing. The classification is data, not code: NVIDIA's catalog, DCGM, the
 * k8s-device-plugin and gpud disagree on several codes (63, 94, 61, 62 — research §1.2 and pitfall 12), so operators
 * must be able to override it, as the device plugin's IgnoredXIDs/CriticalXIDs and NVSentinel ADR-021 allow.
 */
import { pciDeviceKey } from './pci.ts';

/** XidSeverity follows the research scale: info (workload), warning, critical (device), fatal (node / GPU lost). */
export type XidSeverity = 'info' | 'warning' | 'critical' | 'fatal';

/** XidAction is the recommended response, after NVIDIA's catalog resolution buckets and NVSentinel's actions. */
export type XidAction =
  | 'none'
  | 'restart-workload'
  | 'reset-device'
  | 'reboot-node'
  | 'run-diagnostics'
  | 'contact-support'
  | 'read-recovery-action';

/** XidClass is how one XID code is treated. */
export interface XidClass {
  readonly severity: XidSeverity;
  readonly action: XidAction;
  /** mnemonic is NVIDIA's catalog name, for humans; empty when we do not know it. */
  readonly mnemonic: string;
}

/** XidPolicy is a full classification: the listed codes plus the class of every code not listed. */
export interface XidPolicy {
  readonly table: ReadonlyMap<number, XidClass>;
  readonly unlisted: XidClass;
}

function cls(severity: XidSeverity, action: XidAction, mnemonic: string): XidClass {
  return { severity, action, mnemonic };
}

/**
 * DEFAULT_XID_POLICY is the research report's "proposed" column (§1.2) plus the CRITICAL list of §(b). Codes not
 * listed are critical, as in the stock k8s-device-plugin, which marks a device unhealthy on every XID outside its
 * ignore list: an XID we have never classified is more likely a fault than a workload bug.
 */
export const DEFAULT_XID_POLICY: XidPolicy = {
  table: new Map<number, XidClass>([
    [13, cls('info', 'restart-workload', 'GR_EXCEPTION')],
    [31, cls('info', 'restart-workload', 'FIFO_ERROR_MMU_ERR_FLT')],
    [43, cls('info', 'none', 'RESETCHANNEL_VERIF_ERROR')],
    // 45 is sympathetic: it follows another XID in the same burst, which carries the real verdict.
    [45, cls('info', 'none', 'PREEMPTIVE_REMOVAL')],
    [46, cls('critical', 'reset-device', '')],
    [48, cls('critical', 'reset-device', 'GPU_ECC_DBE')],
    // Sources disagree on 61 (catalog: unused on Ampere+; DCGM: thermal warning): warn rather than cordon.
    [61, cls('warning', 'run-diagnostics', 'PMU_BREAKPOINT')],
    [62, cls('critical', 'reset-device', 'PMU_HALT_ERROR')],
    // 63 is a successful remap that needs a reset to apply: warn and reset at the next drain window.
    [63, cls('warning', 'reset-device', 'INFOROM_DRAM_RETIREMENT_EVENT')],
    [64, cls('critical', 'reset-device', 'INFOROM_DRAM_RETIREMENT_FAILURE')],
    [68, cls('info', 'restart-workload', 'NVDEC0_EXCEPTION')],
    [74, cls('critical', 'reset-device', 'NVLINK_ERROR')],
    [79, cls('fatal', 'reboot-node', 'GPU_HAS_FALLEN_OFF_THE_BUS')],
    [92, cls('warning', 'run-diagnostics', 'EXCESSIVE_SBE_INTERRUPTS')],
    // 94 is contained: only the workload that touched the memory dies; the GPU keeps serving others until a reset.
    [94, cls('warning', 'restart-workload', 'CONTAINED_ERROR')],
    [95, cls('critical', 'reset-device', 'UNCONTAINED_ERROR')],
    [109, cls('warning', 'restart-workload', 'CTXSW_TIMEOUT_ERROR')],
    [119, cls('critical', 'reset-device', 'GSP_RPC_TIMEOUT')],
    [120, cls('critical', 'reset-device', 'GSP_ERROR')],
    [140, cls('critical', 'reset-device', 'UNRECOVERABLE_ECC_ERROR_ESCAPE')],
    [154, cls('info', 'read-recovery-action', 'GPU_RECOVERY_ACTION_CHANGED')],
  ]),
  unlisted: cls('critical', 'reset-device', ''),
};

/** XidOverrides is what an operator may change, shaped like the agent proto's HealthPolicy. */
export interface XidOverrides {
  /** classes replaces fields of listed codes (or adds codes); unspecified fields keep the base class. */
  readonly classes?: Readonly<Record<number, Partial<XidClass>>>;
  /** ignored codes become info / none (device plugin IgnoredXIDs). */
  readonly ignored?: readonly number[];
  /** critical codes become critical / reset-device (device plugin CriticalXIDs); applied last, so they win. */
  readonly critical?: readonly number[];
  /** unlisted replaces fields of the class given to codes no table lists. */
  readonly unlisted?: Partial<XidClass>;
}

/**
 * mergeXidOverrides returns a new policy: base, then per-code classes, then ignored, then critical. Critical is last
 * because marking a code critical is the safe direction when two overrides collide. Throws RangeError on an XID that
 * is not a positive integer, since a typo there would silently change nothing.
 */
export function mergeXidOverrides(base: XidPolicy, overrides: XidOverrides): XidPolicy {
  const table = new Map(base.table);
  const unlisted: XidClass = { ...base.unlisted, ...overrides.unlisted };
  const check = (xid: number): number => {
    if (!Number.isInteger(xid) || xid <= 0) throw new RangeError(`XID override ${xid} is not a positive integer`);
    return xid;
  };
  for (const [key, partial] of Object.entries(overrides.classes ?? {})) {
    const xid = check(Number(key));
    table.set(xid, { ...(table.get(xid) ?? unlisted), ...partial });
  }
  for (const xid of overrides.ignored ?? []) {
    table.set(check(xid), { ...(table.get(xid) ?? unlisted), severity: 'info', action: 'none' });
  }
  for (const xid of overrides.critical ?? []) {
    table.set(check(xid), { ...(table.get(xid) ?? unlisted), severity: 'critical', action: 'reset-device' });
  }
  return { table, unlisted };
}

/** classifyXid returns the class of one XID under a policy. */
export function classifyXid(policy: XidPolicy, xid: number): XidClass {
  return policy.table.get(xid) ?? policy.unlisted;
}

/** XidEvent is one XID found in a kernel log. */
export interface XidEvent {
  /** line is the 1-based line number in the parsed text. */
  readonly line: number;
  /** pciKey is "dddd:bb:dd", the part of the PCI address the kernel prints (see pci.ts). */
  readonly pciKey: string;
  /** uuid is set when the same log names the GPU at that address ("NVRM: GPU at PCI:…: GPU-…"). */
  readonly uuid?: string;
  readonly xid: number;
  readonly pid?: number;
  readonly processName?: string;
  /** message is the driver's text after the XID number. */
  readonly message: string;
  /** source says whether an Xid line was seen or a bare "fallen off the bus" line stood in for XID 79. */
  readonly source: 'xid' | 'fallen-off-bus';
  readonly classification: XidClass;
}

// The driver prints "NVRM: Xid (PCI:0000:9b:00): 119, pid=…"; MIG adds " GPU-I:01" inside the parentheses.
const XID_LINE = /NVRM: Xid \((?:PCI:)?([0-9a-fA-F]+:[0-9a-fA-F]+:[0-9a-fA-F]+(?:\.[0-7])?)[^)]*\)[^:]*: (\d+)(?:,\s*(.*))?$/;
const GPU_AT = /NVRM: GPU at PCI:([0-9a-fA-F]+:[0-9a-fA-F]+:[0-9a-fA-F]+(?:\.[0-7])?): (GPU-[0-9a-fA-F-]+)/;
const FELL_OFF = /NVRM: GPU ([0-9a-fA-F]+:[0-9a-fA-F]+:[0-9a-fA-F]+(?:\.[0-7])?): GPU has fallen off the bus/;
const PID = /(?:^|,\s*)pid=(\d+)/;
const NAME = /(?:^|,\s*)name=([^,]+)/;

/**
 * parseDmesgXids finds XID events in kernel-log text (dmesg, journal or kmsg, with or without timestamps). A bare
 * "GPU has fallen off the bus" line counts as XID 79 unless the same log already has an XID 79 for that GPU, because
 * some drivers print only that line.
 */
export function parseDmesgXids(text: string, policy: XidPolicy = DEFAULT_XID_POLICY): XidEvent[] {
  const lines = text.split('\n');
  const uuids = new Map<string, string>();
  for (const line of lines) {
    const m = GPU_AT.exec(line);
    const key = m?.[1] === undefined ? undefined : pciDeviceKey(m[1]);
    if (key !== undefined && m?.[2] !== undefined) uuids.set(key, m[2]);
  }
  const events: XidEvent[] = [];
  const fellOff: Array<{ line: number; key: string; message: string }> = [];
  lines.forEach((line, i) => {
    const x = XID_LINE.exec(line);
    if (x?.[1] !== undefined && x[2] !== undefined) {
      const key = pciDeviceKey(x[1]);
      if (key === undefined) return;
      const xid = Number(x[2]);
      const rest = (x[3] ?? '').trim();
      const pid = PID.exec(rest)?.[1];
      const name = NAME.exec(rest)?.[1]?.trim();
      const uuid = uuids.get(key);
      events.push({
        line: i + 1,
        pciKey: key,
        ...(uuid === undefined ? {} : { uuid }),
        xid,
        ...(pid === undefined ? {} : { pid: Number(pid) }),
        ...(name === undefined || name === '<unknown>' ? {} : { processName: name }),
        message: rest,
        source: 'xid',
        classification: classifyXid(policy, xid),
      });
      return;
    }
    const f = FELL_OFF.exec(line);
    const key = f?.[1] === undefined ? undefined : pciDeviceKey(f[1]);
    if (key !== undefined) fellOff.push({ line: i + 1, key, message: 'GPU has fallen off the bus.' });
  });
  for (const f of fellOff) {
    if (events.some((e) => e.xid === 79 && e.pciKey === f.key)) continue;
    const uuid = uuids.get(f.key);
    events.push({
      line: f.line,
      pciKey: f.key,
      ...(uuid === undefined ? {} : { uuid }),
      xid: 79,
      message: f.message,
      source: 'fallen-off-bus',
      classification: classifyXid(policy, 79),
    });
  }
  return events.sort((a, b) => a.line - b.line);
}
