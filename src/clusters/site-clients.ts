/**
 * Clients for member clusters, built from each Site's kubeconfig Secret on the hub (push mode). A client is cached
 * per site and rebuilt when the Secret changes (its resourceVersion or content), so rotating credentials needs no
 * restart. Every call goes through a per-site token bucket (one slow or flapping site cannot starve the others of
 * the operator's attention) and a deadline (a site that stops answering fails fast instead of holding a worker).
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type V1Secret } from '@kubernetes/client-node';
import type { Site } from '../api/generated/types.ts';
import { SYSTEM_NAMESPACE } from '../api/names.ts';
import type { Clock } from '../runtime/clock.ts';
import { TokenBucket } from '../runtime/rate-limiter.ts';
import { ApiError, toApiError } from '../runtime/errors.ts';

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
  /** qps and burst of each site's token bucket (defaults 20 and 40). */
  readonly qps?: number;
  readonly burst?: number;
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

/** SiteClientError: a Site's connection cannot be used (no Secret, no key, unparsable kubeconfig). */
export class SiteClientError extends Error {
  readonly code = 'SiteConnectionInvalid';
}

interface Cached {
  readonly fingerprint: string;
  readonly client: SiteClient;
}

/** SiteClients caches one SiteClient per site. */
export class SiteClients {
  readonly #o: SiteClientsOptions;
  readonly #cache = new Map<string, Cached>();

  constructor(options: SiteClientsOptions) {
    this.#o = options;
  }

  /** forSite returns the client for a site, rebuilding it when the site's Secret changed. */
  forSite(site: Site): SiteClient {
    const name = site.metadata.name ?? '';
    const ref = site.spec.connection.kubeconfigSecretRef;
    if (!ref) throw new SiteClientError(`site ${name}: spec.connection.kubeconfigSecretRef is not set`);
    const ns = ref.namespace ?? SYSTEM_NAMESPACE;
    const key = ref.key ?? 'kubeconfig';
    const secret = this.#o.secret(ns, ref.name);
    if (!secret) throw new SiteClientError(`site ${name}: Secret ${ns}/${ref.name} not found`);
    const raw = secret.data?.[key];
    if (!raw) throw new SiteClientError(`site ${name}: Secret ${ns}/${ref.name} has no key "${key}"`);
    const fingerprint = `${secret.metadata?.uid}/${secret.metadata?.resourceVersion}/${raw.length}`;
    const cached = this.#cache.get(name);
    if (cached?.fingerprint === fingerprint) return cached.client;

    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromString(Buffer.from(raw, 'base64').toString('utf8'));
    } catch (err) {
      throw new SiteClientError(`site ${name}: Secret ${ns}/${ref.name} key "${key}" is not a valid kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
    }
    const apis: SiteApis = {
      kubeConfig,
      core: kubeConfig.makeApiClient(CoreV1Api),
      batch: kubeConfig.makeApiClient(BatchV1Api),
      apps: kubeConfig.makeApiClient(AppsV1Api),
      objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    };
    const bucket = new TokenBucket({ clock: this.#o.clock, qps: this.#o.qps ?? 20, burst: this.#o.burst ?? 40 });
    const client = new SiteClient(name, apis, bucket, this.#o.clock, this.#o.deadlineMs ?? 15_000);
    this.#cache.set(name, { fingerprint, client });
    return client;
  }

  /** forget drops a site's client (the Site was deleted). */
  forget(site: string): void {
    this.#cache.delete(site);
  }
}
