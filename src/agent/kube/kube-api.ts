/**
 * The agent's small Kubernetes API client over node:https: a request with the cluster's TLS settings and credentials,
 * JSON reads, paged lists, deletes, and the raw response for a watch. It covers what the agent's Node, Pod and member
 * Job calls need, and nothing of client-node's generated models: objects stay the plain JSON the server sent (timestamps
 * as strings, the way client-node's own watch delivers them).
 *
 * Credentials come from a KubeAuthority: the agent's own kubeconfig reading (kubeconfig.ts, `endpointAuthority`), or,
 * for what only client-node implements, a client-node KubeConfig's `applyToHTTPSOptions` (built by the CLI).
 *
 * A failed request throws an Error carrying `statusCode`, `body` (the response text) and `headers`: the shape
 * runtime/errors.ts `toApiError` classifies, so callers see the same ApiError codes as with client-node. A request that
 * receives nothing for `idleTimeoutMs` is aborted with an error named TimeoutError.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeEndpoint, Secret } from './kubeconfig.ts';

/** RequestOptions is what a KubeAuthority fills in: TLS material, headers, and possibly its own agent. */
export type RequestOptions = https.RequestOptions & { headers: Record<string, string> };

/** KubeAuthority says where the apiserver is and adds the TLS settings and credentials to each request. */
export interface KubeAuthority {
  readonly server: string;
  apply(options: RequestOptions): Promise<void>;
}

/** DEFAULT_IDLE_TIMEOUT_MS bounds a request that receives nothing (a list, a delete; watches pass their own). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** LIST_PAGE_SIZE is how many objects one list request asks for (client-go's pager uses 500 too). */
export const LIST_PAGE_SIZE = 500;

/** Query is a request's query string; undefined values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** KubeHttpError is a response outside 2xx, shaped for toApiError. */
export class KubeHttpError extends Error {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Record<string, string>;

  constructor(method: string, path: string, statusCode: number, body: string, headers: Record<string, string>) {
    super(`${method} ${path}: HTTP ${statusCode}${http.STATUS_CODES[statusCode] ? ` ${http.STATUS_CODES[statusCode]}` : ''}`);
    this.name = 'KubeHttpError';
    this.statusCode = statusCode;
    this.body = body;
    this.headers = headers;
  }
}

function timeoutError(ms: number): Error {
  const err = new Error(`no data from the apiserver for ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
}

function secretBytes(s: Secret): Buffer {
  return 'file' in s ? readFileSync(s.file) : Buffer.from(s.base64, 'base64');
}

/**
 * endpointAuthority applies a KubeEndpoint: files are read on every request, as client-node does, so rotated
 * certificates are used on the next connection; a token file is re-read once it is older than its refresh interval.
 */
export function endpointAuthority(e: KubeEndpoint, now: () => number = Date.now): KubeAuthority {
  const agent = new (e.server.startsWith('http:') ? http.Agent : https.Agent)({ keepAlive: true });
  let token: { value: string; readAt: number } | undefined;
  const bearer = (): string | undefined => {
    const source = e.token;
    if (source === undefined) return undefined;
    if ('value' in source) return source.value;
    if (token === undefined || now() - token.readAt > source.refreshMs) token = { value: readFileSync(source.file, 'utf8'), readAt: now() };
    return token.value;
  };
  return {
    server: e.server,
    apply: async (o) => {
      o.agent = agent;
      if (e.ca !== undefined) o.ca = secretBytes(e.ca);
      if (e.clientCert !== undefined) o.cert = secretBytes(e.clientCert);
      if (e.clientKey !== undefined) o.key = secretBytes(e.clientKey);
      if (e.insecureSkipTlsVerify) o.rejectUnauthorized = false;
      if (e.tlsServerName !== undefined) o.servername = e.tlsServerName;
      const t = bearer();
      if (t !== undefined) o.headers['Authorization'] = `Bearer ${t}`;
    },
  };
}

/** ClientNodeConfig is what a fallback authority uses of client-node's KubeConfig (a type, so nothing is loaded here). */
export interface ClientNodeConfig {
  getCurrentCluster(): { readonly server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

/**
 * kubeConfigAuthority lets client-node apply what only it implements (exec plugins, auth providers, proxies, basic
 * auth, impersonation): its `applyToHTTPSOptions` sets the TLS material, the headers and an agent for each request.
 */
export function kubeConfigAuthority(kc: ClientNodeConfig): KubeAuthority {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig names no current cluster');
  return { server: cluster.server, apply: (o) => kc.applyToHTTPSOptions(o) };
}

/** ListPage is one page of a list: its items, the collection's resourceVersion, and the continue token. */
interface ListPage<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
}

/** ListResult is a complete (all pages) list. */
export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

/** KubeApi sends the agent's requests to one apiserver. */
export class KubeApi {
  readonly #authority: KubeAuthority;

  constructor(authority: KubeAuthority) {
    this.#authority = authority;
  }

  /** url is the full URL of `path` with `query` (undefined values left out). */
  url(path: string, query: Query = {}): URL {
    const url = new URL(this.#authority.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * request resolves with a 2xx response (its body not read yet); any other status rejects with a KubeHttpError.
   * `signal` aborts it at any time, `idleTimeoutMs` once nothing arrived for that long (headers or body).
   */
  async request(method: string, path: string, o: { query?: Query; body?: unknown; signal?: AbortSignal; idleTimeoutMs?: number } = {}): Promise<http.IncomingMessage> {
    const url = this.url(path, o.query);
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const options: RequestOptions = {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    };
    await this.#authority.apply(options);
    if (o.signal !== undefined) options.signal = o.signal;
    const idleMs = o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'http:' ? http : https).request(url, options, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readText(res).then(
          (text) => reject(new KubeHttpError(method, url.pathname, status, text, flatHeaders(res.headers))),
          reject,
        );
      });
      // The socket's idle timeout covers connecting, waiting for headers and every gap in the body.
      req.setTimeout(idleMs, () => req.destroy(timeoutError(idleMs)));
      req.once('error', reject);
      req.end(body);
    });
  }

  /** getJson reads `path` as JSON. */
  async getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    const res = await this.request('GET', path, { query, ...(signal !== undefined && { signal }) });
    return JSON.parse(await readText(res)) as T;
  }

  /** delete deletes the object at `path`; the apiserver's answer is read and dropped. */
  async delete(path: string, query: Query = {}): Promise<void> {
    await readText(await this.request('DELETE', path, { query }));
  }

  /**
   * list reads a whole collection in pages of LIST_PAGE_SIZE, so a site's 10,000 pods never sit in memory as one
   * response; `project` turns each raw item into what the caller keeps, page by page. All pages share the first
   * page's snapshot (the continue token carries it), so the result is one consistent list at one resourceVersion.
   */
  async list<T>(path: string, query: Query, project: (raw: unknown) => T, signal?: AbortSignal): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = '';
    let next: string | undefined;
    do {
      const page: ListPage<T> = await this.#page(path, { ...query, limit: LIST_PAGE_SIZE, continue: next }, project, signal);
      for (const item of page.items) items.push(item);
      resourceVersion = page.resourceVersion;
      next = page.continueToken;
    } while (next !== undefined);
    return { items, resourceVersion };
  }

  async #page<T>(path: string, query: Query, project: (raw: unknown) => T, signal?: AbortSignal): Promise<ListPage<T>> {
    const raw = await this.getJson<{ metadata?: { resourceVersion?: string; continue?: string }; items?: unknown[] }>(path, query, signal);
    return {
      items: (raw.items ?? []).map(project),
      resourceVersion: raw.metadata?.resourceVersion ?? '',
      continueToken: raw.metadata?.continue || undefined,
    };
  }
}

/** readText reads a response body as UTF-8 text. */
export async function readText(res: http.IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
