import { describe, expect, it } from 'vitest';
import { inClusterEndpoint, lookupEndpoint, parseKubeconfig, SERVICE_ACCOUNT_DIR, type KubeconfigFiles } from './kubeconfig.ts';

function files(map: Record<string, string>): KubeconfigFiles {
  return {
    readFile: (p) => {
      const text = map[p];
      if (text === undefined) throw new Error(`ENOENT ${p}`);
      return text;
    },
    exists: (p) => map[p] !== undefined,
  };
}

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': 'Q0E=' }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'other', cluster: { server: 'https://elsewhere:1' } }, { name: 'site', cluster }],
    users: [{ name: 'agent', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'site', user: 'agent' } }],
    'current-context': 'ctx',
  });
}

const parse = (text: string): ReturnType<typeof parseKubeconfig> => parseKubeconfig(text, { dir: '/etc/site', source: '--kubeconfig /etc/site/kc', readFile: files({ '/run/token': 'from-file' }).readFile });

describe('the agent reading its kubeconfig', () => {
  it('reads the current context: server without its trailing slash, inline CA, a token', () => {
    expect(parse(kubeconfig({ token: 'abc' }))).toEqual({
      endpoint: { server: 'https://127.0.0.1:6443', ca: { base64: 'Q0E=' }, insecureSkipTlsVerify: false, token: { value: 'abc' }, source: '--kubeconfig /etc/site/kc' },
    });
  });

  it('resolves certificate files against the kubeconfig folder; a file wins over inline data', () => {
    const got = parse(
      kubeconfig(
        { 'client-certificate': 'agent.crt', 'client-certificate-data': 'eA==', 'client-key': '/abs/agent.key' },
        { server: 'https://h:1', 'certificate-authority': 'ca.crt', 'insecure-skip-tls-verify': true, 'tls-server-name': 'api' },
      ),
    );
    expect(got).toEqual({
      endpoint: {
        server: 'https://h:1',
        ca: { file: '/etc/site/ca.crt' },
        clientCert: { file: '/etc/site/agent.crt' },
        clientKey: { file: '/abs/agent.key' },
        insecureSkipTlsVerify: true,
        tlsServerName: 'api',
        source: '--kubeconfig /etc/site/kc',
      },
    });
  });

  it('reads token-file once, as client-node does, and prefers an inline token', () => {
    expect(parse(kubeconfig({ 'token-file': '/run/token' }))).toMatchObject({ endpoint: { token: { value: 'from-file' } } });
    expect(parse(kubeconfig({ token: 'inline', 'token-file': '/run/token' }))).toMatchObject({ endpoint: { token: { value: 'inline' } } });
  });

  it('leaves to client-node what only it implements, and anything it cannot read', () => {
    for (const user of [{ exec: { command: 'aws' } }, { 'auth-provider': { name: 'oidc' } }, { username: 'u', password: 'p' }, { token: 't', as: 'someone' }, { 'token-file': '/missing' }]) {
      expect(parse(kubeconfig(user))).toHaveProperty('fallback');
    }
    expect(parse(kubeconfig({ token: 't' }, { server: 'https://h:1', 'proxy-url': 'http://proxy:3128' }))).toHaveProperty('fallback');
    expect(parse(kubeconfig({ token: 't' }, {}))).toHaveProperty('fallback');
    expect(parse(kubeconfig({ token: 't' }, { server: 'http://h:8080' }))).toHaveProperty('fallback');
    expect(parse(kubeconfig({ token: 't' }, { server: 'http://h:8080', 'insecure-skip-tls-verify': true }))).toMatchObject({ endpoint: { server: 'http://h:8080' } });
    expect(parse('clusters: [')).toHaveProperty('fallback');
    expect(parse('just text')).toHaveProperty('fallback');
    expect(parse(JSON.stringify({ clusters: [], users: [], contexts: [] }))).toHaveProperty('fallback');
    const noUser = JSON.parse(kubeconfig({ token: 't' })) as { contexts: Array<{ context: { user: string } }> };
    noUser.contexts[0]!.context.user = 'nobody';
    expect(parse(JSON.stringify(noUser))).toEqual({ fallback: '--kubeconfig /etc/site/kc: the current context names no user' });
  });

  it('builds the in-cluster endpoint as client-node does: bracketed IPv6, the token re-read; http ports left to it', () => {
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' })).toEqual({
      endpoint: {
        server: 'https://10.96.0.1:443',
        ca: { file: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
        insecureSkipTlsVerify: false,
        token: { file: `${SERVICE_ACCOUNT_DIR}/token`, refreshMs: 60_000 },
        source: 'the in-cluster service account',
      },
    });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' })).toMatchObject({ endpoint: { server: 'https://[fd00::1]:443' } });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'api', KUBERNETES_SERVICE_PORT: '8080' })).toHaveProperty('fallback');
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'api', KUBERNETES_SERVICE_PORT: '' })).toHaveProperty('fallback');
  });

  it('looks in the CLI order: --kubeconfig, then $KUBECONFIG, then in-cluster, then ~/.kube/config', () => {
    const fs = files({ '/flag/kc': kubeconfig({ token: 'flag' }), '/env/kc': kubeconfig({ token: 'env' }), '/home/u/.kube/config': kubeconfig({ token: 'home' }) });
    const inCluster = { KUBERNETES_SERVICE_HOST: 'api', KUBERNETES_SERVICE_PORT: '443', HOME: '/home/u' };
    expect(lookupEndpoint('/flag/kc', { ...inCluster, KUBECONFIG: '/env/kc' }, fs)).toMatchObject({ endpoint: { token: { value: 'flag' }, source: '--kubeconfig /flag/kc' } });
    expect(lookupEndpoint(undefined, { ...inCluster, KUBECONFIG: '/env/kc' }, fs)).toMatchObject({ endpoint: { token: { value: 'env' }, source: '$KUBECONFIG /env/kc' } });
    expect(lookupEndpoint(undefined, inCluster, fs)).toMatchObject({ endpoint: { server: 'https://api:443' } });
    expect(lookupEndpoint(undefined, { HOME: '/home/u' }, fs)).toMatchObject({ endpoint: { token: { value: 'home' } } });
    // Merging several files, and the library's own defaults when nothing is configured, stay client-node's.
    expect(lookupEndpoint(undefined, { KUBECONFIG: '/env/kc:/flag/kc' }, fs)).toHaveProperty('fallback');
    expect(lookupEndpoint(undefined, { HOME: '/nowhere' }, fs)).toHaveProperty('fallback');
    expect(lookupEndpoint('/missing', {}, fs)).toEqual({ fallback: 'cannot read /missing' });
  });
});
