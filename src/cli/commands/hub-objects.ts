/**
 * Read-only access to Suanwang's objects on the hub for the commands that inspect it (`what-if`, `sites`, `why`):
 * list a kind in all namespaces, page by page, or get one object. The commands take a HubObjects so that their tests
 * hand them objects built in memory; hubObjects() is the one that talks to a real apiserver through client-node.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { InferenceService, Queue, Site, TrainingJob } from '../../api/generated/types.ts';
import { GROUP, Kind, Plural, VERSION, type KindName } from '../../api/names.ts';
import { isNotFound, toApiError } from '../../runtime/errors.ts';
import { CliError } from '../cli-error.ts';
import type { StringFlag } from '../flag-values.ts';
import { kubeconfigFlag, loadKubeConfig } from '../process.ts';

/** HUB_UNREADABLE is the exit code of an inspecting command that could not read the hub (0–2 mean its answer). */
export const HUB_UNREADABLE = 3;

/** HubFlags say which hub to read: --kubeconfig and --context. */
export interface HubFlags {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
}

/** HUB_FLAGS are --kubeconfig and --context, the same in every inspecting command. */
export const HUB_FLAGS = {
  kubeconfig: kubeconfigFlag("the hub cluster's"),
  context: { type: 'string', value: 'NAME', help: 'the kubeconfig context to use (default: its current context)' } satisfies StringFlag,
} as const;

/** KindObject is the object type of each kind the commands read. */
export interface KindObject {
  Site: Site;
  Queue: Queue;
  TrainingJob: TrainingJob;
  InferenceService: InferenceService;
}

/** HubObjects reads the hub; every method throws CliError (exit HUB_UNREADABLE) when the hub cannot be read. */
export interface HubObjects {
  /** list returns every object of the kind, in all namespaces. */
  list<K extends KindName>(kind: K): Promise<KindObject[K][]>;
  /** get returns one namespaced object, or undefined when it does not exist. */
  get<K extends typeof Kind.TrainingJob | typeof Kind.InferenceService>(kind: K, namespace: string, name: string): Promise<KindObject[K] | undefined>;
}

/** PAGE_SIZE bounds one list response, so a hub with many objects is read in pages rather than one huge body. */
const PAGE_SIZE = 500;

/** hubObjects connects to the hub the flags name (errors name the flag: exit HUB_UNREADABLE). */
export function hubObjects(flags: HubFlags): HubObjects {
  const kc = hubKubeConfig(flags);
  const api = kc.makeApiClient(CustomObjectsApi);
  const server = kc.getCurrentCluster()?.server ?? '';
  return {
    async list<K extends KindName>(kind: K): Promise<KindObject[K][]> {
      const items: KindObject[K][] = [];
      let next: string | undefined;
      try {
        do {
          const page = (await api.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: Plural[kind],
            limit: PAGE_SIZE,
            ...(next !== undefined && { _continue: next }),
          })) as { items: KindObject[K][]; metadata?: { continue?: string } };
          items.push(...page.items);
          const token = page.metadata?.continue;
          next = token === undefined || token === '' ? undefined : token;
        } while (next !== undefined);
      } catch (err: unknown) {
        throw new CliError(`cannot list ${Plural[kind]} on the hub ${server}: ${toApiError(err).message}`, HUB_UNREADABLE);
      }
      return items;
    },
    async get<K extends typeof Kind.TrainingJob | typeof Kind.InferenceService>(kind: K, namespace: string, name: string): Promise<KindObject[K] | undefined> {
      try {
        return (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: Plural[kind], namespace, name })) as KindObject[K];
      } catch (err: unknown) {
        if (isNotFound(err)) return undefined;
        throw new CliError(`cannot get ${kind} ${namespace}/${name} on the hub ${server}: ${toApiError(err).message}`, HUB_UNREADABLE);
      }
    },
  };
}

function hubKubeConfig(flags: HubFlags): KubeConfig {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(flags.kubeconfig);
  } catch (err: unknown) {
    if (err instanceof CliError) throw new CliError(err.message, HUB_UNREADABLE);
    throw err;
  }
  if (flags.context !== undefined) {
    if (kc.getContextObject(flags.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(`--context ${flags.context} is not in the kubeconfig (it has ${known.length === 0 ? 'none' : known.join(', ')})`, HUB_UNREADABLE);
    }
    kc.setCurrentContext(flags.context);
    if (kc.getCurrentCluster() === null) throw new CliError(`--context ${flags.context} names no cluster in the kubeconfig`, HUB_UNREADABLE);
  }
  return kc;
}
