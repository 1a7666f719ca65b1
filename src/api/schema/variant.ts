/**
 * Variants: the hardware shapes a workload can run as, each with its own image and settings (an H100×8 variant with
 * a CUDA image, an Ascend 910B×8 variant with a CANN image, a CPU-only fallback). TrainingJob and InferenceService
 * share the shape; an InferenceService CPU variant also says how much memory the model needs.
 */
import { atomicList, bool, dns1123Label, int, mapList, obj, quantity, rule, str, type Schema } from './builders.ts';
import { architecture, computeResources, precision, vendor } from './resources.ts';

/** VariantWorkload says which kind the variant list belongs to; the words differ (worker, replica). */
export type VariantWorkload = 'training' | 'inference';

const MODEL_MATCH =
  'Matched case-insensitively, ignoring spaces, "-" and "_", as a substring of the node pool\'s model as the site reports it (the node label nvidia.com/gpu.product, huawei.com/npu.product, ...): H100 matches NVIDIA-H100-80GB-HBM3 and Ascend910B matches Ascend910B3.';

function accelerator(unit: string): Schema {
  return obj(
    'AcceleratorRequest',
    `Accelerators each ${unit} needs, all of one vendor and model, on one node.`,
    {
      vendor: vendor('Accelerator vendor.'),
      model: str(`Device model to require; empty means any model of the vendor. ${MODEL_MATCH}`, {
        minLength: 1,
        maxLength: 128,
      }),
      count: int(`Devices per ${unit}, all on one node.`, { minimum: 1, maximum: 64, default: 1 }),
      minMemory: quantity('Least memory each device must have, for example 64Gi.'),
      precision: precision('Numeric format the pool must support.'),
    },
    { required: ['vendor'] },
  );
}

const ENV_VAR = obj(
  'EnvVar',
  'An environment variable.',
  {
    name: str('Name of the variable.', { minLength: 1, maxLength: 256, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    value: str('Value of the variable; $(NAME) references to earlier variables expand as in Kubernetes.', {
      maxLength: 32768,
    }),
  },
  { required: ['name'] },
);

/** variantList builds the spec.variants list of a workload kind. */
export function variantList(workload: VariantWorkload): Schema {
  const unit = workload === 'training' ? 'worker' : 'replica';
  const properties: Record<string, Schema> = {
    name: dns1123Label('Name of the variant, unique in the list; status.variant and the placement record use it.'),
    accelerator: accelerator(unit),
    cpuOnly: bool(`True for a variant that needs no accelerator; the ${unit} runs on CPU nodes.`),
    architecture: architecture(
      `CPU architecture the image needs; empty means any (a multi-architecture image).`,
    ),
    image: str('Container image for this variant.', { minLength: 1, maxLength: 1024 }),
    command: atomicList(
      'Replaces the image entrypoint.',
      str('One word of the command.', { maxLength: 4096 }),
      { maxItems: 64 },
    ),
    args: atomicList('Arguments to the entrypoint.', str('One argument.', { maxLength: 4096 }), { maxItems: 256 }),
    env: mapList('Environment variables for this variant, added to those the operator sets.', ENV_VAR, ['name'], {
      maxItems: 128,
    }),
    resources: computeResources(
      'VariantResources',
      `Overrides spec.resources (cpu, memory per ${unit}) for this variant, for example more cpu for a CPU-only variant.`,
      false,
    ),
  };
  const rules = [
    rule(
      'has(self.accelerator) != (has(self.cpuOnly) && self.cpuOnly)',
      'a variant needs either an accelerator or cpuOnly: true, and not both',
    ),
  ];
  if (workload === 'inference') {
    properties['minMemory'] = quantity(
      'For a cpuOnly variant: the memory one replica needs to hold the model (weights, cache, runtime). Only nodes with this much allocatable memory are considered, and the replica requests at least this much.',
    );
    rules.push(
      rule(
        '!(has(self.cpuOnly) && self.cpuOnly) || has(self.minMemory)',
        'a cpuOnly variant needs minMemory: the memory one replica needs to hold the model',
        '.minMemory',
      ),
      rule(
        '!has(self.minMemory) || (has(self.cpuOnly) && self.cpuOnly)',
        'minMemory is for cpuOnly variants; an accelerator variant sets accelerator.minMemory',
        '.minMemory',
      ),
    );
  }
  const item = obj(
    workload === 'training' ? 'TrainingVariant' : 'InferenceVariant',
    `One hardware shape the ${workload === 'training' ? 'job' : 'service'} can run as, with its own image and settings.`,
    properties,
    { required: ['name', 'image'], rules },
  );
  return mapList(
    `Hardware shapes the ${workload === 'training' ? 'job' : 'service'} can run as, in order of preference: where two variants fit equally well, the earlier one is chosen. At least one; names unique.`,
    item,
    ['name'],
    { minItems: 1, maxItems: 8 },
  );
}
