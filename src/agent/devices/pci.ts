/**
 * PCI address normalisation. The same GPU is "00000000:18:00.0" in nvidia-smi, "PCI:0000:18:00" in kernel XID lines,
 * "0000:C1:00.0" in npu-smi and "0000:03:00.0" in a DRA ResourceSlice (research pitfall 7). Joining kernel events to
 * devices needs one spelling.
 */

const PCI = /^(?:pci:)?(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})(?:\.([0-7]))?$/i;

interface PciParts {
  readonly domain: string;
  readonly bus: string;
  readonly device: string;
  readonly fn?: string;
}

function parts(raw: string): PciParts | undefined {
  const m = PCI.exec(raw.trim());
  if (!m) return undefined;
  // nvidia-smi prints an 8-digit domain whose upper half is zero on every platform we know; keep at least 4 digits.
  const domain = (m[1] ?? '0').toLowerCase().replace(/^0+/, '').padStart(4, '0');
  const bus = (m[2] ?? '').toLowerCase().padStart(2, '0');
  const device = (m[3] ?? '').toLowerCase().padStart(2, '0');
  return m[4] === undefined ? { domain, bus, device } : { domain, bus, device, fn: m[4] };
}

/** normalizePciBusId returns "dddd:bb:dd.f" in lower case, or undefined when raw is not a full PCI address. */
export function normalizePciBusId(raw: string): string | undefined {
  const p = parts(raw);
  if (p?.fn === undefined) return undefined;
  return `${p.domain}:${p.bus}:${p.device}.${p.fn}`;
}

/**
 * pciDeviceKey returns "dddd:bb:dd" (no function), the part both kernel XID lines and tool output carry, so it is the
 * join key between them. Undefined when raw is not a PCI address.
 */
export function pciDeviceKey(raw: string): string | undefined {
  const p = parts(raw);
  return p === undefined ? undefined : `${p.domain}:${p.bus}:${p.device}`;
}
