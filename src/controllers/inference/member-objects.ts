/**
 * The member-side objects of an InferenceService at one site: the Namespace they live in, a Deployment with the
 * site's share of the replicas, and a ClusterIP Service in front of them. Pure: the same service, assignment and
 * epoch always render the same objects, so a repeated server-side apply is harmless.
 *
 * What may change without restarting a replica is kept out of the pod template: the replica count and the
 * placement epoch live on the Deployment (spec.replicas, metadata labels) only. The template depends on the spec,
 * the site, the variant and the pool alone, so re-stamping a site for a new epoch, or scaling it, rolls nothing
 * (see rebalance.ts and fencing.ts for when the epoch moves).
 */
import { createHash } from 'node:crypto';
import type { V1Deployment, V1EnvVar, V1Namespace, V1Service, V1Toleration } from '@kubernetes/client-node';
import type { InferenceService, InferenceVariant } from '../../api/generated/types.ts';
import { LABEL_ARCH, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_POOL, LABEL_SITE, LABEL_WORKLOAD } from '../../api/names.ts';
import { parseQuantity } from '../../api/quantity.ts';
import { VENDOR_INFO } from '../../api/vendors.ts';
import { memberName } from '../framework/member-names.ts';
import { LABEL_MANAGED_BY, LABEL_OWNER_UID, LABEL_ROLE, LABEL_VARIANT, MANAGED_BY } from '../framework/member-labels.ts';

/**
 * ANNOTATION_RENDERED holds a hash of the rendered object, so a pass can tell that what runs at a site is already
 * what it would apply and skip the write (a poll every few seconds would otherwise re-apply every site).
 */
export const ANNOTATION_RENDERED = 'suanwang.io/rendered-hash';
/** SERVER_CONTAINER is the name of the one container of a replica. */
export const SERVER_CONTAINER = 'server';
/** PORT_NAME names the model server's port on the container and the Service. */
export const PORT_NAME = 'http';
/** DEFAULT_PORT is spec.port when the spec leaves it out (as the schema documents). */
export const DEFAULT_PORT = 8080;

/** Environment variables the operator sets in every replica. */
export const Env = {
  Site: 'SUANWANG_SITE',
  Variant: 'SUANWANG_VARIANT',
  Port: 'SUANWANG_PORT',
} as const;

/** MemberAssignment is what one site runs: how many replicas of which variant, on which pool when known. */
export interface MemberAssignment {
  readonly site: string;
  readonly variant: string;
  readonly replicas: number;
  /** The node pool the replicas go to; adds a nodeSelector on LABEL_POOL. */
  readonly pool?: string;
  /** The pool's accelerator resource name, when known; else the vendor's usual one (VENDOR_INFO). */
  readonly acceleratorResource?: string;
}

/** InferenceMembers are the objects applied at one site, in creation order. */
export interface InferenceMembers {
  readonly namespace: V1Namespace;
  readonly service: V1Service;
  readonly deployment: V1Deployment;
}

/** inferenceMemberName is the name of the Deployment and the Service at every site (the same at each site). */
export function inferenceMemberName(svc: InferenceService): string {
  return memberName(svc.metadata.namespace ?? 'default', svc.metadata.name ?? '');
}

/** servicePort is the port the model server listens on and the Service exposes. */
export function servicePort(svc: InferenceService): number {
  return svc.spec.port ?? DEFAULT_PORT;
}

/**
 * selectorLabels select a service's replicas at a site. Deployment selectors are immutable, so they hold only what
 * never changes for a site: a variant change must be a rolling update of the same Deployment, not a new one.
 */
export function selectorLabels(svc: InferenceService): Record<string, string> {
  return { [LABEL_WORKLOAD]: svc.metadata.name ?? '', [LABEL_NAMESPACE]: svc.metadata.namespace ?? 'default' };
}

/** memberLabels are the metadata labels of the Deployment and the Service: owner (name and uid), site, epoch, variant. */
export function memberLabels(svc: InferenceService, site: string, variant: string, epoch: number): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    ...selectorLabels(svc),
    [LABEL_SITE]: site,
    [LABEL_EPOCH]: String(epoch),
    [LABEL_VARIANT]: variant,
    ...(svc.metadata.uid !== undefined && { [LABEL_OWNER_UID]: svc.metadata.uid }),
  };
}

/** findInferenceVariant returns the variant of the spec named `name`. */
export function findInferenceVariant(svc: InferenceService, name: string): InferenceVariant | undefined {
  return svc.spec.variants.find((v) => v.name === name);
}

/**
 * renderInferenceMembers renders the objects of `svc` at one site for `assignment` in placement `epoch`. Throws
 * when the assignment names a variant the spec does not have (the spec changed under a placement).
 */
export function renderInferenceMembers(svc: InferenceService, assignment: MemberAssignment, epoch: number): InferenceMembers {
  const variant = findInferenceVariant(svc, assignment.variant);
  if (variant === undefined) throw new Error(`variant "${assignment.variant}" is not in spec.variants`);
  const namespace = svc.metadata.namespace ?? 'default';
  const name = inferenceMemberName(svc);
  const labels = memberLabels(svc, assignment.site, variant.name, epoch);
  const port = servicePort(svc);

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
      type: 'ClusterIP',
      // Old and new variant pods both serve while a site rolls from one to the other.
      selector: selectorLabels(svc),
      ports: [{ name: PORT_NAME, port, targetPort: PORT_NAME, protocol: 'TCP' }],
    },
  };

  const resources = replicaResources(svc, variant, assignment);
  const nodeSelector: Record<string, string> = {};
  if (variant.architecture !== undefined) nodeSelector[LABEL_ARCH] = variant.architecture;
  if (assignment.pool !== undefined) nodeSelector[LABEL_POOL] = assignment.pool;
  const tolerations: V1Toleration[] =
    resources.accelerator === undefined ? [] : [{ key: resources.accelerator, operator: 'Exists', effect: 'NoSchedule' }];

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      replicas: assignment.replicas,
      selector: { matchLabels: selectorLabels(svc) },
      template: {
        // No epoch here: a new epoch at a site whose assignment did not change must not roll its pods.
        metadata: {
          labels: { [LABEL_MANAGED_BY]: MANAGED_BY, ...selectorLabels(svc), [LABEL_SITE]: assignment.site, [LABEL_VARIANT]: variant.name, [LABEL_ROLE]: 'replica' },
        },
        spec: {
          ...(Object.keys(nodeSelector).length > 0 && { nodeSelector }),
          ...(tolerations.length > 0 && { tolerations }),
          containers: [
            {
              name: SERVER_CONTAINER,
              image: variant.image,
              ...(variant.command !== undefined && { command: [...variant.command] }),
              ...(variant.args !== undefined && { args: [...variant.args] }),
              env: replicaEnv(variant, assignment.site, port),
              ports: [{ name: PORT_NAME, containerPort: port, protocol: 'TCP' }],
              resources: { requests: { ...resources.amounts }, limits: { ...resources.amounts } },
              // A model server listens only once its weights are loaded; until then the replica is not counted
              // ready and its site gets no endpoint.
              readinessProbe: { tcpSocket: { port: PORT_NAME }, periodSeconds: 10 },
            },
          ],
        },
      },
    },
  };
  return { namespace: ns, service: stamped(service), deployment: stamped(deployment) };
}

/**
 * renderedHash is the hash ANNOTATION_RENDERED carries: sha256 of the object as rendered, before the annotation.
 * Rendering builds keys in a fixed order, so JSON.stringify is canonical enough here.
 */
export function renderedHash(obj: V1Deployment | V1Service): string {
  const { annotations: _drop, ...metadata } = obj.metadata ?? {};
  return createHash('sha256').update(JSON.stringify({ ...obj, metadata })).digest('hex').slice(0, 16);
}

function stamped<T extends V1Deployment | V1Service>(obj: T): T {
  return { ...obj, metadata: { ...obj.metadata, annotations: { [ANNOTATION_RENDERED]: renderedHash(obj) } } };
}

/**
 * replicaEnv: the site and variant let one image behave per hardware; the variant's own variables come last so
 * they may refer to ours as $(NAME). Nothing that changes on a scale (the replica count) goes here.
 */
function replicaEnv(variant: InferenceVariant, site: string, port: number): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: Env.Site, value: site },
    { name: Env.Variant, value: variant.name },
    { name: Env.Port, value: String(port) },
  ];
  for (const e of variant.env ?? []) env.push(e.value === undefined ? { name: e.name } : { name: e.name, value: e.value });
  return env;
}

interface ReplicaResources {
  readonly amounts: Record<string, string>;
  /** The accelerator resource name, when the variant needs devices. */
  readonly accelerator: string | undefined;
}

/**
 * replicaResources: cpu and memory per replica (variant override first), devices for an accelerator variant. A
 * CPU variant requests at least its minMemory (the model must fit), the same rule placement applied
 * (placement/workload.ts), so the site's scheduler only picks nodes placement counted.
 */
function replicaResources(svc: InferenceService, variant: InferenceVariant, assignment: MemberAssignment): ReplicaResources {
  let memory = String(variant.resources?.memory ?? svc.spec.resources.memory);
  const a = variant.cpuOnly === true ? undefined : variant.accelerator;
  if (a === undefined && variant.minMemory !== undefined) {
    const need = parseQuantity(variant.minMemory);
    const have = parseQuantity(memory);
    if (need !== undefined && (have === undefined || need > have)) memory = String(variant.minMemory);
  }
  const amounts: Record<string, string> = { cpu: String(variant.resources?.cpu ?? svc.spec.resources.cpu), memory };
  if (a === undefined) return { amounts, accelerator: undefined };
  const resource = assignment.acceleratorResource ?? VENDOR_INFO[a.vendor].resourceName;
  amounts[resource] = String(a.count ?? 1);
  return { amounts, accelerator: resource };
}
