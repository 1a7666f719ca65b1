/**
 * Builders for the site controller's unit tests (not used by production code):
 *   makeSite('shanghai').cordon().status({...}).obj()
 *   makeSession().heartbeats(2, at).obj()
 *   wirePool('h100').nvidia('NVIDIA-H100-80GB-HBM3').nodes(2, {gpus: 8}).obj()
 */
import { pino, type Logger } from 'pino';
import type { Site, SiteStatus } from '../../api/generated/types.ts';
import { LABEL_PRECISIONS } from '../../api/names.ts';
import type { DeviceOut, FreeBucketOut, NodePoolOut } from '../../wire/messages.ts';
import type { MessageMeta } from '../../wire/site-agent-handler.ts';
import { NO_DROPS, type SessionView } from './site-sessions.ts';

/** T0 is the tests' epoch: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** silentLogger drops everything. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** SiteBuilder builds a hub Site. */
export class SiteBuilder {
  readonly #site: Site;

  constructor(name: string) {
    this.#site = {
      apiVersion: 'suanwang.io/v1alpha1',
      kind: 'Site',
      metadata: { name, generation: 1, resourceVersion: '100' },
      spec: { region: 'cn-east', connection: { kubeconfigSecretRef: { name: `site-${name}-kubeconfig` } } },
    };
  }

  cordon(on = true): this {
    this.#site.spec.cordon = on;
    return this;
  }

  generation(g: number): this {
    this.#site.metadata.generation = g;
    return this;
  }

  status(s: SiteStatus | undefined): this {
    if (s === undefined) delete this.#site.status;
    else this.#site.status = s;
    return this;
  }

  obj(): Site {
    return structuredClone(this.#site);
  }
}

/** makeSite starts a Site named `name`, generation 1, resourceVersion "100", no status. */
export function makeSite(name: string): SiteBuilder {
  return new SiteBuilder(name);
}

/** withStatus returns `site` carrying `status` (what the apiserver holds after a write). */
export function withStatus(site: Site, status: SiteStatus): Site {
  return { ...site, status: structuredClone(status) };
}

/** SessionBuilder builds a SessionView directly, for the pure status tests. */
export class SessionBuilder {
  #v: SessionView = {
    connected: true,
    sessionId: 's1',
    agentInstanceId: 'i1',
    agentVersion: '0.1.0',
    registeredAt: T0,
    lastMessageAt: T0,
    disconnectedAt: undefined,
    disconnectReason: undefined,
    lastHeartbeatAt: undefined,
    lastHeartbeat: undefined,
    consecutiveHeartbeats: 0,
    runStartedBy: 'connect',
    generation: undefined,
    pools: undefined,
    healthEvents: [],
    dropped: NO_DROPS,
    truncation: undefined,
  };

  /** heartbeats says `n` consecutive heartbeats arrived, the last at `lastAt`. */
  heartbeats(n: number, lastAt: number): this {
    this.#v = { ...this.#v, consecutiveHeartbeats: n, lastHeartbeatAt: lastAt, lastMessageAt: lastAt };
    return this;
  }

  /** version sets the agent version the agent registered with. */
  version(v: string): this {
    this.#v = { ...this.#v, agentVersion: v };
    return this;
  }

  afterLeaseExpiry(): this {
    this.#v = { ...this.#v, runStartedBy: 'leaseExpiry' };
    return this;
  }

  disconnected(at: number, reason = 'stream cancelled or connection lost'): this {
    this.#v = { ...this.#v, connected: false, disconnectedAt: at, disconnectReason: reason, consecutiveHeartbeats: 0 };
    return this;
  }

  noMessageYet(): this {
    this.#v = { ...this.#v, lastMessageAt: undefined };
    return this;
  }

  pools(...pools: NodePoolOut[]): this {
    this.#v = { ...this.#v, pools: new Map(pools.map((p) => [p.name ?? '', p])), generation: 1 };
    return this;
  }

  obj(): SessionView {
    return this.#v;
  }
}

/** makeSession starts a connected session s1 registered at T0, no heartbeat yet. */
export function makeSession(): SessionBuilder {
  return new SessionBuilder();
}

/** meta is the MessageMeta of a message of session `sessionId` received at `at`. */
export function meta(at: number, seq = 1, sessionId = 's1', agentInstanceId = 'i1'): MessageMeta {
  return { sessionId, agentInstanceId, seq, receivedAt: at };
}

/** WirePoolBuilder builds a wire NodePool as an agent sends it. */
export class WirePoolBuilder {
  #p: NodePoolOut;

  constructor(name: string) {
    this.#p = { name, vendor: 'cpu', nodes: [] };
  }

  nvidia(model: string): this {
    this.#p = { ...this.#p, vendor: 'nvidia', acceleratorModel: model };
    return this;
  }

  /** nodes adds `n` Ready amd64 nodes; `gpus` per node go into capacity and the precision label. */
  nodes(n: number, opts: { gpus?: number; arch?: string; precisions?: string; notReady?: number; cordoned?: number } = {}): this {
    const nodes = [...(this.#p.nodes ?? [])];
    for (let i = 0; i < n; i++) {
      const labels: Record<string, string> = { 'kubernetes.io/arch': opts.arch ?? 'amd64' };
      if (opts.precisions !== undefined) labels[LABEL_PRECISIONS] = opts.precisions;
      nodes.push({
        name: `${this.#p.name}-${nodes.length}`,
        ready: i >= (opts.notReady ?? 0),
        ...(i < (opts.cordoned ?? 0) && { unschedulable: true }),
        labels,
        resources: { capacity: { cpu: '96', ...(opts.gpus !== undefined && { 'nvidia.com/gpu': String(opts.gpus) }) } },
      });
    }
    this.#p = { ...this.#p, nodes };
    return this;
  }

  resources(capacity: Record<string, string>, allocatable: Record<string, string>, allocated?: Record<string, string>): this {
    this.#p = { ...this.#p, resources: { capacity, allocatable, ...(allocated !== undefined && { allocated }) } };
    return this;
  }

  /** label sets a label on every node of the pool so far. */
  label(key: string, value: string): this {
    this.#p = { ...this.#p, nodes: (this.#p.nodes ?? []).map((n) => ({ ...n, labels: { ...n.labels, [key]: value } })) };
    return this;
  }

  health(counts: { healthy?: number; degraded?: number; unhealthy?: number; unknown?: number; lost?: number }): this {
    this.#p = { ...this.#p, deviceHealth: counts };
    return this;
  }

  /** shape sets the free shape; each bucket as the wire decodes it (zeros and empty strings absent). */
  shape(...buckets: FreeBucketOut[]): this {
    this.#p = { ...this.#p, freeShape: { buckets } };
    return this;
  }

  device(id: string, status: string, memoryBytes?: number, nodeName = `${this.#p.name}-0`): this {
    const d: DeviceOut = {
      id,
      nodeName,
      model: this.#p.acceleratorModel ?? '',
      health: { status: status as 'HEALTH_STATUS_HEALTHY' },
      ...(memoryBytes !== undefined && { telemetry: { memoryTotalBytes: memoryBytes } }),
    };
    this.#p = { ...this.#p, devices: [...(this.#p.devices ?? []), d] };
    return this;
  }

  obj(): NodePoolOut {
    return structuredClone(this.#p);
  }
}

/** wirePool starts a CPU pool named `name` with no nodes. */
export function wirePool(name: string): WirePoolBuilder {
  return new WirePoolBuilder(name);
}
