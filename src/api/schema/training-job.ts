/**
 * TrainingJob (namespaced): a gang of workers that runs on one site, as the best of its variants that fits there,
 * resumes from its checkpoint when it has to move, and is charged to a queue.
 */
import {
  AttemptOutcome,
  DEFAULT_QUEUE,
  DEFAULT_RESUME_ENV,
  Kind,
  Plural,
  TRAINING_JOB_CONDITIONS,
  TrainingJobPhase,
} from '../names.ts';
import {
  atomicList,
  bool,
  dateTime,
  dns1123Label,
  int,
  num,
  obj,
  oneOf,
  str,
} from './builders.ts';
import { conditions, STATUS_DEFAULT } from './conditions.ts';
import { AGE_COLUMN, type KindDefinition } from './kind-definition.ts';
import { ADMISSION } from './admission.ts';
import { PLACEMENT_RECORD } from './placement-record.ts';
import { computeResources, currency, resourceList } from './resources.ts';
import { SITE_RULE_PROPERTIES, SITE_RULE_RULES } from './site-rules.ts';
import { variantList } from './variant.ts';
import { WORKLOAD_NAME } from './object-names.ts';

const PLACEMENT = obj(
  'TrainingPlacement',
  'Rules on where the job may run. Sites that break a rule are rejected; the placement record says which rule.',
  {
    ...SITE_RULE_PROPERTIES,
    maxPricePerHour: num(
      "The most the whole job may cost per hour at a site: workers × accelerators per worker × the site's price per accelerator-hour of the pool's model. Sites above it, or without a price for that model, are rejected. CPU-only variants are not priced. Empty means no limit.",
      { minimum: 0 },
    ),
    currency: currency(
      'ISO 4217 code of maxPricePerHour, for example CNY; when a limit is set, sites priced in another currency are rejected.',
    ),
  },
  { rules: SITE_RULE_RULES },
);

const CHECKPOINT = obj(
  'Checkpoint',
  'Where the workers save their state, and how a restarted or moved job is told to resume from it.',
  {
    path: str(
      'Where workers write checkpoints: an object-storage URL or a shared filesystem path reachable from every site the job may run on (for example s3://checkpoints/llm-7b/).',
      { minLength: 1, maxLength: 1024 },
    ),
    resume: obj(
      'CheckpointResume',
      'How a worker learns, on every attempt after the first, that it should resume from path.',
      {
        env: str('Environment variable set to path on every attempt after the first; workers read it to resume.', {
          minLength: 1,
          maxLength: 256,
          pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
          default: DEFAULT_RESUME_ENV,
        }),
        args: atomicList(
          'Arguments appended to the variant\'s args on every attempt after the first, for example ["--resume-from", "$(SUANWANG_RESUME_FROM)"].',
          str('One argument.', { maxLength: 4096 }),
          { maxItems: 32 },
        ),
      },
      { default: {} },
    ),
  },
  { required: ['path'] },
);

const FAILURE_POLICY = obj(
  'FailurePolicy',
  'How often the job is retried at one site, and how often it may move to another.',
  {
    backoffLimit: int('Worker failures tolerated at one site before the attempt there fails (the Job backoffLimit).', {
      minimum: 0,
      maximum: 100,
      default: 3,
    }),
    maxSiteFailovers: int(
      'Times the job may move to another site after its site is lost, cordoned or its devices fail; then it fails.',
      { minimum: 0, maximum: 32, default: 2 },
    ),
  },
  { default: {} },
);

const SPEC = obj(
  'TrainingJobSpec',
  'What to run, on what hardware, under which rules.',
  {
    workers: int(
      'Number of workers, started together on one site (gang: all or none). Each worker is one pod of an Indexed Job, index 0 to workers-1.',
      { minimum: 1, maximum: 4096, default: 1 },
    ),
    resources: computeResources(
      'WorkerResources',
      "CPU and memory per worker, requested on top of the variant's accelerators.",
      true,
    ),
    variants: variantList('training'),
    placement: PLACEMENT,
    checkpoint: CHECKPOINT,
    failurePolicy: FAILURE_POLICY,
    queue: dns1123Label('Name of the Queue the job is charged to; it waits until the queue admits it.', {
      default: DEFAULT_QUEUE,
    }),
    priority: int('Priority within the queue; higher is admitted first and may preempt lower (see the Queue).', {
      minimum: -1000000,
      maximum: 1000000,
      default: 0,
    }),
    suspend: bool('True stops the job (its workers are deleted) and keeps it from starting; false lets it run.', {
      default: false,
    }),
    ttlSecondsAfterFinished: int('Seconds after the job finishes before it is deleted; empty keeps it.', {
      minimum: 0,
    }),
  },
  { required: ['resources', 'variants'] },
);

const ATTEMPT = obj(
  'TrainingAttempt',
  'One run of the job at one site.',
  {
    site: dns1123Label('Site the attempt ran on.'),
    variant: str('Variant the attempt ran as.', { maxLength: 63 }),
    pool: str('Node pool at the site the attempt ran in; empty when placement named none.', { maxLength: 63 }),
    epoch: int('Placement epoch of the attempt.', { minimum: 0, format: 'int64' }),
    startTime: dateTime('When the attempt was placed.'),
    endTime: dateTime('When the attempt ended; empty while it runs.'),
    outcome: oneOf('How the attempt ended, or Running.', Object.values(AttemptOutcome)),
    message: str('Details of the outcome.', { maxLength: 4096 }),
    queue: dns1123Label('Queue the attempt was charged to; empty when it ran without one.'),
    charge: resourceList(
      'What the attempt held at its site while it ran: every worker\'s cpu, memory and devices. Metering multiplies it by the attempt\'s duration.',
    ),
    pricePerHour: num(
      "What the attempt cost per hour at its site when it was placed: its devices × the site's price per device-hour of the pool's model; empty when the site names no price for it.",
      { minimum: 0 },
    ),
    currency: str('ISO 4217 code of pricePerHour: the site\'s currency when the attempt was placed.', {
      minLength: 3,
      maxLength: 3,
      pattern: '^[A-Z]{3}$',
    }),
  },
  { required: ['site', 'variant', 'startTime', 'outcome'] },
);

const STATUS = obj('TrainingJobStatus', 'What the operator observed and decided. Written only by the operator.', {
  observedGeneration: int('The metadata.generation this status was computed from.', { minimum: 0, format: 'int64' }),
  phase: oneOf('One-word summary of the job.', Object.values(TrainingJobPhase)),
  conditions: conditions(TRAINING_JOB_CONDITIONS),
  site: str('Site the job is placed on now; empty when not placed.', { maxLength: 63 }),
  variant: str('Variant the job runs as now; empty when not placed.', { maxLength: 63 }),
  pool: str(
    'Node pool at the site the workers run in (their nodeSelector); empty when not placed. Recorded with site, variant and placement.epoch so a restarted operator renders the same member objects.',
    { maxLength: 63 },
  ),
  acceleratorResource: str(
    'Extended resource the workers request at the site, as the pool reported it (for example huawei.com/Ascend910); empty for a CPU pool.',
    { maxLength: 253 },
  ),
  placement: PLACEMENT_RECORD,
  admission: ADMISSION,
  attempts: atomicList('Runs of the job so far, oldest first (the most recent 128).', ATTEMPT, { maxItems: 128 }),
  failovers: int('Times the job moved to another site.', { minimum: 0 }),
  startTime: dateTime('When the first attempt started.'),
  completionTime: dateTime('When the job succeeded or failed.'),
}, STATUS_DEFAULT);

/** TRAINING_JOB is the TrainingJob kind. */
export const TRAINING_JOB: KindDefinition = {
  kind: Kind.TrainingJob,
  plural: Plural.TrainingJob,
  singular: 'trainingjob',
  scope: 'Namespaced',
  shortNames: ['tj'],
  description:
    'TrainingJob runs a gang of workers on one site of the federation, as the best of its variants that fits there, and moves it (resuming from its checkpoint) when the site or its devices fail.',
  spec: SPEC,
  status: STATUS,
  name: WORKLOAD_NAME,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Phase of the job.' },
    { name: 'Site', type: 'string', jsonPath: '.status.site', description: 'Site the job is placed on.' },
    { name: 'Variant', type: 'string', jsonPath: '.status.variant', description: 'Variant the job runs as.' },
    { name: 'Workers', type: 'integer', jsonPath: '.spec.workers', description: 'Number of workers.', priority: 1 },
    { name: 'Queue', type: 'string', jsonPath: '.spec.queue', description: 'Queue the job is charged to.', priority: 1 },
    AGE_COLUMN,
  ],
};
