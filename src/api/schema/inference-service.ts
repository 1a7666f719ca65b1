/**
 * InferenceService (namespaced): replicas of a model server spread over several sites, each site running the best
 * variant it has hardware for, CPU-only included.
 */
import { DEFAULT_QUEUE, INFERENCE_SERVICE_CONDITIONS, Kind, Plural } from '../names.ts';
import { ADMISSION } from './admission.ts';
import {
  atomicList,
  dateTime,
  dns1123Label,
  int,
  LABEL_VALUE_PATTERN,
  mapList,
  num,
  obj,
  rule,
  setList,
  str,
} from './builders.ts';
import { conditions, STATUS_DEFAULT } from './conditions.ts';
import { AGE_COLUMN, conditionColumn, type KindDefinition } from './kind-definition.ts';
import { PLACEMENT_RECORD } from './placement-record.ts';
import { computeResources, resourceList } from './resources.ts';
import { SITE_RULE_PROPERTIES, SITE_RULE_RULES } from './site-rules.ts';
import { variantList } from './variant.ts';
import { WORKLOAD_NAME } from './object-names.ts';

const REPLICAS = obj(
  'ReplicaRange',
  'How many replicas to run across all sites.',
  {
    min: int('Replicas that must serve for the service to be Ready.', { minimum: 1, maximum: 4096, default: 1 }),
    max: int('Most replicas to run; empty means min (no scaling).', { minimum: 1, maximum: 4096 }),
  },
  {
    default: {},
    rules: [rule('!has(self.max) || self.max >= self.min', 'replicas.max must be at least replicas.min', '.max')],
  },
);

const PLACEMENT = obj(
  'InferencePlacement',
  'Where the replicas may run and how they spread. regions, sites, excludedSites and siteSelector are filters; the rest shape the spread.',
  {
    ...SITE_RULE_PROPERTIES,
    preferredRegions: setList(
      'Regions to favour (near the users), most preferred first; other allowed regions are still used.',
      str('A region, for example cn-east.', { minLength: 1, maxLength: 63, pattern: LABEL_VALUE_PATTERN }),
      { maxItems: 64 },
    ),
    minSites: int('Fewest sites to spread the replicas over, so that losing one site leaves the service up.', {
      minimum: 1,
      maximum: 64,
      default: 1,
    }),
    maxReplicasPerSite: int('Most replicas on any one site; empty means no limit.', { minimum: 1, maximum: 4096 }),
  },
  {
    default: {},
    rules: [
      ...SITE_RULE_RULES,
      rule(
        '!has(self.regions) || !has(self.preferredRegions) || self.preferredRegions.all(r, r in self.regions)',
        'every preferred region must also be in regions (when regions is set)',
        '.preferredRegions',
      ),
    ],
  },
);

const SPEC = obj(
  'InferenceServiceSpec',
  'What to serve, on what hardware, how many replicas and where.',
  {
    replicas: REPLICAS,
    resources: computeResources(
      'ReplicaResources',
      "CPU and memory per replica, requested on top of the variant's accelerators; a variant may override them.",
      true,
    ),
    variants: variantList('inference'),
    placement: PLACEMENT,
    port: int('Port the model server listens on in each replica; each site exposes it through a Service.', {
      minimum: 1,
      maximum: 65535,
      default: 8080,
    }),
    queue: dns1123Label(
      'Name of the Queue the minimum replicas are charged to; the service waits until the queue admits them. Replicas above the minimum are not charged and never wait for the queue.',
      { default: DEFAULT_QUEUE },
    ),
  },
  {
    required: ['resources', 'variants'],
    rules: [
      rule(
        '!has(self.placement) || !has(self.replicas) || self.placement.minSites <= self.replicas.min',
        'placement.minSites cannot exceed replicas.min: every site needs at least one replica',
        '.placement.minSites',
      ),
    ],
  },
);

const SITE_STATUS = obj(
  'InferenceSiteStatus',
  'The replicas at one site.',
  {
    site: dns1123Label('Name of the Site.'),
    variant: str('Variant the replicas at this site run as.', { maxLength: 63 }),
    pool: str('Node pool at the site the replicas run in (their nodeSelector), when placement named one.', { maxLength: 63 }),
    replicas: int('Replicas placed at this site.', { minimum: 0 }),
    readyReplicas: int('Replicas at this site that are ready to serve.', { minimum: 0 }),
  },
  { required: ['site'] },
);

const ENDPOINT = obj(
  'InferenceEndpoint',
  'Where one site serves the model.',
  {
    site: dns1123Label('Name of the Site.'),
    url: str('URL of the Service at that site, for example http://10.0.3.7:8080.', { maxLength: 2048 }),
  },
  { required: ['site', 'url'] },
);

const REPLICA_INTERVAL = obj(
  'InferenceReplicaInterval',
  'A stretch of time during which one site held the same replicas of the service (count, variant, pool), for metering.',
  {
    site: dns1123Label('Site the replicas were placed at.'),
    variant: str('Variant the replicas ran as.', { maxLength: 63 }),
    pool: str('Node pool at the site the replicas ran in; empty when placement named none.', { maxLength: 63 }),
    replicas: int('Replicas placed at the site during the interval.', { minimum: 0 }),
    startTime: dateTime('When the site began to hold these replicas.'),
    endTime: dateTime('When that ended (the replicas at the site changed, moved away or were removed); empty while it lasts.'),
    queue: dns1123Label('Queue the service was charged to when the interval began; empty when it ran without one.'),
    charge: resourceList(
      "What the replicas held at the site together: replicas × one replica's cpu, memory and devices. Metering multiplies it by the interval's duration.",
    ),
    pricePerHour: num(
      "What the replicas cost per hour at the site when the interval began: their devices × the site's price per device-hour of the pool's model; empty when the site names no price for it.",
      { minimum: 0 },
    ),
    currency: str("ISO 4217 code of pricePerHour: the site's currency when the interval began.", {
      minLength: 3,
      maxLength: 3,
      pattern: '^[A-Z]{3}$',
    }),
  },
  { required: ['site', 'replicas', 'startTime'] },
);

const STATUS = obj('InferenceServiceStatus', 'What the operator observed and decided. Written only by the operator.', {
  observedGeneration: int('The metadata.generation this status was computed from.', { minimum: 0, format: 'int64' }),
  conditions: conditions(INFERENCE_SERVICE_CONDITIONS),
  replicas: int('Replicas placed, over all sites.', { minimum: 0 }),
  readyReplicas: int('Replicas ready to serve, over all sites.', { minimum: 0 }),
  sites: mapList('Replicas per site, in site-name order.', SITE_STATUS, ['site'], { maxItems: 256 }),
  endpoints: mapList('Where the model is served, one endpoint per site with ready replicas.', ENDPOINT, ['site'], {
    maxItems: 256,
  }),
  placement: PLACEMENT_RECORD,
  admission: ADMISSION,
  replicaIntervals: atomicList(
    'Where the replicas were placed over time, oldest first, for metering: the most recent 256 intervals (one still open is never dropped).',
    REPLICA_INTERVAL,
    { maxItems: 256 },
  ),
}, STATUS_DEFAULT);

/** INFERENCE_SERVICE is the InferenceService kind. */
export const INFERENCE_SERVICE: KindDefinition = {
  kind: Kind.InferenceService,
  plural: Plural.InferenceService,
  singular: 'inferenceservice',
  scope: 'Namespaced',
  shortNames: ['isvc'],
  description:
    'InferenceService serves a model from replicas spread over several sites of the federation; each site runs the best variant its hardware allows, a CPU-only fallback included.',
  spec: SPEC,
  status: STATUS,
  name: WORKLOAD_NAME,
  printerColumns: [
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Replicas ready to serve.' },
    { name: 'Min', type: 'integer', jsonPath: '.spec.replicas.min', description: 'Replicas needed to be Ready.' },
    { name: 'Max', type: 'integer', jsonPath: '.spec.replicas.max', description: 'Most replicas.', priority: 1 },
    conditionColumn('Available', 'Ready', 'Whether replicas.min replicas serve.'),
    conditionColumn('Degraded', 'Degraded', 'Whether fewer replicas or sites serve than asked for.', 1),
    AGE_COLUMN,
  ],
};
