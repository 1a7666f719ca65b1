/**
 * Workloads as placement sees them: a TrainingJob or an InferenceService reduced to what a site must provide (per
 * variant, the devices, cpu and memory of one worker or replica, in numbers) and the rules on where it may go. The
 * engine never reads the API objects themselves, so both kinds go through the same filters and scores.
 */
import type {
  AcceleratorRequest,
  InferenceService,
  Quantity,
  TrainingJob,
  VariantResources,
} from '../api/generated/types.ts';
import { DEFAULT_CURRENCY } from '../api/names.ts';
import { parseQuantity } from '../api/quantity.ts';
import type { Vendor } from '../api/vendors.ts';
import type { Architecture, Precision } from './snapshot.ts';

/** AcceleratorDemand is what one worker or replica needs of one pool's devices. */
export interface AcceleratorDemand {
  readonly vendor: Vendor;
  /** model is the requested model as the user wrote it; absent means any model of the vendor. */
  readonly model?: string;
  readonly count: number;
  readonly minMemoryBytes?: number;
  readonly precision?: Precision;
}

/** VariantDemand is one variant of a workload: what each unit (worker, replica) needs. */
export interface VariantDemand {
  readonly name: string;
  /** index is the variant's position in spec.variants: earlier is preferred. */
  readonly index: number;
  /** accelerator is absent for a cpuOnly variant. */
  readonly accelerator?: AcceleratorDemand;
  readonly architecture?: Architecture;
  /** cpu cores per unit (variant override applied). */
  readonly cpu: number;
  /** memory bytes per unit (variant override applied; raised to minMemory for a cpuOnly inference variant). */
  readonly memory: number;
}

/** PlacementRules are the filters on sites a workload states: sovereignty, compliance, cost. */
export interface PlacementRules {
  readonly regions: readonly string[];
  readonly sites: readonly string[];
  readonly excludedSites: readonly string[];
  readonly siteSelector: Readonly<Record<string, string>>;
  readonly maxPricePerHour?: number;
  /** currency of maxPricePerHour and of the price comparison between sites. */
  readonly currency: string;
}

/** Workload is what placement decides for. */
export interface Workload {
  readonly kind: 'TrainingJob' | 'InferenceService';
  /** units is the number of workers (all on one site) or of desired replicas (spread over sites). */
  readonly units: number;
  /** unitNoun names one unit in explanations. */
  readonly unitNoun: 'worker' | 'replica';
  readonly variants: readonly VariantDemand[];
  readonly rules: PlacementRules;
  /** preferredRegions favour sites near the users, most preferred first (InferenceService only; else empty). */
  readonly preferredRegions: readonly string[];
  /** minSites is the fewest sites to spread over (1 for a TrainingJob). */
  readonly minSites: number;
  /** maxUnitsPerSite caps the replicas on one site; absent means no cap. */
  readonly maxUnitsPerSite?: number;
}

/** WorkloadResult is a parsed workload or the fields that did not parse. */
export type WorkloadResult =
  | { readonly ok: true; readonly value: Workload }
  | { readonly ok: false; readonly errors: readonly string[] };

/** trainingWorkload reduces a TrainingJob to a Workload. */
export function trainingWorkload(tj: TrainingJob): WorkloadResult {
  const errors: string[] = [];
  const p = tj.spec.placement ?? {};
  const variants = tj.spec.variants.map((v, index) =>
    variantDemand(errors, `spec.variants[${index}]`, index, v, tj.spec.resources, undefined),
  );
  const value: Workload = {
    kind: 'TrainingJob',
    units: tj.spec.workers ?? 1,
    unitNoun: 'worker',
    variants,
    rules: {
      regions: p.regions ?? [],
      sites: p.sites ?? [],
      excludedSites: p.excludedSites ?? [],
      siteSelector: p.siteSelector ?? {},
      ...(p.maxPricePerHour === undefined ? {} : { maxPricePerHour: p.maxPricePerHour }),
      currency: p.currency ?? DEFAULT_CURRENCY,
    },
    preferredRegions: [],
    minSites: 1,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

/**
 * inferenceWorkload reduces an InferenceService to a Workload. desiredReplicas is how many replicas to run now,
 * clamped to spec.replicas [min, max]; without it the service runs min, since max is the ceiling for scaling rather
 * than a target ("empty means min (no scaling)").
 */
export function inferenceWorkload(svc: InferenceService, desiredReplicas?: number): WorkloadResult {
  const errors: string[] = [];
  const p = svc.spec.placement ?? {};
  const min = svc.spec.replicas?.min ?? 1;
  const max = Math.max(min, svc.spec.replicas?.max ?? min);
  const variants = svc.spec.variants.map((v, index) =>
    variantDemand(errors, `spec.variants[${index}]`, index, v, svc.spec.resources, v.minMemory),
  );
  const value: Workload = {
    kind: 'InferenceService',
    units: Math.min(max, Math.max(min, desiredReplicas ?? min)),
    unitNoun: 'replica',
    variants,
    rules: {
      regions: p.regions ?? [],
      sites: p.sites ?? [],
      excludedSites: p.excludedSites ?? [],
      siteSelector: p.siteSelector ?? {},
      currency: DEFAULT_CURRENCY,
    },
    preferredRegions: p.preferredRegions ?? [],
    minSites: p.minSites ?? 1,
    ...(p.maxReplicasPerSite === undefined ? {} : { maxUnitsPerSite: p.maxReplicasPerSite }),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

interface VariantLike {
  readonly name: string;
  readonly accelerator?: AcceleratorRequest;
  readonly cpuOnly?: boolean;
  readonly architecture?: Architecture;
  readonly resources?: VariantResources;
}

function variantDemand(
  errors: string[],
  path: string,
  index: number,
  v: VariantLike,
  base: { readonly cpu: Quantity; readonly memory: Quantity },
  cpuMinMemory: Quantity | undefined,
): VariantDemand {
  const cpu = quantity(errors, `${path}.resources.cpu`, v.resources?.cpu ?? base.cpu);
  let memory = quantity(errors, `${path}.resources.memory`, v.resources?.memory ?? base.memory);
  // The schema makes accelerator and cpuOnly exclusive; cpuOnly wins here so a malformed object cannot ask for
  // devices it said it does not need.
  const a = v.cpuOnly === true ? undefined : v.accelerator;
  if (a === undefined && cpuMinMemory !== undefined) {
    // The replica must hold the model: it requests at least minMemory, so only nodes that large can take it.
    memory = Math.max(memory, quantity(errors, `${path}.minMemory`, cpuMinMemory));
  }
  let accelerator: AcceleratorDemand | undefined;
  if (a !== undefined) {
    const minMemoryBytes =
      a.minMemory === undefined ? undefined : quantity(errors, `${path}.accelerator.minMemory`, a.minMemory);
    accelerator = {
      vendor: a.vendor,
      ...(a.model === undefined || a.model === '' ? {} : { model: a.model }),
      count: a.count ?? 1,
      ...(minMemoryBytes === undefined ? {} : { minMemoryBytes }),
      ...(a.precision === undefined ? {} : { precision: a.precision }),
    };
  }
  return {
    name: v.name,
    index,
    ...(accelerator === undefined ? {} : { accelerator }),
    ...(v.architecture === undefined ? {} : { architecture: v.architecture }),
    cpu,
    memory,
  };
}

function quantity(errors: string[], path: string, q: Quantity): number {
  const n = parseQuantity(q);
  if (n === undefined || n < 0) {
    errors.push(`${path}: ${JSON.stringify(q)} is not a non-negative Kubernetes quantity`);
    return 0;
  }
  return n;
}
