/**
 * A site's kubeconfig, read as data. client-node's own loader honours everything a kubeconfig may say, and much of
 * that is code or a local read inside the operator: `users[].user.exec` runs a command, `token-file` (read at load
 * time), `client-certificate`/`client-key`/`certificate-authority` read files, `auth-provider` runs refresh logic,
 * `proxy-url` sends the credentials through another host, an http server sends them in the clear. A Secret is
 * written by whoever registers a site, so none of that may come from it. Accepted, and nothing else (an allow-list:
 * a field added to kubeconfigs later is refused until someone decides it is data):
 * - clusters[].cluster: server (an https URL without user info), certificate-authority-data, tls-server-name,
 *   insecure-skip-tls-verify (false only);
 * - users[].user: token, client-certificate-data with client-key-data (at least one of the two forms);
 * - contexts[].context: cluster, user, namespace; apiVersion, kind, current-context, preferences (ignored).
 * The KubeConfig is then built from these fields alone (loadFromOptions), never from the text.
 *
 * Messages name the field by its path and never quote a value, and a YAML error gives only its line and column:
 * js-yaml's own message quotes the source around the error, which is where the token is.
 */
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';
import { Reason } from '../api/names.ts';
import type { ConnectionReason } from './site-client-error.ts';

/** INLINE_ONLY ends every refusal of a field: what a site kubeconfig may hold instead. */
export const INLINE_ONLY = 'site kubeconfigs may hold inline credentials only';

/** VettedKubeconfig is what KubeConfig.loadFromOptions takes, built from accepted fields only. */
export interface VettedKubeconfig {
  readonly clusters: Cluster[];
  readonly users: User[];
  readonly contexts: Context[];
  readonly currentContext: string;
}

/** KubeconfigRefusal is why a kubeconfig was refused; the message names a path, never a value. */
export class KubeconfigRefusal extends Error {
  readonly reason: ConnectionReason;
  constructor(reason: ConnectionReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

const TOP_FIELDS = new Set(['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences']);
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority-data', 'tls-server-name', 'insecure-skip-tls-verify']);
const USER_FIELDS = new Set(['token', 'client-certificate-data', 'client-key-data']);
const CONTEXT_FIELDS = new Set(['cluster', 'user', 'namespace']);
/**
 * KNOWN_FIELDS are the other field names kubeconfigs define: a refusal names these. Any other key is described, not
 * quoted — a mangled line can turn a token into a key.
 */
const KNOWN_FIELDS = new Set([
  'exec',
  'auth-provider',
  'token-file',
  'tokenFile',
  'client-certificate',
  'client-key',
  'username',
  'password',
  'as',
  'as-uid',
  'as-groups',
  'as-user-extra',
  'certificate-authority',
  'proxy-url',
  'disable-compression',
  'extensions',
  'name',
  'cluster',
  'user',
  'context',
]);

/** vetKubeconfig parses `text` and returns its accepted fields; throws KubeconfigRefusal. */
export function vetKubeconfig(text: string): VettedKubeconfig {
  const doc = parse(text);
  const top = mapping(doc, 'the kubeconfig');
  allowOnly(top, TOP_FIELDS, '');
  for (const k of ['apiVersion', 'kind', 'current-context'] as const) {
    if (top[k] !== undefined && typeof top[k] !== 'string') invalid(`${k} must be a string`);
  }
  if (top['preferences'] !== undefined) mapping(top['preferences'], 'preferences');

  const clusters = list(top, 'clusters').map((entry, i) => vetCluster(entry, i));
  const users = list(top, 'users').map((entry, i) => vetUser(entry, i));
  const contexts = list(top, 'contexts').map((entry, i) => vetContext(entry, i));

  const currentContext = top['current-context'];
  if (typeof currentContext !== 'string' || currentContext === '') invalid('current-context is not set');
  const context = contexts.find((c) => c.name === currentContext);
  if (context === undefined) invalid('current-context names no entry of contexts');
  contexts.forEach((c, i) => {
    if (!clusters.some((x) => x.name === c.cluster)) invalid(`contexts[${i}].context.cluster names no entry of clusters`);
    if (!users.some((x) => x.name === c.user)) invalid(`contexts[${i}].context.user names no entry of users`);
  });
  return { clusters, users, contexts, currentContext };
}

function parse(text: string): unknown {
  try {
    // CORE_SCHEMA: plain YAML values only, no timestamps or binary (js-yaml 4 has no code-running tags anyway).
    return load(text, { schema: CORE_SCHEMA });
  } catch (err: unknown) {
    if (!(err instanceof YAMLException)) throw err;
    const where = `line ${err.mark.line + 1}, column ${err.mark.column + 1}`;
    // The reason is quoted only when it is plain words: some (unknown tag, alias) quote the source.
    const reason = /^[a-z][a-z ,()-]*$/i.test(err.reason) ? `: ${err.reason}` : '';
    return invalid(`not valid YAML (${where}${reason})`);
  }
}

function vetCluster(entry: unknown, i: number): Cluster {
  const at = `clusters[${i}]`;
  const { name, body } = named(entry, at, 'cluster');
  const path = `${at}.cluster`;
  allowOnly(body, CLUSTER_FIELDS, path);
  const server = body['server'];
  if (typeof server !== 'string' || server === '') invalid(`${path}.server is not set`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return invalid(`${path}.server is not a URL`);
  }
  if (url.protocol !== 'https:') notAllowed(`${path}.server must be an https:// URL: credentials are never sent in the clear`);
  if (url.username !== '' || url.password !== '') notAllowed(`${path}.server must not hold a user name or password: ${INLINE_ONLY}`);
  const skip = body['insecure-skip-tls-verify'];
  if (skip !== undefined && typeof skip !== 'boolean') invalid(`${path}.insecure-skip-tls-verify must be true or false`);
  if (skip === true) notAllowed(`${path}.insecure-skip-tls-verify=true is not allowed: the site's serving certificate must be verified (give certificate-authority-data)`);
  const caData = optionalString(body, 'certificate-authority-data', path);
  const tlsServerName = optionalString(body, 'tls-server-name', path);
  return {
    name,
    server: server.replace(/\/$/, ''),
    skipTLSVerify: false,
    ...(caData !== undefined && { caData }),
    ...(tlsServerName !== undefined && { tlsServerName }),
  };
}

function vetUser(entry: unknown, i: number): User {
  const at = `users[${i}]`;
  const { name, body } = named(entry, at, 'user');
  const path = `${at}.user`;
  allowOnly(body, USER_FIELDS, path);
  const token = optionalString(body, 'token', path);
  const certData = optionalString(body, 'client-certificate-data', path);
  const keyData = optionalString(body, 'client-key-data', path);
  if ((certData === undefined) !== (keyData === undefined)) invalid(`${path} needs both client-certificate-data and client-key-data, or neither`);
  if (token === undefined && certData === undefined) invalid(`${path} holds no credentials: give token, or client-certificate-data and client-key-data`);
  return {
    name,
    ...(token !== undefined && { token }),
    ...(certData !== undefined && { certData }),
    ...(keyData !== undefined && { keyData }),
  };
}

function vetContext(entry: unknown, i: number): Context {
  const at = `contexts[${i}]`;
  const { name, body } = named(entry, at, 'context');
  const path = `${at}.context`;
  allowOnly(body, CONTEXT_FIELDS, path);
  const cluster = optionalString(body, 'cluster', path);
  const user = optionalString(body, 'user', path);
  if (cluster === undefined) invalid(`${path}.cluster is not set`);
  if (user === undefined) invalid(`${path}.user is not set`);
  const namespace = optionalString(body, 'namespace', path);
  return { name, cluster, user, ...(namespace !== undefined && { namespace }) };
}

/** named reads a `{name, <field>: {...}}` entry of clusters, users or contexts. */
function named(entry: unknown, at: string, field: string): { name: string; body: Record<string, unknown> } {
  const e = mapping(entry, at);
  allowOnly(e, new Set(['name', field]), at);
  const name = e['name'];
  if (typeof name !== 'string' || name === '') invalid(`${at}.name is not set`);
  return { name, body: mapping(e[field], `${at}.${field}`) };
}

function list(top: Record<string, unknown>, key: string): unknown[] {
  const v = top[key];
  if (!Array.isArray(v) || v.length === 0) invalid(`${key} must be a non-empty list`);
  return v;
}

function mapping(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(`${what} must be a mapping`);
  return v as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') invalid(`${path}.${key} must be a non-empty string`);
  return v;
}

/** allowOnly refuses the first key of `obj` (in sorted order, so the message is stable) outside `allowed`. */
function allowOnly(obj: Record<string, unknown>, allowed: ReadonlySet<string>, path: string): void {
  const extra = Object.keys(obj)
    .filter((k) => !allowed.has(k))
    .sort();
  const first = extra[0];
  if (first === undefined) return;
  const where = path === '' ? '' : `${path}.`;
  if (KNOWN_FIELDS.has(first)) notAllowed(`${where}${first} is not allowed: ${INLINE_ONLY}`);
  notAllowed(`${path === '' ? 'the kubeconfig' : path} has a field that is not allowed (not shown: it may be a credential): ${INLINE_ONLY}`);
}

function invalid(message: string): never {
  throw new KubeconfigRefusal(Reason.KubeconfigInvalid, message);
}

function notAllowed(message: string): never {
  throw new KubeconfigRefusal(Reason.KubeconfigNotAllowed, message);
}
