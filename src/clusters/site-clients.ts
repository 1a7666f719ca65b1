/**
 * Clients for member clusters, built from each Site's kubeconfig Secret on the hub (push mode). A client is cached
 * per site and rebuilt when the Secret changes (its resourceVersion or content), so rotating credentials needs no
 * restart. Every call goes through a per-site token bucket (one slow or flapping site cannot starve the others of
 * the operator's attention) and a deadline (a site that stops answering fails fast instead of holding a worker).
 *
 * The Secret is read from the operator's own namespace only (the chart's release namespace, where its Role grants
 * Secrets), and its kubeconfig is read as data: inline credentials for an https server, nothing that runs or reads
 * anything inside the operator (site-kubeconfig.ts). A refusal is a SiteClientError whose reason the Site's
 * ConnectionAccepted condition shows (`check`).
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type V1Secret } from '@kubernetes/client-node';
import type { Site } from '../api/generated/types.ts';
import { ConnectionMode, KUBECONFIG_SECRET_KEY, Reason } from '../api/names.ts';
import type { Clock } from '../runtime/clock.ts';
import { TokenBucket } from '../runtime/rate-limiter.ts';
import { ApiError, toApiError } from '../runtime/errors.ts';
import { SiteClientError, type ConnectionReason } from './site-client-error.ts';
import { KubeconfigRefusal, vetKubeconfig } from './site-kubeconfig.ts';

export { SiteClientError, type ConnectionReason } from './site-client-error.ts';

/** SiteApis are the typed clients a reconciler uses against one site. */
export interface SiteApis {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  readonly apps: AppsV1Api;
  readonly objects: KubernetesObjectApi;
}

/** SiteClientsOptions configures SiteClients. */
export interface SiteClientsOptions {
  readonly clock: Clock;
  /** deadlineMs bounds every call to a site (default 15 s). */
  readonly deadlineMs?: number;
  /**
   * qps and burst of each site's token bucket (defaults 40 and 60, Karmada's for member clusters). A placed job's
   * reconcile reads its Job and Service at the site; at 20 and 40, in the 1,000-job lab benchmark, TrainingJob
   * reconciles ran 17 a second at about 230 ms each with the operator mostly idle, and at 40 and 60, 47 a second.
   */
  readonly qps?: number;
  readonly burst?: number;
  /**
   * namespace is the operator's own (the chart's release namespace): the only one site kubeconfig Secrets are read
   * from, and the one a Site's kubeconfigSecretRef means when it names none.
   */
  readonly namespace: string;
  /** secret returns the hub Secret named by a Site (usually from an informer cache); undefined when absent. */
  readonly secret: (namespace: string, name: string) => V1Secret | undefined;
}

/** SiteClient calls one site's API with its rate limit and deadline. */
export class SiteClient {
  readonly site: string;
  readonly apis: SiteApis;
  readonly #bucket: TokenBucket;
  readonly #clock: Clock;
  readonly #deadlineMs: number;

  constructor(site: string, apis: SiteApis, bucket: TokenBucket, clock: Clock, deadlineMs: number) {
    this.site = site;
    this.apis = apis;
    this.#bucket = bucket;
    this.#clock = clock;
    this.#deadlineMs = deadlineMs;
  }

  /** call runs fn against the site; failures come back as ApiError, a missed deadline as code Timeout. */
  async call<T>(what: string, fn: (apis: SiteApis) => Promise<T>): Promise<T> {
    const wait = this.#bucket.when(this.site);
    if (wait > 0) await this.#clock.sleep(wait);
    let cancel: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      cancel = this.#clock.after(this.#deadlineMs, () =>
        reject(new ApiError({ code: 'Timeout', message: `Timeout: site ${this.site} did not answer ${what} within ${this.#deadlineMs} ms` })),
      );
    });
    try {
      return await Promise.race([fn(this.apis), deadline]);
    } catch (err: unknown) {
      throw toApiError(err);
    } finally {
      cancel?.();
    }
  }
}

/** isPullSite says whether the hub reaches `site` through its agent (spec.connection.mode Pull), never by dialling it. */
export function isPullSite(site: Site): boolean {
  return site.spec.connection?.mode === ConnectionMode.Pull;
}

/** ConnectionVerdict is whether a Site's connection can be used, as the Site's ConnectionAccepted shows it. */
export type ConnectionVerdict =
  | { readonly ok: true; readonly secret: string }
  /** A Pull site: nothing to check on the hub, the agent applies the site's members. */
  | { readonly ok: true; readonly pull: true }
  | { readonly ok: false; readonly reason: ConnectionReason; readonly message: string };

/** Cached is a site's client, or the refusal of its kubeconfig, for one version of its Secret. */
type Cached = { readonly fingerprint: string } & ({ readonly client: SiteClient } | { readonly refused: SiteClientError });

/** SiteClients caches one SiteClient per site. */
export class SiteClients {
  readonly #o: SiteClientsOptions;
  readonly #cache = new Map<string, Cached>();

  constructor(options: SiteClientsOptions) {
    this.#o = options;
  }

  /**
   * forSite returns the client for a site, rebuilding it when the site's Secret changed; throws SiteClientError when
   * the connection cannot be used.
   */
  forSite(site: Site): SiteClient {
    const name = site.metadata.name ?? '';
    const ref = site.spec.connection.kubeconfigSecretRef;
    if (!ref) throw new SiteClientError(Reason.KubeconfigMissing, `site ${name}: spec.connection.kubeconfigSecretRef is not set`);
    const own = this.#o.namespace;
    const ns = ref.namespace ?? own;
    if (ns !== own) {
      throw new SiteClientError(
        Reason.SecretNamespaceNotAllowed,
        `site ${name}: spec.connection.kubeconfigSecretRef.namespace ${ns} is not allowed: site kubeconfig Secrets are read from the operator's namespace ${own} only`,
      );
    }
    const key = ref.key ?? KUBECONFIG_SECRET_KEY;
    const secret = this.#o.secret(ns, ref.name);
    if (!secret) throw new SiteClientError(Reason.KubeconfigMissing, `site ${name}: Secret ${ns}/${ref.name} not found`);
    const raw = secret.data?.[key];
    if (!raw) throw new SiteClientError(Reason.KubeconfigMissing, `site ${name}: Secret ${ns}/${ref.name} has no key "${key}"`);
    const fingerprint = `${secret.metadata?.uid}/${secret.metadata?.resourceVersion}/${raw.length}`;
    const cached = this.#cache.get(name);
    if (cached?.fingerprint === fingerprint) {
      if ('refused' in cached) throw cached.refused;
      return cached.client;
    }

    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromOptions(vetKubeconfig(Buffer.from(raw, 'base64').toString('utf8')));
    } catch (err: unknown) {
      if (!(err instanceof KubeconfigRefusal)) throw err;
      const refused = new SiteClientError(err.reason, `site ${name}: Secret ${ns}/${ref.name} key "${key}": ${err.message}`);
      this.#cache.set(name, { fingerprint, refused });
      throw refused;
    }
    const apis: SiteApis = {
      kubeConfig,
      core: kubeConfig.makeApiClient(CoreV1Api),
      batch: kubeConfig.makeApiClient(BatchV1Api),
      apps: kubeConfig.makeApiClient(AppsV1Api),
      objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    };
    const bucket = new TokenBucket({ clock: this.#o.clock, qps: this.#o.qps ?? 40, burst: this.#o.burst ?? 60 });
    const client = new SiteClient(name, apis, bucket, this.#o.clock, this.#o.deadlineMs ?? 15_000);
    this.#cache.set(name, { fingerprint, client });
    return client;
  }

  /** check says whether the site's connection can be used, for its status; it builds (and caches) the client. */
  check(site: Site): ConnectionVerdict {
    if (isPullSite(site)) return { ok: true, pull: true };
    try {
      this.forSite(site);
    } catch (err: unknown) {
      if (err instanceof SiteClientError) return { ok: false, reason: err.reason, message: err.message };
      throw err;
    }
    const ref = site.spec.connection.kubeconfigSecretRef;
    return { ok: true, secret: `${ref?.namespace ?? this.#o.namespace}/${ref?.name ?? ''}` };
  }

  /** forget drops a site's client (the Site was deleted). */
  forget(site: string): void {
    this.#cache.delete(site);
  }
}
