/**
 * Queue (cluster-scoped): a federation-wide quota that TrainingJobs are charged to, with a weight for fair sharing
 * between queues and a policy on preemption.
 */
import { Kind, Plural, PreemptionPolicy, QUEUE_CONDITIONS } from '../names.ts';
import { celList, dateTime, dns1123Label, int, map, mapList, num, obj, oneOf, rule, setList, str } from './builders.ts';
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
  'What the queue\'s workloads used at one site, accumulated over their attempts.',
  {
    site: dns1123Label('Name of the Site.'),
    currency: str('ISO 4217 code of cost: the currency the site priced the attempts in.', { maxLength: 3 }),
    cost: num('Cost of the attempts at the site: each attempt\'s price per hour × its hours.', { minimum: 0 }),
    resourceHours: map(
      'Resource-hours per resource name: device-hours for accelerators, core-hours for cpu, byte-hours for memory.',
      num('Hours of this resource.', { minimum: 0 }),
      { maxProperties: 32 },
    ),
  },
  { required: ['site'] },
);

const METERING = obj('QueueMetering', 'Accumulated use of the queue, per site.', {
  sites: mapList('Use per site, in site-name order.', SITE_METERING, ['site'], { maxItems: 1024 }),
  measuredTime: dateTime('When the totals were computed (running attempts count up to this time).'),
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
  cost: str('Accumulated cost over every site, per currency, for kubectl get (for example "1234.50 CNY").', {
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
