/**
 * Queue (cluster-scoped): a federation-wide quota that TrainingJobs are charged to, with a weight for fair sharing
 * between queues and a policy on preemption.
 */
import { Kind, Plural, PreemptionPolicy, QUEUE_CONDITIONS } from '../names.ts';
import { atomicList, celList, dateTime, dns1123Label, int, map, num, obj, oneOf, rule, setList, str } from './builders.ts';
import { conditions, STATUS_DEFAULT } from './conditions.ts';
import { AGE_COLUMN, type KindDefinition } from './kind-definition.ts';
import { QUOTA_RESOURCES, resourceList } from './resources.ts';

const SPEC = obj('QueueSpec', 'Quota, fair-share weight, preemption policy and who may use the queue.', {
  quota: resourceList(
    'Most of each resource that workloads admitted through this queue may hold at once, summed over every site. A resource not listed is not limited.',
    [
      rule(
        `self.all(k, k in ${celList(QUOTA_RESOURCES)})`,
        `quota keys must be one of ${QUOTA_RESOURCES.join(', ')}`,
      ),
    ],
  ),
  weight: int(
    'Share of contended capacity relative to other queues: a queue with weight 2 gets twice the share of one with weight 1 when both have work waiting.',
    { minimum: 1, maximum: 1000, default: 1 },
  ),
  preemptionPolicy: oneOf(
    'What the queue may do to admit a waiting workload. Never: wait. LowerPriority: stop lower-priority workloads of this queue. FairShare: also reclaim capacity from queues using more than their fair share.',
    Object.values(PreemptionPolicy),
    { default: PreemptionPolicy.Never },
  ),
  borrowingLimit: resourceList(
    'How much more than quota, per resource, the queue may hold when other queues leave capacity idle. A resource not listed may not be borrowed: quota is then a hard limit. Borrowed capacity is the first that FairShare preemption takes back.',
    [
      rule(
        `self.all(k, k in ${celList(QUOTA_RESOURCES)})`,
        `borrowingLimit keys must be one of ${QUOTA_RESOURCES.join(', ')}`,
      ),
    ],
  ),
  namespaces: setList(
    'Namespaces whose workloads may use the queue; empty means every namespace.',
    dns1123Label('A namespace.'),
    { maxItems: 256 },
  ),
});

const SITE_METERING = obj(
  'QueueSiteMetering',
  "What the queue's workloads used at one site, priced in one currency: their attempts and replica intervals, those of deleted workloads included.",
  {
    site: dns1123Label('Name of the Site.'),
    currency: str(
      'ISO 4217 code the site priced these hours in; empty for the hours of attempts and replicas the site did not price. A site that priced in two currencies has an entry for each.',
      { maxLength: 3 },
    ),
    cost: num('Cost of these hours in currency: each attempt\'s or interval\'s price per hour × its hours.', { minimum: 0 }),
    resourceHours: map(
      'Resource-hours per resource name: device-hours for accelerators, core-hours for cpu, byte-hours for memory.',
      num('Hours of this resource.', { minimum: 0 }),
      { maxProperties: 32 },
    ),
  },
  { required: ['site'] },
);

const RETIRED_USAGE = obj(
  'QueueRetiredUsage',
  'What deleted workloads used at one site in one period, priced in one currency: kept in the Queue when a workload is deleted, so that its usage outlives it.',
  {
    site: dns1123Label('Name of the Site.'),
    currency: str('ISO 4217 code the hours were priced in; empty when the site did not price them.', { maxLength: 3 }),
    startTime: dateTime('Start of the period: a UTC day, or a month or year once older days were merged.'),
    endTime: dateTime('End of the period (exclusive).'),
    resourceHours: map(
      'Resource-hours per resource name, as in sites.',
      num('Hours of this resource.', { minimum: 0 }),
      { maxProperties: 32 },
    ),
    resourceCost: map(
      'Cost in currency per resource that carries it (the devices of priced attempts and replicas).',
      num('Cost of this resource.', { minimum: 0 }),
      { maxProperties: 32 },
    ),
  },
  { required: ['site', 'startTime', 'endTime'] },
);

const METERING = obj('QueueMetering', 'Accumulated use of the queue, per site and currency.', {
  sites: atomicList(
    'Use per site and currency, in site-name order, then currency order (unpriced first); deleted workloads included.',
    SITE_METERING,
    { maxItems: 1024 },
  ),
  measuredTime: dateTime('When the totals were computed (running attempts count up to this time).'),
  retired: atomicList(
    'Usage of deleted workloads per site, currency and period, oldest first: per UTC day, the oldest days merged into months and then years when the list would pass 512 entries. Counted in sites.',
    RETIRED_USAGE,
    { maxItems: 1024 },
  ),
  retiredWorkloads: atomicList(
    'Uids of deleted workloads whose usage is in retired and that may still be on the hub (while the operator removes its metering finalizer): each is folded in once. A uid leaves the list once its workload is gone.',
    str('A workload uid.', { maxLength: 128 }),
    { maxItems: 4096 },
  ),
});

const STATUS = obj('QueueStatus', 'What the queue holds now. Written only by the operator.', {
  observedGeneration: int('The metadata.generation this status was computed from.', { minimum: 0, format: 'int64' }),
  conditions: conditions(QUEUE_CONDITIONS),
  usage: resourceList('Resources held by admitted workloads, summed over every site.'),
  borrowed: resourceList('The part of usage above quota, held through borrowingLimit.'),
  admitted: int('Workloads admitted and not finished.', { minimum: 0 }),
  pending: int('Workloads waiting for admission.', { minimum: 0 }),
  devices: str('The main accelerator\'s usage against quota, for kubectl get (for example "12/32 nvidia.com/gpu").', {
    maxLength: 128,
  }),
  cost: str('Accumulated cost over every site, per currency, deleted workloads included, for kubectl get (for example "1234.50 CNY, 80.00 USD").', {
    maxLength: 256,
  }),
  metering: METERING,
}, STATUS_DEFAULT);

/** QUEUE is the Queue kind. */
export const QUEUE: KindDefinition = {
  kind: Kind.Queue,
  plural: Plural.Queue,
  singular: 'queue',
  scope: 'Cluster',
  shortNames: ['sq'],
  description:
    'Queue is a federation-wide quota that TrainingJobs are charged to, with a weight for fair sharing and a preemption policy.',
  spec: SPEC,
  status: STATUS,
  printerColumns: [
    { name: 'Weight', type: 'integer', jsonPath: '.spec.weight', description: 'Fair-share weight.' },
    {
      name: 'Preemption',
      type: 'string',
      jsonPath: '.spec.preemptionPolicy',
      description: 'Preemption policy.',
      priority: 1,
    },
    { name: 'Admitted', type: 'integer', jsonPath: '.status.admitted', description: 'Workloads admitted.' },
    { name: 'Pending', type: 'integer', jsonPath: '.status.pending', description: 'Workloads waiting.' },
    { name: 'Devices', type: 'string', jsonPath: '.status.devices', description: 'Main accelerator usage/quota.' },
    { name: 'Cost', type: 'string', jsonPath: '.status.cost', description: 'Accumulated cost.' },
    AGE_COLUMN,
  ],
};
