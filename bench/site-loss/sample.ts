/**
 * One look at the whole federation, as the benchmark takes it every ~250 ms: the lost Site's Ready condition, the
 * TrainingJob's and the InferenceService's status on the hub, and — straight from every site's own apiserver, not
 * through the operator — the job's member Jobs that could still run and the running pods of both workloads.
 */
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Job } from '@kubernetes/client-node';
import type { InferenceService, Site, TrainingJob } from '../../src/api/generated/types.ts';
import { ConditionType, GROUP, LABEL_NAMESPACE, LABEL_WORKLOAD, Plural, VERSION } from '../../src/api/names.ts';
import type { ClusterState } from '../../src/lab/state.ts';

/** Sample is what one look saw; per-site counts have every site of the lab as a key. */
export interface Sample {
  /** Seconds since the clock started (just before the agent's stop). */
  readonly at: number;
  /** The lost Site's Ready condition on the hub. */
  readonly siteReady: { readonly status: string; readonly reason: string | undefined } | undefined;
  readonly job: { readonly site: string | undefined; readonly phase: string | undefined; readonly epoch: number | undefined };
  /** The service's status per site: replicas planned and replicas ready, as the hub reports them. */
  readonly servicePlanned: Readonly<Record<string, number>>;
  readonly serviceReady: Readonly<Record<string, number>>;
  /** Member Jobs of the training job that could still run: not being deleted, neither Complete nor Failed. */
  readonly unfinishedMemberJobs: Readonly<Record<string, number>>;
  /** Running pods (not being deleted) of the training job's workers and of the service's replicas. */
  readonly workerPods: Readonly<Record<string, number>>;
  readonly replicaPods: Readonly<Record<string, number>>;
}

interface SiteClients {
  readonly name: string;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
}

function kubeConfig(c: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return kc;
}

function finished(j: V1Job): boolean {
  return (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** SampledWorkloads: the hub namespace, the job's and the service's names, and the site being lost. */
export interface SampledWorkloads {
  readonly namespace: string;
  readonly job: string;
  readonly service: string;
  readonly lost: string;
}

/** Sampler takes samples of one namespace's training job and service, losing site `lost`. */
export class Sampler {
  private readonly hub: CustomObjectsApi;
  private readonly sites: readonly SiteClients[];
  private readonly o: SampledWorkloads;

  constructor(hub: ClusterState, sites: readonly ClusterState[], o: SampledWorkloads) {
    this.o = o;
    this.hub = kubeConfig(hub).makeApiClient(CustomObjectsApi);
    this.sites = sites.map((s) => {
      const kc = kubeConfig(s);
      return { name: s.name, batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api) };
    });
  }

  /** take looks once; `at` is stamped when the look starts. Throws when any cluster does not answer. */
  async take(t0: number): Promise<Sample> {
    const at = (performance.now() - t0) / 1000;
    const { namespace, job, service, lost } = this.o;
    const ours = `${LABEL_NAMESPACE}=${namespace}`;
    const [site, tj, svc, perSite] = await Promise.all([
      this.hub.getClusterCustomObject({ group: GROUP, version: VERSION, plural: Plural.Site, name: lost }) as Promise<Site>,
      this.hub.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: Plural.TrainingJob, name: job }) as Promise<TrainingJob>,
      this.hub.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: Plural.InferenceService, name: service }) as Promise<InferenceService>,
      Promise.all(
        this.sites.map(async (s) => {
          const [jobs, pods] = await Promise.all([
            s.batch.listJobForAllNamespaces({ labelSelector: `${LABEL_WORKLOAD}=${job},${ours}` }),
            s.core.listPodForAllNamespaces({ labelSelector: ours }),
          ]);
          const running = pods.items.filter((p) => p.status?.phase === 'Running' && p.metadata?.deletionTimestamp === undefined);
          return {
            site: s.name,
            unfinished: jobs.items.filter((j) => j.metadata?.deletionTimestamp === undefined && !finished(j)).length,
            workers: running.filter((p) => p.metadata?.labels?.[LABEL_WORKLOAD] === job).length,
            replicas: running.filter((p) => p.metadata?.labels?.[LABEL_WORKLOAD] === service).length,
          };
        }),
      ),
    ]);
    const ready = site.status?.conditions?.find((c) => c.type === ConditionType.Ready);
    const bySite = (pick: (x: (typeof perSite)[number]) => number): Record<string, number> => Object.fromEntries(perSite.map((x) => [x.site, pick(x)]));
    return {
      at,
      siteReady: ready === undefined ? undefined : { status: ready.status, reason: ready.reason },
      job: { site: tj.status?.site, phase: tj.status?.phase, epoch: tj.status?.placement?.epoch },
      servicePlanned: Object.fromEntries((svc.status?.sites ?? []).map((x) => [x.site, x.replicas ?? 0])),
      serviceReady: Object.fromEntries((svc.status?.sites ?? []).map((x) => [x.site, x.readyReplicas ?? 0])),
      unfinishedMemberJobs: bySite((x) => x.unfinished),
      workerPods: bySite((x) => x.workers),
      replicaPods: bySite((x) => x.replicas),
    };
  }
}
