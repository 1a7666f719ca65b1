/**
 * Site (cluster-scoped): one member cluster at one compute centre. The spec is what the federation operator
 * declares (where it is, its rules, how to reach it, its prices); the status is what its agent reports.
 */
import {
  ConnectionMode,
  KUBECONFIG_SECRET_KEY,
  Kind,
  Plural,
  SITE_CONDITIONS,
  SYSTEM_NAMESPACE,
  ConditionType,
} from '../names.ts';
import {
  atomicList,
  bool,
  dateTime,
  dns1123Label,
  DNS1123_LABEL_PATTERN,
  int,
  LABEL_VALUE_PATTERN,
  mapList,
  num,
  obj,
  oneOf,
  quantity,
  rule,
  setList,
  str,
} from './builders.ts';
import { conditions, STATUS_DEFAULT } from './conditions.ts';
import { labelMap } from './labels.ts';
import { AGE_COLUMN, conditionColumn, type KindDefinition } from './kind-definition.ts';
import { architecture, currency, precision, resourceList, vendor } from './resources.ts';
import { SITE_NAME } from './object-names.ts';

const LABEL_VALUE = { minLength: 1, maxLength: 63, pattern: LABEL_VALUE_PATTERN };
/** CERTIFICATE_SHA256_PATTERN: 64 hex digits, or 32 colon-separated pairs (src/wire/agent-certificate.ts reads both). */
const CERTIFICATE_SHA256_PATTERN = '^([0-9A-Fa-f]{64}|([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$';

const CONNECTION = obj(
  'SiteConnection',
  "How the operator reaches the site's Kubernetes API.",
  {
    mode: oneOf(
      'Push: the operator calls the site\'s kube-apiserver with the kubeconfig in kubeconfigSecretRef. Pull: the hub holds no credentials for the site and never dials it; the operator sends the site\'s member objects over the agent\'s session, and the agent applies them (checked against its site policy) and reports them back.',
      Object.values(ConnectionMode),
      { default: ConnectionMode.Push },
    ),
    kubeconfigSecretRef: obj(
      'SecretKeyRef',
      `The Secret on the hub holding a kubeconfig for the site, conventionally site-<name>-kubeconfig in the operator's namespace (${SYSTEM_NAMESPACE} by convention). The kubeconfig may hold inline credentials only (token, or client-certificate-data and client-key-data; certificate-authority-data) for an https server: exec, auth-provider, file paths and proxy-url are refused.`,
      {
        name: str('Name of the Secret.', { minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
        namespace: dns1123Label(
          "Namespace of the Secret. Only the operator's own namespace (the chart's release namespace) is accepted; unset means that one.",
        ),
        key: str('Key in the Secret whose value is the kubeconfig.', {
          minLength: 1,
          maxLength: 253,
          pattern: '^[-._a-zA-Z0-9]+$',
          default: KUBECONFIG_SECRET_KEY,
        }),
      },
      { required: ['name'] },
    ),
    agentCertificateSHA256: setList(
      "Pins the site's agent to these client certificates: their SHA-256 fingerprints (64 hex digits, or 32 colon-separated pairs as `openssl x509 -noout -fingerprint -sha256` prints them). Unset, the operator accepts any certificate its agent CA signed for this site; set, it refuses every other one, however valid (AgentConnected=False, reason CertificateNotPinned), and ends an open session whose certificate is no longer listed. List the old and the new certificate while the agent's certificate is rotated.",
      str('SHA-256 fingerprint of a client certificate.', { pattern: CERTIFICATE_SHA256_PATTERN, maxLength: 95 }),
      { maxItems: 8 },
    ),
  },
  {
    rules: [
      rule(
        "self.mode != 'Push' || has(self.kubeconfigSecretRef)",
        'connection.kubeconfigSecretRef is required in Push mode',
        '.kubeconfigSecretRef',
      ),
    ],
  },
);

const ACCELERATOR_PRICE = obj(
  'AcceleratorPrice',
  'The price of one accelerator model.',
  {
    model: str(
      'Device model as the site reports it in its node pools (status.nodePools[].accelerator.model). Matched case-insensitively, ignoring spaces, "-" and "_".',
      { minLength: 1, maxLength: 128 },
    ),
    pricePerHour: num('Price of one device for one hour, in pricing.currency.', { minimum: 0 }),
  },
  { required: ['model', 'pricePerHour'] },
);

const PRICING = obj(
  'SitePricing',
  'What the site charges, per accelerator-hour and by model. Placement compares it with a job\'s price ceiling and scores cheaper sites higher.',
  {
    currency: currency('ISO 4217 code of every price here, for example CNY.'),
    accelerators: mapList('Price per accelerator-hour, one entry per model.', ACCELERATOR_PRICE, ['model'], {
      maxItems: 64,
    }),
  },
  { default: {} },
);

const SPEC = obj(
  'SiteSpec',
  'Where the site is, the rules it falls under, how to reach it and what it charges.',
  {
    region: str('Region of the site, for example cn-east; placement rules and preferences name regions.', LABEL_VALUE),
    zone: str('Zone within the region, for example cn-east-1a.', LABEL_VALUE),
    provider: str('Who runs the compute centre, for example east-ai-centre.', LABEL_VALUE),
    labels: labelMap(
      "Labels for placement rules (a workload's placement.siteSelector), for sovereignty and compliance, for example suanwang.io/sovereignty: cn.",
      'labels',
    ),
    connection: CONNECTION,
    pricing: PRICING,
    cordon: bool('True stops new placements on the site; what runs there keeps running.', { default: false }),
  },
  { required: ['region', 'connection'] },
);

const POOL_ACCELERATOR = obj(
  'PoolAccelerator',
  'The accelerators on each node of the pool.',
  {
    vendor: vendor('Accelerator vendor.'),
    model: str('Device model, as the node label reports it (for example NVIDIA-H100-80GB-HBM3).', { maxLength: 128 }),
    resourceName: str('Extended resource the device plugin advertises, for example nvidia.com/gpu.', { maxLength: 253 }),
    memory: quantity('Memory of one device, for example 80Gi.'),
    precisions: setList('Numeric formats the devices compute in.', precision('A numeric format.'), { maxItems: 16 }),
    count: int('Devices per node.', { minimum: 0 }),
  },
  { required: ['vendor', 'model'] },
);

/**
 * MAX_FREE_SHAPE_BUCKETS bounds a pool's freeShape: the agent coarsens its histogram to fit (src/agent/site/free-shape.ts),
 * and the operator keeps no more (src/controllers/site/report-check.ts). 32 buckets hold every free-device count of
 * an 8- or 16-device node with room for a few cpu and memory classes, at about 2 KiB per pool.
 */
export const MAX_FREE_SHAPE_BUCKETS = 32;

const FREE_SHAPE_BUCKET = obj(
  'FreeShapeBucket',
  'Nodes of the pool that can take the same work: each has at least `devices` free accelerators, `cpu` free cpu and `memory` free memory (the least among them, so a fit read from the bucket is never more than the nodes hold).',
  {
    nodes: int('Nodes in the bucket.', { minimum: 0 }),
    devices: int("Free accelerators (the pool's accelerator resource) on each of these nodes, at least; 0 for a CPU pool.", {
      minimum: 0,
    }),
    cpu: quantity('Free cpu on each of these nodes, at least.'),
    memory: quantity('Free memory on each of these nodes, at least.'),
  },
  { required: ['nodes', 'devices', 'cpu', 'memory'] },
);

const NODE_POOL = obj(
  'NodePool',
  'A group of alike nodes: same architecture, same accelerators.',
  {
    name: str('Name of the pool, unique in the site.', { minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN }),
    architecture: architecture('CPU architecture of the nodes.'),
    accelerator: POOL_ACCELERATOR,
    nodes: int('Nodes in the pool.', { minimum: 0 }),
    readyNodes: int('Nodes that are Ready and schedulable.', { minimum: 0 }),
    capacity: resourceList('Total capacity of the pool, per resource.'),
    allocatable: resourceList('Total allocatable resources of the pool (capacity less system reservations), per resource.'),
    allocated: resourceList('Resources requested by pods running in the pool, per resource.'),
    healthyDevices: int('Accelerators that are healthy.', { minimum: 0 }),
    unhealthyDevices: int('Accelerators that are unhealthy or whose health is unknown.', { minimum: 0 }),
    freeShape: atomicList(
      `How the pool's free capacity lies across its Ready, schedulable nodes: how many nodes have how many free accelerators, with their free cpu and memory, most free accelerators first, at most ${MAX_FREE_SHAPE_BUCKETS} buckets. Placement fits a gang's workers node by node against it (8 free devices as 4 + 4 do not hold one 8-device worker). Unset when the agent does not report it; placement then checks the pool's totals only.`,
      FREE_SHAPE_BUCKET,
      { maxItems: MAX_FREE_SHAPE_BUCKETS },
    ),
  },
  { required: ['name'] },
);

const STATUS = obj('SiteStatus', 'What the site\'s agent reports and what the operator concludes. Written only by the operator.', {
  observedGeneration: int('The metadata.generation this status was computed from.', { minimum: 0, format: 'int64' }),
  conditions: conditions(SITE_CONDITIONS),
  lastHeartbeatTime: dateTime('When the agent was last heard from.'),
  agentVersion: str('Version of the agent.', { maxLength: 128 }),
  nodePools: mapList('Node pools the agent reports, in name order.', NODE_POOL, ['name'], { maxItems: 128 }),
}, STATUS_DEFAULT);

/** SITE is the Site kind. */
export const SITE: KindDefinition = {
  kind: Kind.Site,
  plural: Plural.Site,
  singular: 'site',
  scope: 'Cluster',
  shortNames: ['st'],
  description:
    'Site is one member cluster of the federation at one compute centre: where it is, the rules it falls under, how the operator reaches it, what it charges, and (in status) what its agent reports.',
  spec: SPEC,
  status: STATUS,
  name: SITE_NAME,
  printerColumns: [
    { name: 'Region', type: 'string', jsonPath: '.spec.region', description: 'Region of the site.' },
    conditionColumn('Ready', ConditionType.Ready, 'Whether the site takes new work.'),
    conditionColumn('Agent', ConditionType.AgentConnected, 'Whether the agent is connected.'),
    { name: 'Cordoned', type: 'boolean', jsonPath: '.spec.cordon', description: 'Whether new placements are stopped.' },
    {
      name: 'Heartbeat',
      type: 'date',
      jsonPath: '.status.lastHeartbeatTime',
      description: 'Time since the agent was last heard from.',
      priority: 1,
    },
    AGE_COLUMN,
  ],
};
