/**
 * The agent's own reading of where its cluster is and who it is there, for the common cases only: the in-cluster
 * service account (the chart), and a kubeconfig file whose current context has a server, a CA, and a client
 * certificate or a bearer token (the lab, most hand-written ones). It exists so the agent can reach its apiserver
 * without @kubernetes/client-node, whose load alone costs the agent about 80 MiB (bench/agent-footprint.bench.ts).
 *
 * The search order is the CLI's (src/cli/process.ts loadKubeConfig): --kubeconfig FILE, else $KUBECONFIG, else the
 * in-cluster service account when $KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. The fields are read as
 * client-node 2.0.1 reads them (config_types.js, config.js): the server without a trailing slash, relative file paths
 * against the kubeconfig's folder, `token` before `token-file` (read once), the in-cluster token file re-read every
 * minute; plain http only with insecure-skip-tls-verify (client-node refuses it otherwise, the in-cluster ports 80,
 * 8080 and 8001 included).
 *
 * Anything else — exec plugins, auth providers, basic auth, impersonation, a proxy, several files in $KUBECONFIG,
 * no kubeconfig at all, a file that does not parse or names no current cluster — is not an error here: the result
 * says `fallback` with why, and the caller loads the configuration with client-node instead, which then behaves (and
 * fails) exactly as before.
 */
import { isIPv6 } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** Secret is PEM or token material: a file read when used, or inline data (base64 in a kubeconfig). */
export type Secret = { readonly file: string } | { readonly base64: string };

/** TokenSource is where the bearer token comes from: a value, or a file re-read every `refreshMs`. */
export type TokenSource = { readonly value: string } | { readonly file: string; readonly refreshMs: number };

/** KubeEndpoint is the cluster the agent talks to and how it authenticates. */
export interface KubeEndpoint {
  /** server is the apiserver's base URL without a trailing slash (https://host:port[/prefix]). */
  readonly server: string;
  readonly ca?: Secret;
  readonly clientCert?: Secret;
  readonly clientKey?: Secret;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly token?: TokenSource;
  /** source says where it came from, for logs and errors (e.g. "--kubeconfig /x/site.kubeconfig"). */
  readonly source: string;
}

/** EndpointLookup is a KubeEndpoint, or why the caller should load the configuration with client-node. */
export type EndpointLookup = { readonly endpoint: KubeEndpoint } | { readonly fallback: string };

/** KubeconfigFiles is the file access the lookup needs (a seam for tests). */
export interface KubeconfigFiles {
  readFile(path: string): string;
  exists(path: string): boolean;
}

/** SERVICE_ACCOUNT_DIR holds the in-cluster token and CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** IN_CLUSTER_TOKEN_REFRESH_MS: the projected token rotates; client-node and client-go re-read it every minute. */
export const IN_CLUSTER_TOKEN_REFRESH_MS = 60_000;

/** lookupEndpoint follows the CLI's search order (module comment). */
export function lookupEndpoint(file: string | undefined, env: Readonly<Record<string, string | undefined>>, files: KubeconfigFiles): EndpointLookup {
  if (file !== undefined) return endpointFromFile(file, `--kubeconfig ${file}`, files);
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  if ((env['KUBECONFIG'] ?? '') !== '') {
    const [only, ...more] = fromEnv;
    if (only === undefined || more.length > 0) return { fallback: '$KUBECONFIG does not name exactly one file' };
    return endpointFromFile(only, `$KUBECONFIG ${only}`, files);
  }
  if (env['KUBERNETES_SERVICE_HOST'] !== undefined) return inClusterEndpoint(env);
  const home = env['HOME'];
  if (home === undefined || home === '') return { fallback: 'no $HOME to find ~/.kube/config in' };
  const config = join(home, '.kube', 'config');
  if (!files.exists(config)) return { fallback: `no ${config}` };
  return endpointFromFile(config, 'the kubeconfig (~/.kube/config)', files);
}

/** inClusterEndpoint is the pod's service account, as client-node's loadFromCluster builds it. */
export function inClusterEndpoint(env: Readonly<Record<string, string | undefined>>): EndpointLookup {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  if (host === '' || port === '') return { fallback: '$KUBERNETES_SERVICE_HOST or $KUBERNETES_SERVICE_PORT is empty' };
  // client-node builds http for these ports and then refuses plain http without skipTLSVerify, which it never sets here.
  if (port === '80' || port === '8080' || port === '8001') return { fallback: `in-cluster port ${port} means plain http, which client-node refuses` };
  return {
    endpoint: {
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      ca: { file: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
      insecureSkipTlsVerify: false,
      token: { file: `${SERVICE_ACCOUNT_DIR}/token`, refreshMs: IN_CLUSTER_TOKEN_REFRESH_MS },
      source: 'the in-cluster service account',
    },
  };
}

function endpointFromFile(file: string, source: string, files: KubeconfigFiles): EndpointLookup {
  let text: string;
  try {
    text = files.readFile(file);
  } catch {
    return { fallback: `cannot read ${file}` };
  }
  return parseKubeconfig(text, { dir: dirname(file), source, readFile: (f) => files.readFile(f) });
}

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** named finds the entry `name` of a kubeconfig list (clusters, users, contexts) and returns its inner object. */
function named(list: unknown, name: string, key: string): Doc | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = list.find((e): e is Doc => isDoc(e) && e['name'] === name);
  if (entry === undefined) return undefined;
  return isDoc(entry[key]) ? entry[key] : entry;
}

/** USER_FIELDS_NEEDING_CLIENT_NODE are user fields only client-node implements (module comment). */
const USER_FIELDS_NEEDING_CLIENT_NODE = ['exec', 'auth-provider', 'username', 'password', 'as', 'as-groups', 'as-uid', 'as-user-extra'];

/** parseKubeconfig reads one kubeconfig document's current context; `dir` resolves relative file paths. */
export function parseKubeconfig(text: string, o: { readonly dir: string; readonly source: string; readonly readFile: (path: string) => string }): EndpointLookup {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return { fallback: `${o.source} does not parse` };
  }
  if (!isDoc(doc)) return { fallback: `${o.source} is not a kubeconfig` };
  const contextName = str(doc['current-context']);
  if (contextName === undefined) return { fallback: `${o.source} has no current-context` };
  const context = named(doc['contexts'], contextName, 'context');
  const clusterName = str(context?.['cluster']);
  const cluster = clusterName === undefined ? undefined : named(doc['clusters'], clusterName, 'cluster');
  const server = str(cluster?.['server']);
  if (cluster === undefined || server === undefined) return { fallback: `${o.source} names no current cluster with a server` };
  if (cluster['proxy-url'] !== undefined) return { fallback: `${o.source}: the cluster uses a proxy` };
  const insecureSkipTlsVerify = cluster['insecure-skip-tls-verify'] === true;
  // client-node refuses a plain http server unless TLS verification is off; so does its fallback, with its own error.
  if (server.startsWith('http:') && !insecureSkipTlsVerify) return { fallback: `${o.source}: plain http without insecure-skip-tls-verify` };
  // client-node applies no TLS settings at all (not even the CA) when the context's user is missing.
  const userName = str(context?.['user']);
  const user = userName === undefined ? undefined : named(doc['users'], userName, 'user');
  if (user === undefined) return { fallback: `${o.source}: the current context names no user` };
  const special = USER_FIELDS_NEEDING_CLIENT_NODE.find((k) => user[k] !== undefined && user[k] !== null);
  if (special !== undefined) return { fallback: `${o.source}: the user sets ${special}` };
  const path = (f: string): string => (isAbsolute(f) ? f : join(o.dir, f));
  // As client-node: a file wins over inline data.
  const secret = (from: Doc, fileKey: string, dataKey: string): Secret | undefined => {
    const file = str(from[fileKey]);
    if (file !== undefined) return { file: path(file) };
    const data = str(from[dataKey]);
    return data === undefined ? undefined : { base64: data };
  };
  let token: TokenSource | undefined;
  const inline = str(user['token']);
  const tokenFile = str(user['token-file']);
  if (inline !== undefined) token = { value: inline };
  else if (tokenFile !== undefined) {
    try {
      // client-node reads token-file once, as given (not made absolute).
      token = { value: o.readFile(tokenFile) };
    } catch {
      return { fallback: `${o.source}: cannot read token-file ${tokenFile}` };
    }
  }
  const ca = secret(cluster, 'certificate-authority', 'certificate-authority-data');
  const clientCert = secret(user, 'client-certificate', 'client-certificate-data');
  const clientKey = secret(user, 'client-key', 'client-key-data');
  const tlsServerName = str(cluster['tls-server-name']);
  return {
    endpoint: {
      server: server.replace(/\/$/, ''),
      ...(ca !== undefined && { ca }),
      ...(clientCert !== undefined && { clientCert }),
      ...(clientKey !== undefined && { clientKey }),
      insecureSkipTlsVerify,
      ...(tlsServerName !== undefined && { tlsServerName }),
      ...(token !== undefined && { token }),
      source: o.source,
    },
  };
}
