/**
 * The site's own limits on what the federation may run there (docs/site-policy.md). In pull mode the agent applies
 * the member objects the hub sends; before it does, checkSitePolicy reads them as plain objects and either allows
 * the set or refuses it with one Refusal per broken rule, each with a stable reason, the object, the field path and
 * the limit. Pure: the agent wires the result into its applier and its report to the hub.
 *
 * It fails closed: a kind it does not know, a field of the wrong type, an image it cannot parse or a device count it
 * cannot read is refused, never let through, because what the policy cannot read it cannot vouch for.
 */
import type { V1PodSpec } from '@kubernetes/client-node';
import { formatImageName, formatImagePrefix, imageMatchesPrefix, parseImageReference, type ImagePrefix } from './image-reference.ts';
import { podRequests } from './pod-requests.ts';
import { isAcceleratorResource, toUnits } from './resource-units.ts';

/** RefusalReason is the stable machine reason of a refusal; the hub shows it and placement keys on it. */
export const RefusalReason = {
  /** An object whose apiVersion and kind the federation never renders. */
  KindNotAllowed: 'KindNotAllowed',
  /** An object the policy cannot read: a field of the wrong type, a bad quantity, no name. */
  InvalidObject: 'InvalidObject',
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  ImageNotAllowed: 'ImageNotAllowed',
  /** An image that is not a valid reference: it would fail at every site, so it says nothing about this one. */
  InvalidImageReference: 'InvalidImageReference',
  TooManyDevices: 'TooManyDevices',
  PrivilegedNotAllowed: 'PrivilegedNotAllowed',
  HostPathNotAllowed: 'HostPathNotAllowed',
  /** hostNetwork, hostPID or hostIPC. */
  HostNamespaceNotAllowed: 'HostNamespaceNotAllowed',
  HostPortNotAllowed: 'HostPortNotAllowed',
  CapabilityNotAllowed: 'CapabilityNotAllowed',
  /** A Service that is not a plain ClusterIP one: NodePort, LoadBalancer, ExternalName or externalIPs. */
  ServiceExposureNotAllowed: 'ServiceExposureNotAllowed',
} as const;
export type RefusalReasonValue = (typeof RefusalReason)[keyof typeof RefusalReason];

/** PodSecurityLimits say which ways out of a container's isolation member pods may use; all off by default. */
export interface PodSecurityLimits {
  readonly privileged: boolean;
  readonly hostPath: boolean;
  readonly hostNamespaces: boolean;
  readonly hostPorts: boolean;
  /** Capabilities a container may add, upper case without `CAP_`; `ALL` allows any. */
  readonly capabilities: readonly string[];
}

/** SitePolicy is a parsed policy (parseSitePolicy in site-policy-file.ts reads it from the chart's document). */
export interface SitePolicy {
  /** Exact namespace names, `<prefix>*` patterns, or `*`; empty allows none (see namespaceAllowed). */
  readonly namespaces: readonly string[];
  /** `any`, or the registries and repository paths images may come from; empty allows none. */
  readonly images: 'any' | readonly ImagePrefix[];
  /** The most accelerator devices one workload may hold at this site at once; undefined: no limit. */
  readonly maxDevicesPerWorkload: number | undefined;
  readonly pods: PodSecurityLimits;
}

/**
 * DEFAULT_SITE_POLICY is what a site gets when it says nothing: today's behaviour for where and what (member objects
 * live in the namespace of their hub workload, so any namespace but the reserved ones; any image; no device cap) and
 * no way out of container isolation.
 */
export const DEFAULT_SITE_POLICY: SitePolicy = {
  namespaces: ['*'],
  images: 'any',
  maxDevicesPerWorkload: undefined,
  pods: { privileged: false, hostPath: false, hostNamespaces: false, hostPorts: false, capabilities: [] },
};

/** Refusal is one broken rule: what, where (object and field path) and why, with the limit. */
export interface Refusal {
  readonly reason: RefusalReasonValue;
  /** `Kind namespace/name` (`Namespace name` for a Namespace; `objects[i]` when it has no readable name). */
  readonly object: string;
  /** The field path inside the object, e.g. `spec.template.spec.containers[0].image`; '' for the object itself. */
  readonly path: string;
  readonly message: string;
}

/** PolicyVerdict is the outcome of a check: allowed, or every refusal found (in object order). */
export type PolicyVerdict = { readonly allowed: true } | { readonly allowed: false; readonly refusals: readonly Refusal[] };

/** CheckContext is what the agent knows about itself that the policy depends on. */
export interface CheckContext {
  /** The agent's own namespace: never allowed, since any pod there could mount the agent's credentials. */
  readonly agentNamespace?: string;
}

/** RESERVED_PREFIX: a pattern never matches Kubernetes' own namespaces (`kube-system`, …); only an exact name does. */
const RESERVED_PREFIX = 'kube-';

/**
 * namespaceAllowed: an exact entry allows that namespace; `team-*` allows names starting `team-`; `*` allows any.
 * Patterns never match `kube-*` namespaces, and nothing allows the agent's own namespace.
 */
export function namespaceAllowed(policy: SitePolicy, namespace: string, ctx: CheckContext = {}): boolean {
  if (ctx.agentNamespace !== undefined && namespace === ctx.agentNamespace) return false;
  return policy.namespaces.some((p) =>
    p.endsWith('*') ? !namespace.startsWith(RESERVED_PREFIX) && namespace.startsWith(p.slice(0, -1)) : namespace === p,
  );
}

/** normaliseCapability: `cap_net_admin` and `NET_ADMIN` are the same capability to the runtime. */
export function normaliseCapability(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

type Obj = Record<string, unknown>;

/** The kinds the federation renders at a site (training and inference member objects), by `apiVersion/kind`. */
const KNOWN_KINDS = ['v1/Namespace', 'v1/Service', 'batch/v1/Job', 'apps/v1/Deployment'] as const;

interface DeviceUse {
  readonly object: string;
  readonly path: string;
  readonly pods: number;
  readonly perPod: number;
}

/** checkSitePolicy checks the member objects of one workload at this site against the policy (module comment). */
export function checkSitePolicy(policy: SitePolicy, objects: readonly unknown[], ctx: CheckContext = {}): PolicyVerdict {
  const refusals: Refusal[] = [];
  const devices: DeviceUse[] = [];
  objects.forEach((o, i) => new ObjectCheck(policy, ctx, refusals, devices).run(o, i));
  const total = devices.reduce((n, d) => n + d.pods * d.perPod, 0);
  const max = policy.maxDevicesPerWorkload;
  const first = devices.find((d) => d.perPod > 0);
  if (max !== undefined && total > max && first !== undefined) {
    const parts = devices.filter((d) => d.perPod > 0).map((d) => `${d.object}: ${d.pods} pod(s) × ${d.perPod}`);
    refusals.push({
      reason: RefusalReason.TooManyDevices,
      object: first.object,
      path: first.path,
      message: `${first.object}: ${first.path}: the workload asks for ${total} accelerator devices at once (${parts.join('; ')}), more than the site's maximum of ${max} per workload`,
    });
  }
  return refusals.length === 0 ? { allowed: true } : { allowed: false, refusals };
}

/** ObjectCheck walks one object, adding refusals and device use to the shared lists. */
class ObjectCheck {
  #id = '';
  private readonly policy: SitePolicy;
  private readonly ctx: CheckContext;
  private readonly refusals: Refusal[];
  private readonly devices: DeviceUse[];

  constructor(policy: SitePolicy, ctx: CheckContext, refusals: Refusal[], devices: DeviceUse[]) {
    this.policy = policy;
    this.ctx = ctx;
    this.refusals = refusals;
    this.devices = devices;
  }

  run(value: unknown, index: number): void {
    this.#id = `objects[${index}]`;
    if (!isObj(value)) return this.refuse(RefusalReason.InvalidObject, '', `is ${describe(value)}, not an object`);
    const apiVersion = value['apiVersion'];
    const kind = value['kind'];
    const key = `${String(apiVersion)}/${String(kind)}`;
    const meta = this.obj(value, 'metadata', 'metadata');
    const name = meta?.['name'];
    const namespace = meta?.['namespace'];
    if (typeof name !== 'string' || name === '') return this.refuse(RefusalReason.InvalidObject, 'metadata.name', `${key} has no name`);
    this.#id = kind === 'Namespace' ? `Namespace ${name}` : `${String(kind)} ${typeof namespace === 'string' ? namespace : ''}/${name}`;
    if (!(KNOWN_KINDS as readonly string[]).includes(key)) {
      return this.refuse(
        RefusalReason.KindNotAllowed,
        '',
        `${key} is not a kind the federation renders, so the site does not apply it (known: ${KNOWN_KINDS.join(', ')})`,
      );
    }
    if (kind === 'Namespace') return this.namespace(name, 'metadata.name');
    if (typeof namespace !== 'string' || namespace === '') {
      return this.refuse(RefusalReason.NamespaceNotAllowed, 'metadata.namespace', 'has no namespace; the site applies member objects only into a namespace it allows');
    }
    this.namespace(namespace, 'metadata.namespace');
    const spec = this.obj(value, 'spec', 'spec');
    switch (key) {
      case 'v1/Service':
        return this.service(spec);
      case 'batch/v1/Job':
        return this.workload(spec, this.jobPods(spec));
      case 'apps/v1/Deployment':
        return this.workload(spec, this.count(spec, 'replicas', 'spec.replicas', 1));
    }
  }

  private namespace(ns: string, path: string): void {
    if (namespaceAllowed(this.policy, ns, this.ctx)) return;
    const why = ns === this.ctx.agentNamespace ? 'it is the agent\'s own namespace, which is never allowed' : `allowed: ${listOrNone(this.policy.namespaces)}; patterns never match kube-* namespaces`;
    this.refuse(RefusalReason.NamespaceNotAllowed, path, `namespace "${ns}" is not allowed at this site (${why})`);
  }

  private service(spec: Obj | undefined): void {
    const type = spec?.['type'];
    if (type !== undefined && type !== 'ClusterIP') {
      this.refuse(RefusalReason.ServiceExposureNotAllowed, 'spec.type', `type ${JSON.stringify(type)} is not allowed: member Services are ClusterIP only`);
    }
    const ips = spec === undefined ? undefined : this.list(spec, 'externalIPs', 'spec.externalIPs');
    if (ips !== undefined && ips.length > 0) {
      this.refuse(RefusalReason.ServiceExposureNotAllowed, 'spec.externalIPs', 'externalIPs are not allowed: member Services are ClusterIP only');
    }
  }

  /** jobPods is how many pods of a Job run at once: parallelism (default 1), at most completions when set. */
  private jobPods(spec: Obj | undefined): number | undefined {
    const parallelism = this.count(spec, 'parallelism', 'spec.parallelism', 1);
    const completions = this.count(spec, 'completions', 'spec.completions', undefined);
    if (parallelism === undefined) return undefined;
    return completions === undefined ? parallelism : Math.min(parallelism, completions);
  }

  private workload(spec: Obj | undefined, pods: number | undefined): void {
    const template = spec === undefined ? undefined : this.obj(spec, 'template', 'spec.template');
    const podSpec = template === undefined ? undefined : this.obj(template, 'spec', 'spec.template.spec');
    if (podSpec === undefined) return this.refuse(RefusalReason.InvalidObject, 'spec.template.spec', 'has no pod template');
    const base = 'spec.template.spec';
    const refusedBefore = this.refusals.length;
    this.podSecurity(podSpec, base);
    let devicePath: string | undefined; // the first container asking for devices, for the refusal's path
    for (const group of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
      const list = this.list(podSpec, group, `${base}.${group}`) ?? [];
      list.forEach((c, i) => {
        const path = `${base}.${group}[${i}]`;
        if (!isObj(c)) return this.refuse(RefusalReason.InvalidObject, path, `is ${describe(c)}, not a container`);
        this.image(c, path);
        this.containerSecurity(c, path);
        if (this.asksForDevices(c, path)) devicePath ??= `${path}.resources`;
      });
    }
    // A pod spec the policy could not read (a device count, a list that is not one) has no trustworthy count; the
    // InvalidObject refusal stands for it. Otherwise pod-requests.ts applies Kubernetes' init and sidecar rules.
    const unreadable = this.refusals.slice(refusedBefore).some((r) => r.reason === RefusalReason.InvalidObject);
    if (pods === undefined || unreadable) return;
    const units = podRequests({ spec: podSpec as unknown as V1PodSpec });
    let perPod = 0;
    for (const [name, n] of units) if (isAcceleratorResource(name)) perPod += n;
    this.devices.push({ object: this.#id, path: devicePath ?? `${base}.containers`, pods, perPod });
  }

  private podSecurity(podSpec: Obj, base: string): void {
    const p = this.policy.pods;
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (!p.hostNamespaces && podSpec[field] === true) {
        this.refuse(RefusalReason.HostNamespaceNotAllowed, `${base}.${field}`, `${field} is not allowed at this site`);
      }
    }
    if (this.hostProcess(podSpec, base)) {
      this.refuse(RefusalReason.PrivilegedNotAllowed, `${base}.securityContext.windowsOptions.hostProcess`, 'Windows host process pods are not allowed at this site');
    }
    (this.list(podSpec, 'volumes', `${base}.volumes`) ?? []).forEach((v, i) => {
      if (!p.hostPath && isObj(v) && v['hostPath'] !== undefined) {
        const where = isObj(v['hostPath']) && typeof v['hostPath']['path'] === 'string' ? ` (${v['hostPath']['path']})` : '';
        this.refuse(RefusalReason.HostPathNotAllowed, `${base}.volumes[${i}].hostPath`, `hostPath volume "${String(v['name'])}"${where} is not allowed at this site`);
      }
    });
  }

  private hostProcess(owner: Obj, base: string): boolean {
    if (this.policy.pods.privileged) return false;
    const sc = this.obj(owner, 'securityContext', `${base}.securityContext`);
    const win = sc === undefined ? undefined : this.obj(sc, 'windowsOptions', `${base}.securityContext.windowsOptions`);
    return win?.['hostProcess'] === true;
  }

  private containerSecurity(c: Obj, path: string): void {
    const p = this.policy.pods;
    const sc = this.obj(c, 'securityContext', `${path}.securityContext`);
    if (!p.privileged && sc?.['privileged'] === true) {
      this.refuse(RefusalReason.PrivilegedNotAllowed, `${path}.securityContext.privileged`, `container "${String(c['name'])}" is privileged, which this site never allows`);
    }
    if (this.hostProcess(c, path)) {
      this.refuse(RefusalReason.PrivilegedNotAllowed, `${path}.securityContext.windowsOptions.hostProcess`, `container "${String(c['name'])}" is a Windows host process, which this site never allows`);
    }
    const caps = sc === undefined ? undefined : this.obj(sc, 'capabilities', `${path}.securityContext.capabilities`);
    const allowed = new Set(p.capabilities.map(normaliseCapability));
    (caps === undefined ? [] : (this.list(caps, 'add', `${path}.securityContext.capabilities.add`) ?? [])).forEach((cap, i) => {
      const capPath = `${path}.securityContext.capabilities.add[${i}]`;
      if (typeof cap !== 'string') return this.refuse(RefusalReason.InvalidObject, capPath, `is ${describe(cap)}, not a capability name`);
      if (allowed.has('ALL') || allowed.has(normaliseCapability(cap))) return;
      this.refuse(RefusalReason.CapabilityNotAllowed, capPath, `container "${String(c['name'])}" adds capability ${cap}; allowed: ${listOrNone(p.capabilities)}`);
    });
    if (!p.hostPorts) {
      (this.list(c, 'ports', `${path}.ports`) ?? []).forEach((port, i) => {
        const hostPort = isObj(port) ? port['hostPort'] : undefined;
        if (hostPort !== undefined && hostPort !== 0) {
          this.refuse(RefusalReason.HostPortNotAllowed, `${path}.ports[${i}].hostPort`, `container "${String(c['name'])}" binds host port ${String(hostPort)}, which this site does not allow`);
        }
      });
    }
  }

  private image(c: Obj, path: string): void {
    const image = c['image'];
    const p = `${path}.image`;
    if (typeof image !== 'string') return this.refuse(RefusalReason.InvalidImageReference, p, `container "${String(c['name'])}" has no image`);
    const ref = parseImageReference(image);
    if (!ref.ok) return this.refuse(RefusalReason.InvalidImageReference, p, `image "${image}" ${ref.error}`);
    const allowed = this.policy.images;
    if (allowed === 'any' || allowed.some((prefix) => imageMatchesPrefix(ref.value, prefix))) return;
    this.refuse(
      RefusalReason.ImageNotAllowed,
      p,
      `image "${image}" (${formatImageName(ref.value)}) is not from a registry or repository this site allows (allowed: ${listOrNone(allowed.map(formatImagePrefix))})`,
    );
  }

  /**
   * asksForDevices says whether a container asks for accelerator devices, refusing any device quantity it cannot
   * read: a count the policy cannot read could hide any number.
   */
  private asksForDevices(c: Obj, path: string): boolean {
    const resources = this.obj(c, 'resources', `${path}.resources`);
    let asks = false;
    for (const field of ['requests', 'limits'] as const) {
      const list = resources === undefined ? undefined : this.obj(resources, field, `${path}.resources.${field}`);
      for (const [name, q] of Object.entries(list ?? {})) {
        if (!isAcceleratorResource(name)) continue;
        const n = typeof q === 'string' || typeof q === 'number' ? toUnits(name, String(q)) : undefined;
        if (n === undefined) this.refuse(RefusalReason.InvalidObject, `${path}.resources.${field}["${name}"]`, `${JSON.stringify(q)} is not a device count`);
        else if (n > 0) asks = true;
      }
    }
    return asks;
  }

  /** count reads a non-negative whole number field, with its default when absent; undefined after a refusal. */
  private count(obj: Obj | undefined, key: string, path: string, dflt: number | undefined): number | undefined {
    const v = obj?.[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    this.refuse(RefusalReason.InvalidObject, path, `${JSON.stringify(v)} is not a whole number ≥ 0`);
    return undefined;
  }

  private obj(owner: Obj, key: string, path: string): Obj | undefined {
    const v = owner[key];
    if (v === undefined || v === null) return undefined;
    if (isObj(v)) return v;
    this.refuse(RefusalReason.InvalidObject, path, `is ${describe(v)}, not a mapping`);
    return undefined;
  }

  private list(owner: Obj, key: string, path: string): unknown[] | undefined {
    const v = owner[key];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v;
    this.refuse(RefusalReason.InvalidObject, path, `is ${describe(v)}, not a list`);
    return undefined;
  }

  private refuse(reason: RefusalReasonValue, path: string, message: string): void {
    this.refusals.push({ reason, object: this.#id, path, message: `${this.#id}: ${path === '' ? '' : `${path}: `}${message}` });
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}

function listOrNone(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
