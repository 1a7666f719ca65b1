/**
 * Shared resource pieces: per-worker cpu and memory, resource lists keyed by resource name, and the vocabulary of
 * accelerators (vendors, precisions, architectures) taken from ../vendors.ts and ../names.ts.
 */
import { ARCHITECTURES, DEFAULT_CURRENCY, PRECISIONS } from '../names.ts';
import { ACCELERATOR_RESOURCES, VENDOR_INFO, VENDORS } from '../vendors.ts';
import { map, obj, oneOf, quantity, str, type CelRule, type Schema } from './builders.ts';

/** QUOTA_RESOURCES are the resource names a quota or a usage may count: cpu, memory and every accelerator. */
export const QUOTA_RESOURCES: readonly string[] = ['cpu', 'memory', ...ACCELERATOR_RESOURCES];

const vendorList = VENDORS.map((v) => `${v} (${VENDOR_INFO[v].resourceName})`).join(', ');

/** vendor builds the accelerator vendor enum; the description lists each vendor's extended resource. */
export function vendor(description: string): Schema {
  return oneOf(`${description} One of ${vendorList}.`, VENDORS);
}

/** precision builds the numeric format enum. */
export function precision(description: string): Schema {
  return oneOf(`${description} One of ${PRECISIONS.join(', ')}.`, PRECISIONS);
}

/** architecture builds the CPU architecture enum (the node label kubernetes.io/arch). */
export function architecture(description: string): Schema {
  return oneOf(`${description} One of ${ARCHITECTURES.join(', ')} (the node label kubernetes.io/arch).`, ARCHITECTURES);
}

/** currency builds an ISO 4217 currency code property (three capital letters), CNY unless given. */
export function currency(description: string): Schema {
  return str(description, {
    minLength: 3,
    maxLength: 3,
    pattern: '^[A-Z]{3}$',
    default: DEFAULT_CURRENCY,
  });
}

/** computeResources builds a {cpu, memory} pair; required says whether both must be given. */
export function computeResources(tsName: string, description: string, required: boolean): Schema {
  return obj(
    tsName,
    description,
    {
      cpu: quantity('CPU cores, as a Kubernetes quantity ("16", "500m").'),
      memory: quantity('Memory, as a Kubernetes quantity ("64Gi").'),
    },
    required ? { required: ['cpu', 'memory'] } : {},
  );
}

/** resourceList builds a map from resource name (cpu, memory, nvidia.com/gpu, ...) to quantity. */
export function resourceList(description: string, rules: readonly CelRule[] = []): Schema {
  return map(
    `${description} Keys are resource names: cpu, memory, or an accelerator's extended resource (${ACCELERATOR_RESOURCES.join(', ')}).`,
    quantity('Amount of this resource, as a Kubernetes quantity.'),
    { maxProperties: 32, rules },
  );
}
