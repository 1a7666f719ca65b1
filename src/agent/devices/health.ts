/**
 * Health mapping: vendor signal → Healthy / Unhealthy / Unknown, after the health model table in
 * ../shared/research/site-agent-and-device-health.md §(b). The research scale has more steps than the device model
 * (INFO, WARNING, CRITICAL, FATAL/LOST, UNKNOWN); they fold onto it as follows:
 *
 * | research severity            | device health | why                                                          |
 * |------------------------------|---------------|--------------------------------------------------------------|
 * | INFO                         | Healthy       | workload-level (XID 13/31/43/45/68): the device is fine      |
 * | WARNING / DEGRADED           | Healthy + reason | still usable; the reason lets a scorer prefer other devices |
 * | CRITICAL, FATAL, LOST        | Unhealthy     | new work must not land there                                  |
 * | cannot read a health value   | Unknown       | no claim either way (pitfall 11: no visibility ≠ bad GPU)     |
 *
 * Per vendor (each row a function below):
 * - NVIDIA (nvidia-smi): volatile uncorrectable ECC > 0 (DCGM memory watch FAIL), remapped_rows.failure = Yes (DCGM
 *   FAIL), gpu_recovery_action other than None / Drain P2P (DCGM driver watch FAIL), a "[GPU is lost]" or
 *   "[GPU requires reset]" cell → Unhealthy. remapped_rows.pending / retired_pages.pending = Yes, recovery action
 *   Drain P2P, hardware or thermal slowdown active → warning. "[Unknown Error]" in a health field → Unknown.
 *   "[N/A]" in a health field is normal (Hopper retired_pages, MIG remapped_rows: pitfall 9) and says nothing.
 * - NVIDIA XIDs: classified by the overridable table in xid.ts; critical/fatal → Unhealthy, warning → warning.
 * - Huawei Ascend (npu-smi Health): OK → Healthy; Warning → warning; Alarm → Unhealthy (research: "treat as UNHEALTHY
 *   for new work"); Critical → Unhealthy; UNKNOWN (absent / not started, research: LOST) → Unhealthy; anything else
 *   → Unknown.
 * - AMD (amd-smi): ecc total_uncorrectable_count > 0 → Unhealthy (GPUStack rule); deferred ECC > 0 or
 *   throttle_status THROTTLED → warning.
 * - Cambricon (cnmon): the table has no health column, only Ecc-Error; any count > 0 → Unhealthy, because cnmon does
 *   not say whether the errors were corrected and the research rule (cndev health == 0) is not visible from cnmon.
 * - Hygon (hy-smi): uncorrectable ECC > 0 → Unhealthy (rocm-smi-lib rule); the hy-smi table itself carries no health
 *   value, so a listed, readable DCU is Healthy.
 */
import type { DeviceHealth } from './types.ts';
import type { XidClass } from './xid.ts';

/** SignalLevel is how strongly one signal bears on the device: it only warns, hides the truth, or rules it out. */
export type SignalLevel = 'warning' | 'unknown' | 'unhealthy';

/** HealthSignal is one piece of health evidence with the reason a human reads. */
export interface HealthSignal {
  readonly level: SignalLevel;
  readonly reason: string;
}

/** HealthVerdict is the combined health of a device and its reasons, most severe first. */
export interface HealthVerdict {
  readonly health: DeviceHealth;
  readonly healthReasons: readonly string[];
}

const RANK: Readonly<Record<SignalLevel, number>> = { unhealthy: 0, unknown: 1, warning: 2 };

/**
 * verdict combines signals: any unhealthy signal makes the device Unhealthy (evidence of a fault outweighs a value we
 * could not read), else any unknown makes it Unknown, else it is Healthy with the warnings as reasons.
 */
export function verdict(signals: readonly HealthSignal[]): HealthVerdict {
  const sorted = [...signals].sort((a, b) => RANK[a.level] - RANK[b.level]);
  const reasons = [...new Set(sorted.map((s) => s.reason))];
  const health: DeviceHealth = sorted.some((s) => s.level === 'unhealthy')
    ? 'Unhealthy'
    : sorted.some((s) => s.level === 'unknown')
      ? 'Unknown'
      : 'Healthy';
  return { health, healthReasons: reasons };
}

/** eccSignals turns an uncorrectable ECC count into evidence; every vendor's rule is "any uncorrectable error". */
export function eccSignals(tool: string, uncorrectable: number | undefined): HealthSignal[] {
  if (uncorrectable === undefined || uncorrectable <= 0) return [];
  return [{ level: 'unhealthy', reason: `${tool}: ${uncorrectable} uncorrectable ECC error(s)` }];
}

/** NvidiaObservation is what nvidia-smi printed about one GPU's health, already read from the CSV cells. */
export interface NvidiaObservation {
  readonly eccUncorrectedVolatile?: number;
  readonly remappedRowsPending?: boolean;
  readonly remappedRowsFailure?: boolean;
  readonly retiredPagesPending?: boolean;
  readonly recoveryAction?: string;
  readonly hwSlowdown?: boolean;
  readonly swThermalSlowdown?: boolean;
  /** lost is set when any cell read "[GPU is lost]". */
  readonly lost?: boolean;
  /** resetRequired is set when any cell read "[GPU requires reset]". */
  readonly resetRequired?: boolean;
  /** unreadable names health-bearing fields whose cell was an error token such as "[Unknown Error]". */
  readonly unreadable?: readonly string[];
}

/** nvidiaSignals maps one GPU's nvidia-smi health fields to evidence (rules in the module comment). */
export function nvidiaSignals(o: NvidiaObservation): HealthSignal[] {
  const out: HealthSignal[] = [];
  if (o.lost === true) out.push({ level: 'unhealthy', reason: 'nvidia-smi: GPU is lost (fell off the bus)' });
  if (o.resetRequired === true) out.push({ level: 'unhealthy', reason: 'nvidia-smi: GPU requires reset' });
  if (o.eccUncorrectedVolatile !== undefined && o.eccUncorrectedVolatile > 0) {
    out.push({
      level: 'unhealthy',
      reason: `nvidia-smi: ${o.eccUncorrectedVolatile} uncorrectable ECC error(s) since driver load`,
    });
  }
  if (o.remappedRowsFailure === true) out.push({ level: 'unhealthy', reason: 'nvidia-smi: row remapping failed' });
  const action = o.recoveryAction?.trim();
  if (action !== undefined && action !== '' && action.toLowerCase() !== 'none') {
    // NVML's recovery actions: GPU reset, node reboot, drain-and-reset are FAIL in DCGM's driver watch; drain P2P warns.
    const level: SignalLevel = /p2p/i.test(action) ? 'warning' : 'unhealthy';
    out.push({ level, reason: `nvidia-smi: driver asks for recovery action "${action}"` });
  }
  if (o.remappedRowsPending === true) {
    out.push({ level: 'warning', reason: 'nvidia-smi: row remap pending (reset the GPU when idle to apply it)' });
  }
  if (o.retiredPagesPending === true) {
    out.push({ level: 'warning', reason: 'nvidia-smi: page retirement pending (reset the GPU when idle)' });
  }
  if (o.hwSlowdown === true) out.push({ level: 'warning', reason: 'nvidia-smi: hardware slowdown active' });
  if (o.swThermalSlowdown === true) out.push({ level: 'warning', reason: 'nvidia-smi: thermal slowdown active' });
  for (const field of o.unreadable ?? []) {
    out.push({ level: 'unknown', reason: `nvidia-smi: could not read ${field}` });
  }
  return out;
}

/** AscendHealthDetail is the extra detail `npu-smi info -t health` prints for one NPU. */
export interface AscendHealthDetail {
  readonly errorCodes: readonly string[];
  readonly errorInformation?: string;
}

/** ascendSignals maps an npu-smi Health value (OK/Warning/Alarm/Critical/UNKNOWN) to evidence. */
export function ascendSignals(status: string, detail?: AscendHealthDetail): HealthSignal[] {
  const s = status.trim().toLowerCase();
  const codes = detail && detail.errorCodes.length > 0 ? `; error codes ${detail.errorCodes.join(', ')}` : '';
  const info = detail?.errorInformation === undefined ? '' : `; ${detail.errorInformation}`;
  const suffix = `${codes}${info}`;
  switch (s) {
    case 'ok':
      return suffix === '' ? [] : [{ level: 'warning', reason: `npu-smi: Health OK${suffix}` }];
    case 'warning':
      return [{ level: 'warning', reason: `npu-smi: Health Warning (minor alarm)${suffix}` }];
    case 'alarm':
      return [{ level: 'unhealthy', reason: `npu-smi: Health Alarm (major alarm)${suffix}` }];
    case 'critical':
      return [{ level: 'unhealthy', reason: `npu-smi: Health Critical (critical alarm)${suffix}` }];
    case 'unknown':
      return [{ level: 'unhealthy', reason: `npu-smi: Health UNKNOWN (device absent or not started)${suffix}` }];
    default:
      return [{ level: 'unknown', reason: `npu-smi: unrecognised Health value "${status.trim()}"` }];
  }
}

/** AmdObservation is what amd-smi printed about one GPU's health. */
export interface AmdObservation {
  readonly eccUncorrectable?: number;
  readonly eccDeferred?: number;
  readonly throttleStatus?: string;
}

/** amdSignals maps amd-smi ECC counts and throttle status to evidence. */
export function amdSignals(o: AmdObservation): HealthSignal[] {
  const out = eccSignals('amd-smi', o.eccUncorrectable);
  if (o.eccDeferred !== undefined && o.eccDeferred > 0) {
    out.push({ level: 'warning', reason: `amd-smi: ${o.eccDeferred} deferred ECC error(s)` });
  }
  if (o.throttleStatus !== undefined && o.throttleStatus.trim().toUpperCase() === 'THROTTLED') {
    out.push({ level: 'warning', reason: 'amd-smi: GPU is throttled' });
  }
  return out;
}

/** cambriconSignals maps cnmon's Ecc-Error count to evidence (see the module comment for why any count is bad). */
export function cambriconSignals(eccErrors: number | undefined): HealthSignal[] {
  if (eccErrors === undefined || eccErrors <= 0) return [];
  return [{ level: 'unhealthy', reason: `cnmon: ${eccErrors} ECC error(s) reported` }];
}

/** xidSignals maps one classified XID on a GPU to evidence: info changes nothing, warning warns, worse rules it out. */
export function xidSignals(xid: number, cls: XidClass): HealthSignal[] {
  const what = `XID ${xid}${cls.mnemonic === '' ? '' : ` ${cls.mnemonic}`}`;
  switch (cls.severity) {
    case 'info':
      return [];
    case 'warning':
      return [{ level: 'warning', reason: `${what} (action: ${cls.action})` }];
    case 'critical':
    case 'fatal':
      return [{ level: 'unhealthy', reason: `${what} ${cls.severity} (action: ${cls.action})` }];
  }
}
