/**
 * The device model the site agent's providers produce: one DeviceReport per node and provider, holding what the vendor
 * tool printed, normalised (MiB, °C, W, %) and with a health verdict per device. Facts behind the shape are in
 * ../shared/research/site-agent-and-device-health.md §(b) and §(d).
 *
 * Every measurement is optional: a tool printing "[N/A]", "N/A", "NA", "-", "[Not Supported]" or "[Unknown Error]"
 * leaves the field out. A missing value is never 0, because 0 °C or 0 MiB would read as a real observation.
 */
import type { Vendor } from '../../api/vendors.ts';

/** PROVIDER_NAMES lists the device providers the site agent can run on a node. */
export const PROVIDER_NAMES = ['nvidia-smi', 'npu-smi', 'amd-smi', 'cnmon', 'hy-smi', 'simulated'] as const;

/** ProviderName names a device provider; most are named after the vendor tool they run. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** isProviderName narrows a string to a known provider name. */
export function isProviderName(s: string): s is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(s);
}

/**
 * DeviceHealth is the agent's verdict on one device:
 * - Healthy: the tool answered and showed nothing that takes the device out of service (warnings may be listed);
 * - Unhealthy: new work must not land on it (ECC uncorrectable, critical XID, Ascend Alarm/Critical, lost device);
 * - Unknown: the device was listed but a health-bearing value could not be read, so no claim either way.
 */
export type DeviceHealth = 'Healthy' | 'Unhealthy' | 'Unknown';

/** ReportStatus says whether the provider could see the node's devices at all ('Unknown': tool missing, hung, garbled). */
export type ReportStatus = 'Ok' | 'Unknown';

/** Device is one accelerator as a vendor tool reported it. */
export interface Device {
  /** index is the tool's own index (nvidia-smi index, Ascend NPU/device id, cnmon card): not stable across reboots. */
  readonly index: number;
  /** uuid is the vendor's stable id where the tool prints one ("GPU-…"); preferred over index as a key. */
  readonly uuid?: string;
  /** serial is the board serial where the tool prints one. */
  readonly serial?: string;
  /** pciBusId is normalised to "0000:18:00.0" (lower case, 4-digit domain) so kernel-log XIDs can be joined to it. */
  readonly pciBusId?: string;
  readonly vendor: Vendor;
  /** model is the raw product name ("NVIDIA H100 80GB HBM3", "910B3"); empty when the tool does not print it. */
  readonly model: string;
  readonly memoryTotalMiB?: number;
  readonly memoryUsedMiB?: number;
  /** temperatureC is the core temperature (GPU core, NPU chip, AMD hotspot). */
  readonly temperatureC?: number;
  readonly powerW?: number;
  readonly utilizationPct?: number;
  /** eccUncorrectable counts uncorrectable ECC errors since the driver loaded (volatile), where the tool reports it. */
  readonly eccUncorrectable?: number;
  readonly health: DeviceHealth;
  /**
   * healthReasons explains the verdict, most severe first. On a Healthy device it lists warnings that do not take it
   * out of service (a pending row remap, a hardware slowdown), so a scorer can still prefer other devices.
   */
  readonly healthReasons: readonly string[];
}

/** DeviceReport is what one provider saw on one node at one moment. */
export interface DeviceReport {
  readonly provider: ProviderName;
  /** tool is the binary whose output was parsed (e.g. "rocm-smi" when the amd-smi provider fell back to it). */
  readonly tool: string;
  /** toolVersion is the tool or driver version the output names, when it names one. */
  readonly toolVersion?: string;
  /** observedAt is the RFC 3339 time the caller took the sample; providers never read a clock themselves. */
  readonly observedAt: string;
  /** status is 'Unknown' when the provider could not see the devices; devices is then empty and reason says why. */
  readonly status: ReportStatus;
  readonly reason?: string;
  readonly devices: readonly Device[];
}
