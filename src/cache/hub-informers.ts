/**
 * Every hub informer, built in one place: Sites and Queues (cluster-wide), TrainingJobs and InferenceServices (all namespaces)
 * and the Secrets in the operator's own namespace that hold site kubeconfigs (SiteClients reads them, and only from
 * there: the chart's Role grants Secrets in the release namespace alone). One informer per resource, fed
 * to every controller that needs it; the operator starts and stops them (controllers only subscribe).
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InferenceService, Queue, Site, TrainingJob } from '../api/generated/types.ts';
import { GROUP, Kind, Plural, VERSION } from '../api/names.ts';
import type { Clock } from '../runtime/clock.ts';
import { InformerSupervisor } from '../runtime/informer-supervisor.ts';
import { listWatchInformerFactory } from '../runtime/list-watch-informer.ts';
import type { ObjectCache } from '../runtime/object-cache.ts';

/** HubInformers are the supervisors (to start and stop) and typed views of their caches (to read). */
export interface HubInformers {
  readonly sites: ObjectCache<Site>;
  readonly trainingJobs: ObjectCache<TrainingJob>;
  readonly inferenceServices: ObjectCache<InferenceService>;
  readonly queues: ObjectCache<Queue>;
  readonly secrets: ObjectCache<V1Secret>;
  /** all lists every supervisor, for start and stop. */
  readonly all: readonly InformerSupervisor<KubernetesObject>[];
}

/** hubInformers builds (does not start) the hub informers; `namespace` is the operator's own (site kubeconfig Secrets). */
export function hubInformers(kc: KubeConfig, clock: Clock, logger: Logger, namespace: string): HubInformers {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const customInformer = (kind: 'Site' | 'TrainingJob' | 'InferenceService' | 'Queue'): InformerSupervisor<KubernetesObject> => {
    const plural = Plural[kind];
    return new InformerSupervisor<KubernetesObject>({
      name: kind,
      clock,
      logger,
      factory: listWatchInformerFactory<KubernetesObject>({
        kubeConfig: kc,
        // The cluster-wide path lists a namespaced kind across all namespaces.
        path: `/apis/${GROUP}/${VERSION}/${plural}`,
        list: () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<KubernetesListObject<KubernetesObject>>,
        clock,
      }),
    });
  };
  const sites = customInformer(Kind.Site);
  const trainingJobs = customInformer(Kind.TrainingJob);
  const inferenceServices = customInformer(Kind.InferenceService);
  const queues = customInformer(Kind.Queue);
  const secrets = new InformerSupervisor<V1Secret>({
    name: `Secret@${namespace}`,
    clock,
    logger,
    factory: listWatchInformerFactory<V1Secret>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${namespace}/secrets`,
      list: () => core.listNamespacedSecret({ namespace }),
      clock,
    }),
  });
  return {
    sites: asCache<Site>(sites),
    trainingJobs: asCache<TrainingJob>(trainingJobs),
    inferenceServices: asCache<InferenceService>(inferenceServices),
    queues: asCache<Queue>(queues),
    secrets,
    all: [sites, trainingJobs, inferenceServices, queues, secrets as InformerSupervisor<KubernetesObject>],
  };
}

/**
 * asCache views an informer of custom objects as the src/api type it holds. The objects are the apiserver's JSON as
 * parsed (CustomObjectsApi and watch events do no conversion), which is exactly what src/api types describe;
 * client-node's KubernetesObject types metadata timestamps as Date, which this JSON never holds — hence one cast,
 * here, instead of one in every reader.
 */
function asCache<T>(informer: InformerSupervisor<KubernetesObject>): ObjectCache<T> {
  return informer as unknown as ObjectCache<T>;
}
