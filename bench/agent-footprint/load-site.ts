/**
 * Loads the benchmark's site: the large pools' kwok Nodes (the lab's own Node shape, src/lab/nodes.ts) and the pods,
 * created bound (spec.nodeName set, so no scheduler is involved) in parallel batches; kwok then runs them. During the
 * steady phase, `churn` replaces a few pods a second, as a busy site would.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_DEVICES } from '../../src/api/names.ts';
import { decodeDeviceAnnotation, lastSampleTime } from '../../src/agent/site/device-annotation.ts';
import { labNode } from '../../src/lab/nodes.ts';
import { nodeName, type LabPool, type LabSite } from '../../src/lab/topology.ts';
import { GPUS_PER_NODE } from './topology.ts';

/** NAMESPACE holds the benchmark's pods. */
export const NAMESPACE = 'footprint';

/** PodSlot is where one pod goes: its node and whether it takes a GPU there. */
export interface PodSlot {
  readonly node: string;
  readonly gpu: boolean;
}

/** inParallel runs `task` for 0..count-1, at most `width` at a time; rejects on the first failure. */
export async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

/** addNodes creates every node of `pools` (pools of `site` the lab did not create); resolves to how many. */
export async function addNodes(kc: KubeConfig, site: LabSite, pools: readonly LabPool[]): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const bodies = pools.flatMap((pool) => Array.from({ length: pool.nodes }, (_, i) => labNode(site, pool, i)));
  await inParallel(bodies.length, 32, (i) => core.createNode({ body: bodies[i] as (typeof bodies)[number] }));
  return bodies.length;
}

/**
 * podSlots spreads `count` pods over the site's nodes round-robin; on an accelerator node, the first GPUS_PER_NODE pods
 * each take one GPU, so a loaded site has its devices allocated, as the pools the agent reports would show.
 */
export function podSlots(site: LabSite, count: number): PodSlot[] {
  const nodes = site.pools.flatMap((pool) => Array.from({ length: pool.nodes }, (_, i) => ({ name: nodeName(site, pool, i), gpu: pool.accelerator !== undefined })));
  if (nodes.length === 0) throw new Error(`site ${site.name} has no nodes`);
  return Array.from({ length: count }, (_, i) => {
    const node = nodes[i % nodes.length] as { name: string; gpu: boolean };
    return { node: node.name, gpu: node.gpu && Math.floor(i / nodes.length) < GPUS_PER_NODE };
  });
}

/** loadPod is one benchmark pod: a container with cpu, memory and (on a GPU slot) one GPU, bound to its node. */
export function loadPod(name: string, slot: PodSlot): V1Pod {
  const gpu = slot.gpu ? { 'nvidia.com/gpu': '1' } : {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'agent-footprint' } },
    spec: {
      nodeName: slot.node,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'main',
          image: 'registry.example.com/footprint/worker:1',
          resources: { requests: { cpu: '1', memory: '4Gi', ...gpu }, limits: { memory: '4Gi', ...gpu } },
        },
      ],
    },
  };
}

/** createNamespace creates the benchmark's namespace and waits for its default ServiceAccount (pods need it). */
export async function createNamespace(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const deadline = performance.now() + 60_000;
  for (;;) {
    const found = await core.readNamespacedServiceAccount({ namespace: NAMESPACE, name: 'default' }).then(
      () => true,
      () => false,
    );
    if (found) return;
    if (performance.now() > deadline) throw new Error(`namespace ${NAMESPACE} has no default ServiceAccount after 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** createPods creates one pod per slot, named load-<i>, `width` requests at a time. */
export async function createPods(kc: KubeConfig, slots: readonly PodSlot[], width = 48): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await inParallel(slots.length, width, (i) => core.createNamespacedPod({ namespace: NAMESPACE, body: loadPod(`load-${i}`, slots[i] as PodSlot) }));
}

/** countPods counts the benchmark's pods, those Running when `running` is set (paged, so any count lists). */
export async function countPods(kc: KubeConfig, running: boolean): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  let count = 0;
  let next: string | undefined;
  do {
    const page = await core.listNamespacedPod({
      namespace: NAMESPACE,
      limit: 2000,
      ...(running && { fieldSelector: 'status.phase=Running' }),
      ...(next !== undefined && { _continue: next }),
    });
    count += page.items.length;
    next = page.metadata?._continue || undefined;
  } while (next !== undefined);
  return count;
}

/**
 * staleReports counts the accelerator nodes (those with `resource` in their capacity: `of`) whose device report is missing or
 * older than `maxAgeMs`: the agents are started once there are none, so the first build does not see a lagging
 * simulated reporter's backlog and then raise thousands of health events as it catches up.
 */
export async function staleReports(kc: KubeConfig, resource: string, maxAgeMs: number): Promise<{ stale: number; of: number }> {
  const core = kc.makeApiClient(CoreV1Api);
  let stale = 0;
  let of = 0;
  let next: string | undefined;
  do {
    const page = await core.listNode({ limit: 500, ...(next !== undefined && { _continue: next }) });
    for (const node of page.items) {
      if (node.status?.capacity?.[resource] === undefined) continue;
      of += 1;
      const report = decodeDeviceAnnotation(node.metadata?.annotations?.[ANNOTATION_DEVICES]);
      if (report === undefined || Date.now() - Date.parse(lastSampleTime(report)) > maxAgeMs) stale += 1;
    }
    next = page.metadata?._continue || undefined;
  } while (next !== undefined);
  return { stale, of };
}

/** Churn replaces pods while it runs: each tick deletes the oldest `perTick` load pods and creates as many new ones. */
export class Churn {
  readonly #core: CoreV1Api;
  readonly #slots: readonly PodSlot[];
  readonly #perTick: number;
  #oldest = 0;
  #created = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  /** replaced counts the pods replaced so far; failed the requests that failed (logged once per tick). */
  replaced = 0;
  failed = 0;

  constructor(kc: KubeConfig, slots: readonly PodSlot[], perSecond: number) {
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#slots = slots;
    this.#perTick = perSecond;
  }

  start(): void {
    if (this.#perTick <= 0) return;
    this.#timer = setInterval(() => void this.#tick(), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await inParallel(this.#perTick, this.#perTick, async () => {
        const index = this.#oldest++;
        const slot = this.#slots[index % this.#slots.length] as PodSlot;
        const name = index < this.#slots.length ? `load-${index}` : `churn-${index - this.#slots.length}`;
        try {
          await this.#core.deleteNamespacedPod({ namespace: NAMESPACE, name, gracePeriodSeconds: 0 });
          await this.#core.createNamespacedPod({ namespace: NAMESPACE, body: loadPod(`churn-${this.#created++}`, slot) });
          this.replaced += 1;
        } catch {
          this.failed += 1;
        }
      });
    } finally {
      this.#busy = false;
    }
  }
}
