/**
 * The hub informer of InferenceServices (all namespaces), for the composition root. It adds itself to a set of hub
 * informers that the root already starts and stops together (`all`), so wiring it in takes one call there.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InferenceService } from '../../api/generated/types.ts';
import { GROUP, Kind, Plural, VERSION } from '../../api/names.ts';
import type { Clock } from '../../runtime/clock.ts';
import { InformerSupervisor } from '../../runtime/informer-supervisor.ts';
import { listWatchInformerFactory } from '../../runtime/list-watch-informer.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';

/** inferenceServiceInformer builds (does not start) an informer of every InferenceService on the hub. */
export function inferenceServiceInformer(kc: KubeConfig, clock: Clock, logger: Logger): InformerSupervisor<KubernetesObject> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const plural = Plural[Kind.InferenceService];
  return new InformerSupervisor<KubernetesObject>({
    name: Kind.InferenceService,
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
}

/**
 * withInferenceServices returns `informers` with an InferenceService informer added: as `inferenceServices` (a cache
 * typed by src/api) and in `all` (so whoever starts and stops `all` runs it too).
 */
export function withInferenceServices<H extends { readonly all: readonly InformerSupervisor<KubernetesObject>[] }>(
  informers: H,
  kc: KubeConfig,
  clock: Clock,
  logger: Logger,
): H & { readonly inferenceServices: ObjectCache<InferenceService> } {
  const informer = inferenceServiceInformer(kc, clock, logger);
  // The objects are the apiserver's JSON as parsed, which src/api types describe; client-node's KubernetesObject
  // types timestamps as Date, which this JSON never holds (the same cast as src/operator/hub-informers.ts).
  const inferenceServices = informer as unknown as ObjectCache<InferenceService>;
  return { ...informers, inferenceServices, all: [...informers.all, informer] };
}
