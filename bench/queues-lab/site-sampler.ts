/**
 * What the sites actually run, sampled from their own apiservers rather than from the hub: the worker pods bound to a
 * node and not finished, per workload. From each sample it checks the two invariants admission promises:
 *
 * - quota: a queue's devices in use over every site never exceed its quota + borrowing limit, resource by resource
 *   (counted once per queue, resource and sample that breaks it);
 * - gang: a job never runs with only some of its workers. A gang starts and ends with its workers a moment apart
 *   (pods are created, bound and completed one by one), so a job counts as a gang violation only when it has some but
 *   not all workers bound for longer than GANG_WINDOW_MS, over consecutive samples.
 */
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { LABEL_EPOCH, LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_WORKLOAD, MANAGED_BY } from '../../src/api/names.ts';
import { parseQuantity } from '../../src/api/quantity.ts';
import { ACCELERATOR_RESOURCES } from '../../src/api/vendors.ts';
import type { BenchJob, BenchQueue } from './workload-mix.ts';

/** GANG_WINDOW_MS: how long a job may have some but not all workers bound before it counts as a gang violation. */
export const GANG_WINDOW_MS = 6_000;

/** QuotaViolation is one queue over its quota + borrowing limit for one resource in one sample. */
export interface QuotaViolation {
  readonly atMs: number;
  readonly queue: string;
  readonly resource: string;
  readonly used: number;
  readonly limit: number;
}

/** GangViolation is one job that ran with part of its gang for longer than the window. */
export interface GangViolation {
  readonly job: string;
  readonly sinceMs: number;
  readonly bound: number;
  readonly workers: number;
  /** pods: every pod of the job at every site when the violation was seen (where, phase, times), to explain it. */
  pods?: string[];
}

/** SamplerFigures are what the samples found. */
export interface SamplerFigures {
  readonly samples: number;
  readonly failedSamples: number;
  readonly meanSampleMs: number;
  readonly quotaViolations: readonly QuotaViolation[];
  readonly gangViolations: readonly GangViolation[];
  /** longestPartialMs is the longest a job was seen with part of its gang, violation or not. */
  readonly longestPartialMs: number;
  /** Devices in use per queue and in all, at most and on average over the samples. */
  readonly peakDevices: Readonly<Record<string, number>>;
  readonly meanDevices: Readonly<Record<string, number>>;
  /** Devices in use per queue and in all at the last sample. */
  readonly lastDevices: Readonly<Record<string, number>>;
}

/** SAMPLED_TOTAL is the key of the federation-wide figure in peakDevices and meanDevices. */
export const SAMPLED_TOTAL = 'all';

/** SiteSampler samples the sites' pods; call sample() on a timer, figures() at the end. */
export class SiteSampler {
  readonly #sites: ReadonlyArray<{ name: string; core: CoreV1Api }>;
  readonly #jobs: ReadonlyMap<string, BenchJob>;
  readonly #queues: ReadonlyMap<string, BenchQueue>;
  readonly #namespace: string;
  readonly #partialSince = new Map<string, number>();
  readonly #quota: QuotaViolation[] = [];
  readonly #gang: GangViolation[] = [];
  readonly #peak: Record<string, number> = {};
  readonly #sum: Record<string, number> = {};
  readonly #last: Record<string, number> = {};
  #longestPartialMs = 0;
  #samples = 0;
  #failed = 0;
  #sampleMs = 0;

  constructor(sites: ReadonlyArray<{ name: string; kubeconfig: string }>, namespace: string, jobs: readonly BenchJob[], queues: readonly BenchQueue[]) {
    this.#sites = sites.map((s) => {
      const kc = new KubeConfig();
      kc.loadFromFile(s.kubeconfig);
      return { name: s.name, core: kc.makeApiClient(CoreV1Api) };
    });
    this.#namespace = namespace;
    this.#jobs = new Map(jobs.map((j) => [j.name, j]));
    this.#queues = new Map(queues.map((q) => [q.name, q]));
  }

  /** sample lists every site's bound, unfinished worker pods and checks them; a failed list skips the sample. */
  async sample(nowMs: () => number): Promise<void> {
    const started = performance.now();
    let pods: V1Pod[];
    try {
      const lists = await Promise.all(
        this.#sites.map((s) =>
          s.core.listPodForAllNamespaces({
            labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_NAMESPACE}=${this.#namespace}`,
            fieldSelector: 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed',
          }),
        ),
      );
      pods = lists.flatMap((l) => l.items);
    } catch {
      this.#failed += 1;
      return;
    }
    const at = nowMs();
    this.#samples += 1;
    this.#sampleMs += performance.now() - started;
    const before = this.#gang.length;
    this.#check(at, pods);
    for (const g of this.#gang.slice(before)) g.pods = await this.#describe(g.job).catch((err: unknown) => [`pods not listed: ${String(err)}`]);
  }

  /** #describe lists every pod of a job at every site, bound or not, finished or not, for a violation's record. */
  async #describe(job: string): Promise<string[]> {
    const lists = await Promise.all(
      this.#sites.map(async (s) => ({
        site: s.name,
        pods: (await s.core.listPodForAllNamespaces({ labelSelector: `${LABEL_WORKLOAD}=${job},${LABEL_NAMESPACE}=${this.#namespace}` })).items,
      })),
    );
    // What each of the job's pods went through at its site's scheduler (FailedScheduling and its message).
    const events = await Promise.all(
      lists.flatMap(({ site, pods }) =>
        pods.map(async (p) => {
          const core = this.#sites.find((x) => x.name === site)?.core;
          const ns = p.metadata?.namespace ?? '';
          const name = p.metadata?.name ?? '';
          if (core === undefined) return [];
          const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` }).catch(() => ({ items: [] }));
          return list.items.map((e) => `${site} ${name} event ${e.reason ?? '?'} ×${e.count ?? 1} at ${(e.lastTimestamp ?? e.eventTime)?.toString() ?? '?'}: ${e.message ?? ''}`);
        }),
      ),
    );
    // And every other pod on the nodes the job's pods went to: who held the room the unbound worker waited for.
    const nodes = new Set(lists.flatMap(({ site, pods }) => pods.map((p) => `${site}/${p.spec?.nodeName ?? ''}`)));
    const neighbours = await Promise.all(
      this.#sites.map(async (s) => ({
        site: s.name,
        pods: (await s.core.listPodForAllNamespaces({ labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}` })).items.filter(
          (p) => nodes.has(`${s.name}/${p.spec?.nodeName ?? ''}`) && p.metadata?.labels?.[LABEL_WORKLOAD] !== job,
        ),
      })),
    );
    const described = [...lists, ...neighbours].flatMap(({ site, pods }) =>
      pods.map((p) => {
        const epoch = p.metadata?.labels?.[LABEL_EPOCH] ?? '?';
        const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
        const times = [
          `created ${p.metadata?.creationTimestamp?.toISOString() ?? '?'}`,
          `scheduled ${scheduled?.status ?? '?'} ${scheduled?.lastTransitionTime?.toISOString() ?? ''}${scheduled?.message ? ` (${scheduled.message})` : ''}`,
          `started ${p.status?.startTime?.toISOString() ?? '-'}`,
          ...(p.metadata?.deletionTimestamp !== undefined ? [`deleting since ${p.metadata.deletionTimestamp.toISOString()}`] : []),
        ];
        const devices = (p.spec?.containers ?? []).flatMap((c) => Object.entries(c.resources?.requests ?? {}).filter(([r]) => ACCELERATOR_RESOURCES.includes(r as never)).map(([r, q]) => `${q} ${r}`));
        return `${site}/${p.spec?.nodeName || '(unbound)'} ${p.metadata?.name ?? ''} epoch ${epoch} ${p.status?.phase ?? '?'} [${devices.join(', ')}]: ${times.join(', ')}`;
      }),
    );
    return [...events.flat(), ...described];
  }

  #check(at: number, pods: readonly V1Pod[]): void {
    const boundPerJob = new Map<string, number>();
    const usage = new Map<string, Record<string, number>>();
    for (const pod of pods) {
      const job = this.#jobs.get(pod.metadata?.labels?.[LABEL_WORKLOAD] ?? '');
      if (job === undefined) continue;
      boundPerJob.set(job.name, (boundPerJob.get(job.name) ?? 0) + 1);
      const used = usage.get(job.queue) ?? {};
      usage.set(job.queue, used);
      for (const c of pod.spec?.containers ?? []) {
        for (const resource of ACCELERATOR_RESOURCES) {
          const n = parseQuantity(c.resources?.requests?.[resource] ?? '0') ?? 0;
          if (n > 0) used[resource] = (used[resource] ?? 0) + n;
        }
      }
    }
    // Quota, per queue and resource, against what the Queue allows.
    let all = 0;
    for (const q of this.#queues.values()) {
      const used = usage.get(q.name) ?? {};
      let devices = 0;
      for (const [resource, n] of Object.entries(used)) {
        devices += n;
        const quota = q.quota[resource];
        if (quota === undefined) continue;
        const limit = quota + (q.borrowingLimit[resource] ?? 0);
        if (n > limit) this.#quota.push({ atMs: at, queue: q.name, resource, used: n, limit });
      }
      this.#record(q.name, devices);
      all += devices;
    }
    this.#record(SAMPLED_TOTAL, all);
    // Gangs: some but not all workers bound, for longer than the window.
    for (const [name, bound] of boundPerJob) {
      const job = this.#jobs.get(name) as BenchJob;
      if (bound >= job.workers) {
        this.#partialSince.delete(name);
        continue;
      }
      const since = this.#partialSince.get(name) ?? at;
      this.#partialSince.set(name, since);
      const partialMs = at - since;
      this.#longestPartialMs = Math.max(this.#longestPartialMs, partialMs);
      if (partialMs > GANG_WINDOW_MS && !this.#gang.some((g) => g.job === name && g.sinceMs === since)) {
        this.#gang.push({ job: name, sinceMs: since, bound, workers: job.workers });
      }
    }
    for (const name of [...this.#partialSince.keys()]) if (!boundPerJob.has(name)) this.#partialSince.delete(name);
  }

  #record(key: string, devices: number): void {
    this.#peak[key] = Math.max(this.#peak[key] ?? 0, devices);
    this.#sum[key] = (this.#sum[key] ?? 0) + devices;
    this.#last[key] = devices;
  }

  /** figures summarises every sample so far. */
  figures(): SamplerFigures {
    const mean = Object.fromEntries(Object.entries(this.#sum).map(([k, v]) => [k, this.#samples === 0 ? 0 : v / this.#samples]));
    return {
      samples: this.#samples,
      failedSamples: this.#failed,
      meanSampleMs: this.#samples === 0 ? 0 : this.#sampleMs / this.#samples,
      quotaViolations: this.#quota,
      gangViolations: this.#gang,
      longestPartialMs: this.#longestPartialMs,
      peakDevices: { ...this.#peak },
      meanDevices: mean,
      lastDevices: { ...this.#last },
    };
  }
}
