/**
 * Names of the Suanwang API that code compares against: group, version, kinds, plurals, condition types and reasons,
 * phases, label keys, the finalizer. The schema under ./schema/ takes its enums from here, so a value the apiserver
 * accepts is always one the controllers know. Objects of constants stand in for enums (erasableSyntaxOnly).
 */

/** GROUP is the API group of every Suanwang kind. */
export const GROUP = 'suanwang.io';
/** VERSION is the only served (and stored) version. */
export const VERSION = 'v1alpha1';
/** API_VERSION is the `apiVersion` field of every Suanwang object. */
export const API_VERSION = 'suanwang.io/v1alpha1';
/** CATEGORY puts every kind in `kubectl get suanwang`. */
export const CATEGORY = 'suanwang';

/** Kind names the four kinds. */
export const Kind = {
  Site: 'Site',
  TrainingJob: 'TrainingJob',
  InferenceService: 'InferenceService',
  Queue: 'Queue',
} as const;
export type KindName = (typeof Kind)[keyof typeof Kind];

/** Plural is each kind's resource name, as in URLs and RBAC rules. */
export const Plural = {
  Site: 'sites',
  TrainingJob: 'trainingjobs',
  InferenceService: 'inferenceservices',
  Queue: 'queues',
} as const satisfies Record<KindName, string>;

/** crdName returns the CustomResourceDefinition name of a kind, e.g. `trainingjobs.suanwang.io`. */
export function crdName(kind: KindName): string {
  return `${Plural[kind]}.${GROUP}`;
}

/** ConditionStatus is metav1.ConditionStatus. */
export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatusValue = (typeof ConditionStatus)[keyof typeof ConditionStatus];

/** ConditionType holds every condition type of every kind; the per-kind lists below say which kind uses which. */
export const ConditionType = {
  /**
   * Site: the site can take new work. InferenceService: at least replicas.min replicas serve. TrainingJob: it
   * succeeded (its work is done; kstatus reads Ready=True as Current). Queue: its spec is observed and in force.
   */
  Ready: 'Ready',
  /** Site: the site's agent holds an authenticated session with the operator. */
  AgentConnected: 'AgentConnected',
  /** Site: the agent's last report was written as sent; False names what was dropped or clamped, or a refused write. */
  ReportAccepted: 'ReportAccepted',
  /** Site: the kubeconfig Secret the Site names can be used (inline credentials, an https server, our namespace). */
  ConnectionAccepted: 'ConnectionAccepted',
  /** TrainingJob: its queue admitted it (quota reserved). */
  Admitted: 'Admitted',
  /** TrainingJob: its queue stopped it to admit other work (Queue preemptionPolicy); it waits to be admitted again. */
  Preempted: 'Preempted',
  /** TrainingJob: a site and a variant were chosen and the member objects exist there. */
  Placed: 'Placed',
  /** TrainingJob: every worker runs. */
  Running: 'Running',
  /** TrainingJob: finished successfully (terminal). */
  Succeeded: 'Succeeded',
  /** TrainingJob: finished unsuccessfully (terminal). */
  Failed: 'Failed',
  /** InferenceService: serving, but with fewer replicas or sites than asked for. */
  Degraded: 'Degraded',
  /**
   * Every kind, kstatus's abnormal-true condition (sigs.k8s.io/cli-utils/pkg/kstatus, read by Flux): present and
   * True while the operator is still working towards the spec (waiting for capacity, starting, connecting); absent
   * otherwise. docs/gitops-health.md has the table.
   */
  Reconciling: 'Reconciling',
  /**
   * Every kind, kstatus's abnormal-true condition: present and True while the object cannot reach its spec without a
   * change by a person (failed, can never fit the federation as built, credentials refused); absent otherwise.
   */
  Stalled: 'Stalled',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** SITE_CONDITIONS are the condition types a Site carries. */
export const SITE_CONDITIONS = [
  ConditionType.Ready,
  ConditionType.AgentConnected,
  ConditionType.ReportAccepted,
  ConditionType.ConnectionAccepted,
  ConditionType.Reconciling,
  ConditionType.Stalled,
] as const;
/** TRAINING_JOB_CONDITIONS are the condition types a TrainingJob carries. */
export const TRAINING_JOB_CONDITIONS = [
  ConditionType.Admitted,
  ConditionType.Preempted,
  ConditionType.Placed,
  ConditionType.Running,
  ConditionType.Succeeded,
  ConditionType.Failed,
  ConditionType.Ready,
  ConditionType.Reconciling,
  ConditionType.Stalled,
] as const;
/** INFERENCE_SERVICE_CONDITIONS are the condition types an InferenceService carries. */
export const INFERENCE_SERVICE_CONDITIONS = [
  ConditionType.Admitted,
  ConditionType.Ready,
  ConditionType.Degraded,
  ConditionType.Reconciling,
  ConditionType.Stalled,
] as const;
/** QUEUE_CONDITIONS are the condition types a Queue carries. */
export const QUEUE_CONDITIONS = [ConditionType.Ready] as const;

/**
 * Reason holds the condition reasons (PascalCase, as metav1.Condition requires). Controllers pick from here so that
 * users, alerts and tests can match on them; add new ones here rather than writing strings inline.
 */
export const Reason = {
  // Site
  AgentReporting: 'AgentReporting',
  AgentNeverConnected: 'AgentNeverConnected',
  AgentDisconnected: 'AgentDisconnected',
  LeaseExpired: 'LeaseExpired',
  SiteLost: 'SiteLost',
  Cordoned: 'Cordoned',
  KubeconfigMissing: 'KubeconfigMissing',
  KubeconfigInvalid: 'KubeconfigInvalid',
  ApiServerUnreachable: 'ApiServerUnreachable',
  // Site ConnectionAccepted (with KubeconfigMissing and KubeconfigInvalid above)
  KubeconfigAccepted: 'KubeconfigAccepted',
  /** ConnectionAccepted=True for a Pull site: the agent applies its members; there is no kubeconfig to check. */
  PullMode: 'PullMode',
  /** A pull site's agent refused a member object by its site policy (the message names the rule). */
  RefusedBySite: 'RefusedBySite',
  /** The kubeconfig holds a field that runs code, reads files or sends credentials elsewhere (exec, tokenFile, ...). */
  KubeconfigNotAllowed: 'KubeconfigNotAllowed',
  /** kubeconfigSecretRef names a namespace other than the operator's own. */
  SecretNamespaceNotAllowed: 'SecretNamespaceNotAllowed',
  // Site AgentConnected=False when the operator refused the agent's client certificate (src/operator/agent-certificates.ts)
  /** The certificate is on the operator's revocation list (--revoked-agent-certificates). */
  CertificateRevoked: 'CertificateRevoked',
  /** The Site pins its agent's certificate (spec.connection.agentCertificateSHA256) and this is another one. */
  CertificateNotPinned: 'CertificateNotPinned',
  // Site ReportAccepted: True/ReportValid, else the class of the first problem (controllers/site/report-check.ts)
  ReportValid: 'ReportValid',
  InvalidPoolName: 'InvalidPoolName',
  TooManyPools: 'TooManyPools',
  ValueTooLong: 'ValueTooLong',
  ValueOutOfRange: 'ValueOutOfRange',
  InvalidQuantity: 'InvalidQuantity',
  InvalidValue: 'InvalidValue',
  /** The apiserver refused the status write; liveness was written without the new pool data. */
  StatusRejected: 'StatusRejected',
  // TrainingJob admission
  QuotaReserved: 'QuotaReserved',
  QuotaExceeded: 'QuotaExceeded',
  QueueNotFound: 'QueueNotFound',
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  /** Waiting behind higher-priority or older work of its queue, or for its queue's turn at contended capacity. */
  Queued: 'Queued',
  /** Admitted without a queue: it names the default queue and no Queue named default exists. */
  NoQueue: 'NoQueue',
  Suspended: 'Suspended',
  Preempted: 'Preempted',
  // Placement
  SiteSelected: 'SiteSelected',
  SitesSelected: 'SitesSelected',
  Unschedulable: 'Unschedulable',
  NoSiteReady: 'NoSiteReady',
  MemberCreateFailed: 'MemberCreateFailed',
  SiteUnreachable: 'SiteUnreachable',
  /** TrainingJob: members found at the sites are newer than the status knew (it was lost): fenced before placing. */
  MembersRediscovered: 'MembersRediscovered',
  // Running and finishing
  WorkersStarting: 'WorkersStarting',
  WorkersRunning: 'WorkersRunning',
  Restarting: 'Restarting',
  FailingOver: 'FailingOver',
  Completed: 'Completed',
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  FailoverLimitExceeded: 'FailoverLimitExceeded',
  DeviceUnhealthy: 'DeviceUnhealthy',
  /** TrainingJob: a device under one of its running workers failed; restarting from the checkpoint. */
  DeviceFailure: 'DeviceFailure',
  /** TrainingJob: the site's scheduler left workers Pending past the gang start timeout; placing elsewhere. */
  StartTimeout: 'StartTimeout',
  // InferenceService
  MinReplicasReady: 'MinReplicasReady',
  ReplicasNotReady: 'ReplicasNotReady',
  FewerSitesThanRequested: 'FewerSitesThanRequested',
  ReplicasBelowDesired: 'ReplicasBelowDesired',
  AllReplicasReady: 'AllReplicasReady',
  // GitOps health (Ready, Reconciling, Stalled; docs/gitops-health.md)
  /**
   * TrainingJob, InferenceService: Stalled — the workload could not fit even the federation as built (every site
   * Ready, uncordoned and idle, the queue's quota unused), so waiting will not place it: more workers or replicas
   * than any site holds, a rule no site meets, a spec placement cannot read.
   */
  NeverFits: 'NeverFits',
  /** Queue: Ready — the operator has read the queue's spec (status.observedGeneration) and admits under it. */
  SpecObserved: 'SpecObserved',
} as const;
export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** TrainingJobPhase is the one-word summary of a TrainingJob in `kubectl get`. */
export const TrainingJobPhase = {
  /** Waiting for its queue to admit it or for a site to fit it. */
  Pending: 'Pending',
  /** Suspended by the user (spec.suspend) or by preemption; nothing runs. */
  Suspended: 'Suspended',
  /** Placed on a site; member objects exist; workers are starting. */
  Placed: 'Placed',
  /** Every worker runs. */
  Running: 'Running',
  /** The current attempt ended (worker failure or lost site); the job is being restarted or moved. */
  Restarting: 'Restarting',
  /** Finished successfully. */
  Succeeded: 'Succeeded',
  /** Finished unsuccessfully; see the Failed condition. */
  Failed: 'Failed',
} as const;
export type TrainingJobPhaseName = (typeof TrainingJobPhase)[keyof typeof TrainingJobPhase];

/** AttemptOutcome says how one attempt of a TrainingJob (one run at one site) ended. */
export const AttemptOutcome = {
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  SiteLost: 'SiteLost',
  DeviceUnhealthy: 'DeviceUnhealthy',
  /** A device under a running worker turned Unhealthy: the attempt was stopped and the job restarted from its checkpoint. */
  DeviceFailure: 'DeviceFailure',
  /** Not every worker was running at the site within the gang start timeout: the attempt was withdrawn. */
  StartTimeout: 'StartTimeout',
  /** A pull site's agent refused the members by its site policy; the next placement leaves that site out. */
  Refused: 'Refused',
  Evicted: 'Evicted',
  Preempted: 'Preempted',
  Suspended: 'Suspended',
} as const;
export type AttemptOutcomeName = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];

/** CandidateVerdict says what placement made of one candidate site. */
export const CandidateVerdict = {
  /** Chosen (for an InferenceService, one of the chosen sites). */
  Selected: 'Selected',
  /** Passed every filter but scored lower than the chosen one(s). */
  Feasible: 'Feasible',
  /** Failed at least one filter; reasons says which. */
  Rejected: 'Rejected',
} as const;
export type CandidateVerdictName = (typeof CandidateVerdict)[keyof typeof CandidateVerdict];

/** PreemptionPolicy is what a Queue may do to admit a waiting workload. */
export const PreemptionPolicy = {
  Never: 'Never',
  LowerPriority: 'LowerPriority',
  FairShare: 'FairShare',
} as const;
export type PreemptionPolicyName = (typeof PreemptionPolicy)[keyof typeof PreemptionPolicy];

/**
 * ConnectionMode is how the operator reaches a site: Push calls the site's apiserver with a kubeconfig from the hub;
 * Pull sends the site's member objects over its agent's session, and the agent applies them (the hub holds no
 * credentials for the site and never dials it).
 */
export const ConnectionMode = { Push: 'Push', Pull: 'Pull' } as const;
export type ConnectionModeName = (typeof ConnectionMode)[keyof typeof ConnectionMode];

/** ARCHITECTURES are the CPU architectures of node pools (Kubernetes `kubernetes.io/arch` values). */
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
/** PRECISIONS are the numeric formats an accelerator pool computes in and a variant may require. */
export const PRECISIONS = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'] as const;

/** LABEL_WORKLOAD marks member objects with the name of the hub workload they belong to. */
export const LABEL_WORKLOAD = 'suanwang.io/workload';
/** LABEL_NAMESPACE marks member objects with the hub namespace of their workload. */
export const LABEL_NAMESPACE = 'suanwang.io/namespace';
/** LABEL_SITE marks member objects with the site they were placed on. */
export const LABEL_SITE = 'suanwang.io/site';
/** LABEL_EPOCH marks member objects with their placement epoch, so older copies can be fenced off. */
export const LABEL_EPOCH = 'suanwang.io/epoch';
/** FINALIZER_CLEANUP holds a hub workload until its member objects are deleted at every site. */
export const FINALIZER_CLEANUP = 'suanwang.io/cleanup';

/** SYSTEM_NAMESPACE is where the operator and the site kubeconfig Secrets live on the hub. */
export const SYSTEM_NAMESPACE = 'suanwang-system';
/** KUBECONFIG_SECRET_KEY is the Secret key holding a site's kubeconfig. */
export const KUBECONFIG_SECRET_KEY = 'kubeconfig';
/** siteKubeconfigSecretName is the conventional name of the Secret holding a site's kubeconfig. */
export function siteKubeconfigSecretName(site: string): string {
  return `site-${site}-kubeconfig`;
}

/** DEFAULT_QUEUE is the Queue a TrainingJob is charged to when it names none. */
export const DEFAULT_QUEUE = 'default';
/** DEFAULT_RESUME_ENV is the variable that tells a worker which checkpoint to resume from. */
export const DEFAULT_RESUME_ENV = 'SUANWANG_RESUME_FROM';
/** DEFAULT_CURRENCY is the currency of prices that name none. */
export const DEFAULT_CURRENCY = 'CNY';

/**
 * LABEL_MANAGED_BY is the well-known label marking objects Suanwang manages at a site (its member Jobs, Deployments,
 * Services, Namespaces); MANAGED_BY is its value. The operator watches them by it, and a site agent fences them by
 * it when it loses the hub.
 */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'suanwang';
/**
 * LABEL_OWNER_UID carries the uid of the hub object (TrainingJob, InferenceService) a member object was made for.
 * Epochs restart at 1 when a workload is deleted and created again under the same name; the uid tells a copy left by
 * the earlier one (at a site that was unreachable when it was deleted) from the current one's, whatever their epochs.
 */
export const LABEL_OWNER_UID = 'suanwang.io/owner-uid';
/** LABEL_ARCH is the well-known node label of the CPU architecture (kubelet sets it; placement selects by it). */
export const LABEL_ARCH = 'kubernetes.io/arch';
/** LABEL_POOL names the node pool a Node belongs to; the agent groups Nodes by it (the lab sets it on every Node). */
export const LABEL_POOL = 'suanwang.io/pool';
/**
 * LABEL_PRECISIONS lists the numeric formats a Node's accelerators compute in, joined by "." (label values allow no
 * commas), e.g. `fp8.bf16.fp16.fp32`. Site operators set it where the vendor's labels do not say.
 */
export const LABEL_PRECISIONS = 'suanwang.io/precisions';
/**
 * ANNOTATION_DEVICES is where `suanwang node-reporter` publishes a Node's device inventory and health as compact JSON;
 * the agent reads it. NODE_CONDITION_ACCELERATORS is the Node condition the reporter keeps beside it.
 */
export const ANNOTATION_DEVICES = 'suanwang.io/devices';
export const NODE_CONDITION_ACCELERATORS = 'AcceleratorHealthy';
