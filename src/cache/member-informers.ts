/**
 * Informers of the member objects at every site: the Jobs and Deployments the operator created there (selected by
 * label), one informer per site and kind, kept in step with the Sites on the hub. A site that joins gets its
 * informers, a removed one loses them, and rotated credentials (its kubeconfig Secret changed, so SiteClients built a
 * new client) restart them. Each kind is offered to controllers as one feed over all sites, so a member Job that
 * completes wakes its TrainingJob in about a second instead of at the next poll.
 *
 * The feeds never hold a controller back: `waitForSync` resolves at once, because a site that is down would
 * otherwise keep every controller from starting. Controllers read members from the sites themselves; the feeds only
 * say when to look, and the reconcilers' poll covers a site whose informer is still listing.
 */
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Site } from '../api/generated/types.ts';
import { isPullSite, type SiteClient, type SiteClients } from '../clusters/site-clients.ts';
import type { Clock } from '../runtime/clock.ts';
import { InformerSupervisor } from '../runtime/informer-supervisor.ts';
import { listWatchInformerFactory } from '../runtime/list-watch-informer.ts';
import type { LabelledObject, ObjectCache, RunningObjectCache } from '../runtime/object-cache.ts';
import type { SourceInformerView } from '../runtime/source.ts';

/** MemberKind is a kind of member object watched at the sites. */
export type MemberKind = 'Job' | 'Deployment';

/** MemberInformerFactory builds the informer of one kind at one site (the production one is siteMemberInformer). */
export type MemberInformerFactory = (client: SiteClient, kind: MemberKind, labelSelector: string) => RunningObjectCache<LabelledObject>;

/**
 * MAX_LIST_WAIT_MS bounds how long a site's first list is waited for. A site whose API does not answer the hub (a
 * revoked credential behind a live agent) would otherwise hold every placement in the federation; past this its
 * silence is taken as it is, and the site itself is handled as unreachable (the workload controllers' grace).
 */
export const MAX_LIST_WAIT_MS = 30_000;

/** SiteMembers is what one site's informer holds of one workload's members. */
export interface SiteMembers {
  readonly site: string;
  /**
   * synced is false while the site's informer has not listed once and was started less than MAX_LIST_WAIT_MS ago:
   * its silence says nothing yet, and a caller about to place should wait.
   */
  readonly synced: boolean;
  readonly members: readonly LabelledObject[];
}

/** MemberInformersOptions configures MemberInformers. */
export interface MemberInformersOptions {
  readonly sites: ObjectCache<Site>;
  /** The hub Secrets the site clients are built from: a change may mean new credentials. */
  readonly secrets: Pick<ObjectCache<V1Secret>, 'onChange'>;
  readonly siteClients: Pick<SiteClients, 'forSite'>;
  /** Which objects are members, e.g. `app.kubernetes.io/managed-by=suanwang`. */
  readonly labelSelector: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: siteMemberInformer. */
  readonly factory?: MemberInformerFactory;
}

interface SiteEntry {
  readonly client: SiteClient;
  readonly startedAt: number;
  readonly informers: ReadonlyMap<MemberKind, RunningObjectCache<LabelledObject>>;
  readonly unsubscribe: readonly (() => void)[];
}

const KINDS: readonly MemberKind[] = ['Job', 'Deployment'];

/** MemberInformers runs the member informers of every site; start once, stop once. */
export class MemberInformers {
  /** jobs is the member Jobs of every site, as one feed. */
  readonly jobs: SourceInformerView<LabelledObject>;
  /** deployments is the member Deployments of every site, as one feed. */
  readonly deployments: SourceInformerView<LabelledObject>;
  readonly #o: MemberInformersOptions;
  readonly #factory: MemberInformerFactory;
  readonly #log: Logger;
  readonly #entries = new Map<string, SiteEntry>();
  readonly #listeners = new Map<MemberKind, Set<(obj: LabelledObject, previous: LabelledObject | undefined) => void>>(KINDS.map((k) => [k, new Set()]));
  #unsubscribe: (() => void)[] = [];
  #running = false;

  constructor(options: MemberInformersOptions) {
    this.#o = options;
    this.#factory = options.factory ?? siteMemberInformer(options.clock, options.logger);
    this.#log = options.logger.child({ component: 'member-informers' });
    this.jobs = this.#feed('Job');
    this.deployments = this.#feed('Deployment');
  }

  /** start follows the Sites (and their Secrets) from now on; the hub caches may still be filling. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = [this.#o.sites.onChange(() => this.#sync()), this.#o.secrets.onChange(() => this.#sync())];
    this.#sync();
  }

  /** stop ends every site's informers. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((e) => this.#stopEntry(e)));
  }

  /**
   * find returns, per watched site, the members of one workload (by its namespace and name labels) of one kind, from
   * the caches: what a controller checks before it places a workload anew, so members left behind by a lost status
   * or a restored backup are adopted or fenced instead of joined by a second copy.
   */
  find(kind: MemberKind, labels: { readonly namespaceLabel: string; readonly nameLabel: string }, namespace: string, name: string): SiteMembers[] {
    const out: SiteMembers[] = [];
    for (const [site, entry] of this.#entries) {
      const informer = entry.informers.get(kind);
      if (informer === undefined) continue;
      const members = informer.list().filter((o) => o.metadata?.labels?.[labels.namespaceLabel] === namespace && o.metadata.labels[labels.nameLabel] === name);
      const synced = informer.hasSynced() || this.#o.clock.now() - entry.startedAt >= MAX_LIST_WAIT_MS;
      out.push({ site, synced, members });
    }
    return out.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  }

  /** sites lists the sites whose informers run, for logs and tests. */
  sites(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** #sync starts, restarts and stops site informers so they match the listed Sites and their current clients. */
  #sync(): void {
    if (!this.#running) return;
    const listed = new Set<string>();
    for (const site of this.#o.sites.list()) {
      const name = site.metadata.name ?? '';
      listed.add(name);
      let client: SiteClient | undefined;
      // A pull site is never dialled: its agent's stream carries its members (operator/pull-transport.ts), so it has
      // no client, as a site without credentials. Asking for one anyway built and threw a SiteClientError per pull
      // site on every Site change: at 1,000 pull sites, a ninth of the operator's CPU.
      if (!isPullSite(site)) {
        try {
          client = this.#o.siteClients.forSite(site);
        } catch (err: unknown) {
          // No usable credentials (yet): nothing to watch there. The Site controller reports why.
          this.#log.debug({ site: name, err }, 'no client for the site; not watching its members');
        }
      }
      const entry = this.#entries.get(name);
      if (entry !== undefined && entry.client === client) continue;
      if (entry !== undefined) {
        this.#entries.delete(name);
        void this.#stopEntry(entry);
      }
      if (client !== undefined) this.#entries.set(name, this.#startEntry(name, client));
    }
    for (const [name, entry] of this.#entries) {
      if (listed.has(name)) continue;
      this.#entries.delete(name);
      void this.#stopEntry(entry);
      this.#log.info({ site: name }, 'site removed; stopped watching its members');
    }
  }

  #startEntry(site: string, client: SiteClient): SiteEntry {
    const informers = new Map<MemberKind, RunningObjectCache<LabelledObject>>();
    const unsubscribe: (() => void)[] = [];
    for (const kind of KINDS) {
      const informer = this.#factory(client, kind, this.#o.labelSelector);
      const listeners = this.#listeners.get(kind);
      unsubscribe.push(informer.onChange((obj, previous) => listeners?.forEach((l) => l(obj, previous))));
      informers.set(kind, informer);
      informer.start();
    }
    this.#log.info({ site }, 'watching member objects');
    return { client, informers, unsubscribe, startedAt: this.#o.clock.now() };
  }

  async #stopEntry(entry: SiteEntry): Promise<void> {
    for (const u of entry.unsubscribe) u();
    await Promise.all([...entry.informers.values()].map((i) => i.stop()));
  }

  #feed(kind: MemberKind): SourceInformerView<LabelledObject> {
    return {
      onChange: (listener) => {
        const set = this.#listeners.get(kind);
        set?.add(listener);
        return () => set?.delete(listener);
      },
      list: () => [...this.#entries.values()].flatMap((e) => e.informers.get(kind)?.list() ?? []),
      // Never wait on a site: see the file comment.
      waitForSync: () => Promise.resolve(),
    };
  }
}

/** siteMemberInformer builds informers of member Jobs or Deployments, in every namespace of a site. */
export function siteMemberInformer(clock: Clock, logger: Logger): MemberInformerFactory {
  return (client, kind, labelSelector) => {
    const { kubeConfig, batch, apps } = client.apis;
    const path = kind === 'Job' ? '/apis/batch/v1/jobs' : '/apis/apps/v1/deployments';
    const list = kind === 'Job' ? () => batch.listJobForAllNamespaces({ labelSelector }) : () => apps.listDeploymentForAllNamespaces({ labelSelector });
    const informer = new InformerSupervisor<KubernetesObject>({
      name: `${kind}@${client.site}`,
      clock,
      logger,
      factory: listWatchInformerFactory<KubernetesObject>({ kubeConfig, path, list, labelSelector, clock }),
    });
    return informer as RunningObjectCache<LabelledObject>;
  };
}
