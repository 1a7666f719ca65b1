/**
 * The accelerator vendors Suanwang knows: the extended resource their device plugin advertises, the PCI vendor id
 * NFD labels nodes with, and the node labels their feature discovery writes. The lab uses this to shape kwok Nodes
 * like real ones; the agent uses it to recognise pools on real clusters. Facts from
 * ../shared/research/site-agent-and-device-health.md (device plugins, GFD, NFD, node-labeller).
 */

/** VENDORS are the accelerator vendors Suanwang knows. */
export const VENDORS = ['nvidia', 'huawei', 'amd', 'cambricon', 'hygon'] as const;
/** Vendor is one of VENDORS. */
export type Vendor = (typeof VENDORS)[number];

/** VendorInfo is what Suanwang knows about one vendor's devices on Kubernetes. */
export interface VendorInfo {
  /** resourceName is the extended resource the vendor's device plugin advertises. */
  readonly resourceName: string;
  /** pciVendor is the PCI vendor id in NFD's `feature.node.kubernetes.io/pci-<id>.present` label. */
  readonly pciVendor: string;
  /** productLabel is the node label that carries the device model. */
  readonly productLabel: string;
  /** tool is the vendor's command-line tool the node reporter runs. */
  readonly tool: string;
}

/** VENDOR_INFO holds each vendor's resource name, PCI id, product label and tool. */
export const VENDOR_INFO: Readonly<Record<Vendor, VendorInfo>> = {
  nvidia: { resourceName: 'nvidia.com/gpu', pciVendor: '10de', productLabel: 'nvidia.com/gpu.product', tool: 'nvidia-smi' },
  huawei: { resourceName: 'huawei.com/Ascend910', pciVendor: '19e5', productLabel: 'huawei.com/npu.product', tool: 'npu-smi' },
  amd: { resourceName: 'amd.com/gpu', pciVendor: '1002', productLabel: 'amd.com/gpu.product-name', tool: 'amd-smi' },
  cambricon: { resourceName: 'cambricon.com/mlu', pciVendor: 'cabc', productLabel: 'cambricon.com/mlu.product', tool: 'cnmon' },
  hygon: { resourceName: 'hygon.com/dcu', pciVendor: '1d94', productLabel: 'hygon.com/dcu.product', tool: 'hy-smi' },
};

/** isVendor narrows a string to a known vendor. */
export function isVendor(s: string): s is Vendor {
  return (VENDORS as readonly string[]).includes(s);
}

/** ACCELERATOR_RESOURCES lists every extended resource that counts as an accelerator. */
export const ACCELERATOR_RESOURCES: readonly string[] = VENDORS.map((v) => VENDOR_INFO[v].resourceName);

/** AcceleratorShape is the devices of one node: vendor, model, how many, and memory per device. */
export interface AcceleratorShape {
  readonly vendor: Vendor;
  readonly model: string;
  readonly count: number;
  readonly memoryGiB: number;
}

/**
 * productLabelValue is a device model as the vendor's product label spells it: label values allow only letters,
 * digits, '.', '_' and '-', so "NVIDIA H100 80GB HBM3" becomes "NVIDIA-H100-80GB-HBM3". Prices keyed by model use the
 * same spelling, so that they match the label placement reads.
 */
export function productLabelValue(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]/g, '-');
}

/**
 * acceleratorNodeLabels returns the labels a node with these devices carries on a real cluster (GFD, Ascend and AMD
 * node labellers, NFD PCI labels), so that placement rules written against the lab work unchanged on real sites.
 */
export function acceleratorNodeLabels(a: AcceleratorShape): Record<string, string> {
  const info = VENDOR_INFO[a.vendor];
  const product = productLabelValue(a.model);
  const labels: Record<string, string> = {
    [`feature.node.kubernetes.io/pci-${info.pciVendor}.present`]: 'true',
    [info.productLabel]: product,
  };
  switch (a.vendor) {
    case 'nvidia':
      labels['nvidia.com/gpu.present'] = 'true';
      labels['nvidia.com/gpu.count'] = String(a.count);
      labels['nvidia.com/gpu.memory'] = String(a.memoryGiB * 1024);
      break;
    case 'huawei':
      labels['accelerator'] = 'huawei-Ascend910';
      break;
    case 'amd':
      labels['amd.com/gpu.vram'] = `${a.memoryGiB}G`;
      break;
    case 'cambricon':
    case 'hygon':
      break;
  }
  return labels;
}
