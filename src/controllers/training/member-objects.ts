/**
 * The member-side objects of a TrainingJob: the Namespace they live in, a headless Service for rendezvous and an
 * Indexed Job with one pod per worker. Pure: the same TrainingJob and decision always render the same objects, so
 * a repeated server-side apply (after a restart, say) is harmless, and names never depend on time or chance.
 */
import type { V1EnvVar, V1Job, V1Namespace, V1Service, V1Toleration } from '@kubernetes/client-node';
import type { TrainingJob, TrainingVariant } from '../../api/generated/types.ts';
import { DEFAULT_RESUME_ENV, LABEL_ARCH, LABEL_EPOCH, LABEL_POOL, LABEL_NAMESPACE, LABEL_SITE, LABEL_WORKLOAD } from '../../api/names.ts';
import { VENDOR_INFO } from '../../api/vendors.ts';
import { memberName } from '../framework/member-names.ts';
import { LABEL_MANAGED_BY, LABEL_OWNER_UID, LABEL_ROLE, LABEL_VARIANT, MANAGED_BY } from '../framework/member-labels.ts';

/** COMPLETION_INDEX_ANNOTATION is set by the Job controller on every pod of an Indexed Job. */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** RENDEZVOUS_PORT is where worker 0 listens for the others (torch.distributed's default). */
export const RENDEZVOUS_PORT = 29500;
/** DEFAULT_BACKOFF_LIMIT is failurePolicy.backoffLimit when the spec leaves it out (as the schema documents). */
export const DEFAULT_BACKOFF_LIMIT = 3;
/** WORKER_CONTAINER is the name of the one container of a worker pod. */
export const WORKER_CONTAINER = 'worker';

/** Environment variables the operator sets in every worker. */
export const Env = {
  Rank: 'SUANWANG_WORKER_RANK',
  WorldSize: 'SUANWANG_WORLD_SIZE',
  Rendezvous: 'SUANWANG_RENDEZVOUS',
  CheckpointPath: 'SUANWANG_CHECKPOINT_PATH',
} as const;

/** MemberDecision is where and as what the job runs: what the member objects are rendered from. */
export interface MemberDecision {
  readonly site: string;
  readonly variant: string;
  readonly epoch: number;
  /** The node pool placement chose, when it says; adds a nodeSelector on LABEL_POOL. */
  readonly pool?: string;
  /** The pool's accelerator resource name, when known; else the vendor's usual one (VENDOR_INFO). */
  readonly acceleratorResource?: string;
}

/** MemberObjects are the three objects created at the site, in creation order. */
export interface MemberObjects {
  readonly namespace: V1Namespace;
  readonly service: V1Service;
  readonly job: V1Job;
}

/**
 * memberLabels are the labels every member object carries: which hub workload it belongs to, where it was placed
 * and in which placement epoch (so copies from an older epoch can be told apart and deleted).
 */
export function memberLabels(tj: TrainingJob, decision: Pick<MemberDecision, 'site' | 'epoch'>): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_WORKLOAD]: tj.metadata.name ?? '',
    [LABEL_NAMESPACE]: tj.metadata.namespace ?? '',
    [LABEL_SITE]: decision.site,
    [LABEL_EPOCH]: String(decision.epoch),
    ...(tj.metadata.uid !== undefined && { [LABEL_OWNER_UID]: tj.metadata.uid }),
  };
}

/** findVariant returns the variant of the spec named `name`. */
export function findVariant(tj: TrainingJob, name: string): TrainingVariant | undefined {
  return tj.spec.variants.find((v) => v.name === name);
}

/**
 * isResumeAttempt says whether the attempt of `epoch` comes after an earlier one, counted from status.attempts.
 * Counting attempts of older epochs (not the list's length) gives the same answer before and after the current
 * attempt is appended, so a re-render after a restart matches the first one.
 */
export function isResumeAttempt(tj: TrainingJob, epoch: number): boolean {
  return (tj.status?.attempts ?? []).some((a) => a.epoch === undefined || a.epoch < epoch);
}

/**
 * renderMembers renders the member objects of `tj` for a decision. Throws when the decision names a variant the
 * spec does not have (the spec changed under a placement; the caller decides what that means).
 */
export function renderMembers(tj: TrainingJob, decision: MemberDecision): MemberObjects {
  const variant = findVariant(tj, decision.variant);
  if (variant === undefined) throw new Error(`variant "${decision.variant}" is not in spec.variants`);
  const namespace = tj.metadata.namespace ?? 'default';
  const name = memberName(namespace, tj.metadata.name ?? '');
  const labels = memberLabels(tj, decision);
  const workers = tj.spec.workers ?? 1;

  const ns: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
  };

  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      clusterIP: 'None',
      // Workers must find worker 0 while it is still starting: rendezvous happens before anyone is Ready.
      publishNotReadyAddresses: true,
      // The epoch keeps pods of an older placement, still terminating, out of the new rendezvous.
      selector: {
        [LABEL_WORKLOAD]: labels[LABEL_WORKLOAD] ?? '',
        [LABEL_NAMESPACE]: labels[LABEL_NAMESPACE] ?? '',
        [LABEL_EPOCH]: labels[LABEL_EPOCH] ?? '',
      },
      ports: [{ name: 'rendezvous', port: RENDEZVOUS_PORT, targetPort: RENDEZVOUS_PORT, protocol: 'TCP' }],
    },
  };

  const resources = workerResources(tj, variant, decision);
  const nodeSelector: Record<string, string> = {};
  if (variant.architecture !== undefined) nodeSelector[LABEL_ARCH] = variant.architecture;
  if (decision.pool !== undefined) nodeSelector[LABEL_POOL] = decision.pool;
  const tolerations: V1Toleration[] = resources.accelerator === undefined ? [] : [
    // Accelerator nodes are commonly tainted with their resource name; a pod requesting the resource may go there
    // (what the ExtendedResourceToleration admission plugin adds where it is enabled).
    { key: resources.accelerator, operator: 'Exists', effect: 'NoSchedule' },
  ];

  const resume = isResumeAttempt(tj, decision.epoch) ? tj.spec.checkpoint : undefined;
  const args = [...(variant.args ?? []), ...(resume?.resume?.args ?? [])];
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels: { ...labels, [LABEL_VARIANT]: decision.variant } },
    spec: {
      completionMode: 'Indexed',
      completions: workers,
      parallelism: workers,
      backoffLimit: tj.spec.failurePolicy?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
      template: {
        metadata: { labels: { ...labels, [LABEL_ROLE]: 'worker' } },
        spec: {
          // With the Service of the same name, worker i resolves as <name>-<i>.<name>.<namespace>.svc.
          subdomain: name,
          restartPolicy: 'Never',
          ...(Object.keys(nodeSelector).length > 0 && { nodeSelector }),
          ...(tolerations.length > 0 && { tolerations }),
          containers: [
            {
              name: WORKER_CONTAINER,
              image: variant.image,
              ...(variant.command !== undefined && { command: [...variant.command] }),
              ...(args.length > 0 && { args }),
              env: workerEnv(tj, variant, name, namespace, workers, resume !== undefined),
              resources: { requests: { ...resources.amounts }, limits: { ...resources.amounts } },
            },
          ],
        },
      },
    },
  };
  return { namespace: ns, service, job };
}

/** rendezvousAddress is worker 0's address: its stable hostname under the headless Service, and the port. */
export function rendezvousAddress(name: string, namespace: string): string {
  return `${name}-0.${name}.${namespace}.svc:${RENDEZVOUS_PORT}`;
}

function workerEnv(
  tj: TrainingJob,
  variant: TrainingVariant,
  name: string,
  namespace: string,
  workers: number,
  resume: boolean,
): V1EnvVar[] {
  const env: V1EnvVar[] = [
    {
      name: Env.Rank,
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } },
    },
    { name: Env.WorldSize, value: String(workers) },
    { name: Env.Rendezvous, value: rendezvousAddress(name, namespace) },
  ];
  const checkpoint = tj.spec.checkpoint;
  if (checkpoint !== undefined) {
    env.push({ name: Env.CheckpointPath, value: checkpoint.path });
    if (resume) env.push({ name: checkpoint.resume?.env ?? DEFAULT_RESUME_ENV, value: checkpoint.path });
  }
  // The variant's own variables come last so that they may refer to ours as $(NAME).
  for (const e of variant.env ?? []) env.push(e.value === undefined ? { name: e.name } : { name: e.name, value: e.value });
  return env;
}

interface WorkerResources {
  readonly amounts: Record<string, string>;
  /** The accelerator resource name, when the variant needs devices. */
  readonly accelerator: string | undefined;
}

function workerResources(tj: TrainingJob, variant: TrainingVariant, decision: MemberDecision): WorkerResources {
  const amounts: Record<string, string> = {
    cpu: String(variant.resources?.cpu ?? tj.spec.resources.cpu),
    memory: String(variant.resources?.memory ?? tj.spec.resources.memory),
  };
  const a = variant.cpuOnly === true ? undefined : variant.accelerator;
  if (a === undefined) return { amounts, accelerator: undefined };
  const resource = decision.acceleratorResource ?? VENDOR_INFO[a.vendor].resourceName;
  amounts[resource] = String(a.count ?? 1);
  return { amounts, accelerator: resource };
}
