/**
 * A site held in memory, in place of a site's kube-apiserver, scheduler and kubelets: what the real agent's pull
 * mode reads and writes (src/agent/site/pull-members.ts) — the member objects it applies (MemberSiteApi), the watches
 * of those objects, of the pods and of the Nodes (ObjectCaches) — and a minimal Job controller that "runs" every
 * member Job it is given:
 *
 * 1. A Job applied for the first time gets, `startDelayMs` later, one pod per worker (spec.parallelism), each bound to
 *    the first node with room (node-fit.ts) and Running; the Job's status says how many are active and ready. A pod
 *    that fits nowhere stays Pending (PodScheduled=False, Unschedulable) until a pod finishes and frees room.
 * 2. `runMs` after it started, each pod Succeeded; once every worker did, the Job is Complete, as the Job controller
 *    would write it (succeeded, completionTime, the SuccessCriteriaMet and Complete conditions).
 * 3. A removed Job is gone at once with its pods (foreground deletion without the wait), and its timers with it.
 *
 * Applying keeps what the site owns (uid, creation time, status) and takes the rest from the applied object, as a
 * server-side apply by the only field manager would. Services and Deployments are held, never run.
 */
import { randomUUID } from 'node:crypto';
import type { KubernetesObject, V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import type { MemberSiteApi } from '../../src/agent/site/member-applier.ts';
import { MEMBER_KIND_NAMES, type MemberId, type MemberKind } from '../../src/agent/site/member-kinds.ts';
import type { MemberCaches } from '../../src/agent/site/kubernetes-members.ts';
import type { TopologySite } from '../../src/api/topology-file.ts';
import type { Cancel, Clock } from '../../src/runtime/clock.ts';
import { MemoryCache } from '../../src/runtime/memory-cache.ts';
import { fitNode, usedByNode } from './node-fit.ts';
import { siteNodes } from './site-nodes.ts';

/** SiteTiming is how long the simulated members take. */
export interface SiteTiming {
  /** startDelayMs: from a new Job to its pods Running (image pull, container start). */
  readonly startDelayMs: number;
  /** runMs: from Running to Succeeded. */
  readonly runMs: number;
}

/** SiteCounters count what the site did, for the report. */
export interface SiteCounters {
  applies: number;
  removes: number;
  podsStarted: number;
  podsSucceeded: number;
  /** unschedulable counts pods that found no room when they were due to start (they wait). */
  unschedulable: number;
}

/** RunningJob is a Job the site is running: its pods and timers. */
interface RunningJob {
  readonly timers: Cancel[];
  readonly pods: string[];
}

const jobKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** SimulatedSite is one site in memory (module comment). */
export class SimulatedSite implements MemberSiteApi {
  readonly name: string;
  readonly nodes: MemoryCache<V1Node>;
  /** pods are every pod of the site; the agent's worker-pod watch lists at least those, so it is the same cache. */
  readonly pods = new MemoryCache<V1Pod>();
  readonly members: MemberCaches & Readonly<Record<MemberKind, MemoryCache<KubernetesObject>>>;
  readonly counters: SiteCounters = { applies: 0, removes: 0, podsStarted: 0, podsSucceeded: 0, unschedulable: 0 };
  readonly namespaces = new Set<string>();
  readonly #clock: Clock;
  readonly #timing: SiteTiming;
  readonly #jobs = new Map<string, RunningJob>();
  /** waiting are pods Pending for room, in the order they became due. */
  readonly #waiting: V1Pod[] = [];
  #version = 0;
  #stopped = false;

  constructor(site: TopologySite, timing: SiteTiming, clock: Clock) {
    this.name = site.name;
    this.#timing = timing;
    this.#clock = clock;
    this.nodes = new MemoryCache(siteNodes(site));
    this.members = { Job: new MemoryCache(), Service: new MemoryCache(), Deployment: new MemoryCache() };
  }

  async read(id: MemberId & { readonly kind: MemberKind }): Promise<KubernetesObject | undefined> {
    return this.members[id.kind].get(id.namespace, id.name);
  }

  async apply(obj: KubernetesObject): Promise<KubernetesObject> {
    const kind = obj.kind as MemberKind;
    if (!MEMBER_KIND_NAMES.includes(kind)) throw new Error(`simulated site ${this.name} cannot apply a ${obj.kind}`);
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const held = this.members[kind].get(namespace, name) as (KubernetesObject & { status?: unknown }) | undefined;
    const stored = {
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: held?.metadata?.uid ?? randomUUID(),
        resourceVersion: String(++this.#version),
        creationTimestamp: held?.metadata?.creationTimestamp ?? new Date(this.#clock.now()),
      },
      ...(held?.status === undefined ? {} : { status: held.status }),
    } as KubernetesObject;
    this.counters.applies += 1;
    this.members[kind].set(stored);
    if (kind === 'Job' && held === undefined) this.#schedule(stored as V1Job);
    return stored;
  }

  async remove(id: MemberId & { readonly kind: MemberKind }): Promise<void> {
    if (this.members[id.kind].get(id.namespace, id.name) === undefined) return;
    this.counters.removes += 1;
    if (id.kind === 'Job') this.#forget(id.namespace, id.name);
    this.members[id.kind].remove(id.namespace, id.name);
  }

  async ensureNamespace(name: string): Promise<void> {
    this.namespaces.add(name);
  }

  /** stop cancels every timer: nothing changes at the site any more. */
  stop(): void {
    this.#stopped = true;
    for (const job of this.#jobs.values()) for (const cancel of job.timers) cancel();
    this.#jobs.clear();
  }

  /** step 1: the Job's pods start after the delay. */
  #schedule(job: V1Job): void {
    const namespace = job.metadata?.namespace ?? '';
    const name = job.metadata?.name ?? '';
    const running: RunningJob = { timers: [], pods: [] };
    this.#jobs.set(jobKey(namespace, name), running);
    running.timers.push(
      this.#clock.after(this.#timing.startDelayMs, () => {
        const workers = job.spec?.parallelism ?? 1;
        for (let i = 0; i < workers; i++) {
          const pod = this.#newPod(job, i);
          running.pods.push(pod.metadata?.name ?? '');
          this.#place(pod);
        }
        this.#updateJob(namespace, name);
      }),
    );
  }

  #newPod(job: V1Job, index: number): V1Pod {
    const template = job.spec?.template;
    const jobName = job.metadata?.name ?? '';
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${jobName}-${index}-${randomUUID().slice(0, 5)}`,
        namespace: job.metadata?.namespace ?? '',
        uid: randomUUID(),
        resourceVersion: String(++this.#version),
        labels: { ...job.metadata?.labels, ...template?.metadata?.labels, 'batch.kubernetes.io/job-name': jobName, 'batch.kubernetes.io/job-completion-index': String(index) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata?.uid ?? '', controller: true }],
      },
      spec: { ...(template?.spec ?? { containers: [] }) },
      status: { phase: 'Pending' },
    };
  }

  /** place binds the pod to a node and starts it (true), or leaves it Pending and waiting for room (false). */
  #place(pod: V1Pod): boolean {
    const node = fitNode(pod, this.nodes.list(), usedByNode(this.pods.list()));
    const now = new Date(this.#clock.now());
    if (node === undefined) {
      this.counters.unschedulable += 1;
      this.pods.set({
        ...pod,
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/${this.nodes.list().length} nodes are available: insufficient resources`, lastTransitionTime: now }] },
      });
      this.#waiting.push(pod);
      return false;
    }
    this.counters.podsStarted += 1;
    const bound: V1Pod = {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: String(++this.#version) },
      spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: node },
      status: {
        phase: 'Running',
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
      },
    };
    this.pods.set(bound);
    const owner = pod.metadata?.ownerReferences?.[0]?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    this.#jobs.get(jobKey(namespace, owner))?.timers.push(this.#clock.after(this.#timing.runMs, () => this.#finish(bound)));
    return true;
  }

  /** step 2: the pod succeeded; its room goes to the pods waiting for it, and the Job is brought up to date. */
  #finish(pod: V1Pod): void {
    if (this.#stopped) return;
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    if (this.pods.get(namespace, name) === undefined) return;
    this.counters.podsSucceeded += 1;
    const now = new Date(this.#clock.now());
    this.pods.set({
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: String(++this.#version) },
      status: { ...pod.status, phase: 'Succeeded', conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now }] },
    });
    this.#updateJob(namespace, pod.metadata?.ownerReferences?.[0]?.name ?? '');
    const waiting = this.#waiting.splice(0);
    for (const p of waiting) {
      if (this.pods.get(p.metadata?.namespace, p.metadata?.name ?? '') === undefined) continue;
      if (this.#place(p)) this.#updateJob(p.metadata?.namespace ?? '', p.metadata?.ownerReferences?.[0]?.name ?? '');
    }
  }

  /** updateJob writes the Job's status from its pods, as the Job controller does. */
  #updateJob(namespace: string, name: string): void {
    const job = this.members.Job.get(namespace, name) as V1Job | undefined;
    const running = this.#jobs.get(jobKey(namespace, name));
    if (job === undefined || running === undefined) return;
    const pods = running.pods.map((p) => this.pods.get(namespace, p)).filter((p): p is V1Pod => p !== undefined);
    const active = pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending').length;
    const ready = pods.filter((p) => p.status?.phase === 'Running').length;
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const workers = job.spec?.parallelism ?? 1;
    const now = new Date(this.#clock.now());
    const complete = succeeded >= workers;
    const status: V1Job['status'] = {
      ...job.status,
      startTime: job.status?.startTime ?? now,
      active: complete ? 0 : active,
      ready: complete ? 0 : ready,
      succeeded,
      ...(complete && {
        completionTime: now,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now },
        ],
      }),
    };
    this.members.Job.set({ ...job, metadata: { ...job.metadata, resourceVersion: String(++this.#version) }, status } as KubernetesObject);
  }

  /** step 3: forget a removed Job's timers, waiting pods and pods. */
  #forget(namespace: string, name: string): void {
    const running = this.#jobs.get(jobKey(namespace, name));
    if (running === undefined) return;
    this.#jobs.delete(jobKey(namespace, name));
    for (const cancel of running.timers) cancel();
    for (const pod of running.pods) this.pods.remove(namespace, pod);
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      if (this.#waiting[i]?.metadata?.ownerReferences?.[0]?.name === name && this.#waiting[i]?.metadata?.namespace === namespace) this.#waiting.splice(i, 1);
    }
  }
}
