import type { V1Secret } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Site } from '../api/generated/types.ts';
import { FakeClock } from '../runtime/clock.ts';
import { SiteClientError, SiteClients } from './site-clients.ts';

const TOKEN = 'c2VjcmV0LXRva2VuLWRvLW5vdC1sZWFr';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const OWN = 'suanwang-system';

/** kubeconfig is a well-formed kubeconfig for one cluster and one user; `user` and `cluster` add or replace fields. */
function kubeconfig(user: Record<string, unknown> = { token: TOKEN }, cluster: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'site', cluster: { server: 'https://site.example:6443', 'certificate-authority-data': CA, ...cluster } }],
    users: [{ name: 'operator', user }],
    contexts: [{ name: 'site', context: { cluster: 'site', user: 'operator' } }],
    'current-context': 'site',
    ...top,
  });
}

function site(name = 'shanghai', namespace?: string): Site {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'Site',
    metadata: { name },
    spec: { region: 'cn-east', connection: { kubeconfigSecretRef: { name: `site-${name}-kubeconfig`, ...(namespace !== undefined && { namespace }) } } },
  };
}

/** clientsWith serves one Secret, site-shanghai-kubeconfig, in `namespace`, holding `text`. */
function clientsWith(text: string, namespace = OWN): SiteClients {
  const secret: V1Secret = {
    metadata: { name: 'site-shanghai-kubeconfig', namespace, uid: 'u1', resourceVersion: '1' },
    data: { kubeconfig: Buffer.from(text).toString('base64') },
  };
  return new SiteClients({
    clock: new FakeClock(0),
    namespace: OWN,
    secret: (ns, name) => (ns === secret.metadata?.namespace && name === secret.metadata.name ? secret : undefined),
  });
}

/** refusal returns the error forSite throws for `text`, failing the test if it throws none. */
function refusal(text: string, s: Site = site()): SiteClientError {
  let err: unknown;
  try {
    clientsWith(text).forSite(s);
  } catch (e: unknown) {
    err = e;
  }
  expect(err, 'forSite should refuse this kubeconfig').toBeInstanceOf(SiteClientError);
  return err as SiteClientError;
}

describe('SiteClients: a site kubeconfig is data, not code', () => {
  it('accepts inline credentials: a token, or client certificate and key data, and CA data, for an https server', () => {
    const token = clientsWith(kubeconfig()).forSite(site());
    expect(token.apis.kubeConfig.getCurrentCluster()).toMatchObject({ server: 'https://site.example:6443', caData: CA, skipTLSVerify: false });
    expect(token.apis.kubeConfig.getCurrentUser()).toMatchObject({ token: TOKEN });
    const certs = clientsWith(kubeconfig({ 'client-certificate-data': CA, 'client-key-data': CA }, { 'insecure-skip-tls-verify': false })).forSite(site());
    expect(certs.apis.kubeConfig.getCurrentUser()).toMatchObject({ certData: CA, keyData: CA });
  });

  const refused: Array<{ field: string; text: string; want: RegExp }> = [
    {
      field: 'exec',
      text: kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', 'touch /tmp/marker'] } }),
      want: /users\[0\]\.user\.exec is not allowed: site kubeconfigs may hold inline credentials only/,
    },
    { field: 'tokenFile', text: kubeconfig({ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }), want: /users\[0\]\.user\.tokenFile is not allowed/ },
    { field: 'token-file', text: kubeconfig({ 'token-file': '/var/run/secrets/kubernetes.io/serviceaccount/token' }), want: /users\[0\]\.user\.token-file is not allowed/ },
    { field: 'client-key path', text: kubeconfig({ 'client-certificate-data': CA, 'client-key': '/etc/ssl/private/key.pem' }), want: /users\[0\]\.user\.client-key is not allowed/ },
    { field: 'client-certificate path', text: kubeconfig({ 'client-certificate': '/etc/cert.pem', 'client-key-data': CA }), want: /users\[0\]\.user\.client-certificate is not allowed/ },
    { field: 'auth-provider', text: kubeconfig({ 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } }), want: /users\[0\]\.user\.auth-provider is not allowed/ },
    { field: 'proxy-url', text: kubeconfig(undefined, { 'proxy-url': 'http://attacker.example:3128' }), want: /clusters\[0\]\.cluster\.proxy-url is not allowed/ },
    { field: 'certificate-authority path', text: kubeconfig(undefined, { 'certificate-authority': '/etc/ca.pem' }), want: /clusters\[0\]\.cluster\.certificate-authority is not allowed/ },
    { field: 'an http server', text: kubeconfig(undefined, { server: 'http://site.example:8080' }), want: /clusters\[0\]\.cluster\.server must be an https:\/\/ URL/ },
    { field: 'insecure-skip-tls-verify', text: kubeconfig(undefined, { 'insecure-skip-tls-verify': true }), want: /clusters\[0\]\.cluster\.insecure-skip-tls-verify=true is not allowed/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.field}, naming the field`, () => {
      const err = refusal(c.text);
      expect(err.message).toMatch(c.want);
      expect(err.reason).toBe('KubeconfigNotAllowed');
      expect(err.message).not.toContain(TOKEN);
    });
  }

  const invalid: Array<{ what: string; text: string; want: RegExp }> = [
    { what: 'a certificate without its key', text: kubeconfig({ 'client-certificate-data': CA }), want: /users\[0\]\.user needs both client-certificate-data and client-key-data/ },
    { what: 'a user without credentials', text: kubeconfig({}), want: /users\[0\]\.user holds no credentials/ },
    { what: 'a current-context that names nothing', text: kubeconfig(undefined, undefined, { 'current-context': 'elsewhere' }), want: /current-context names no entry of contexts/ },
    { what: 'no clusters', text: kubeconfig(undefined, undefined, { clusters: [] }), want: /clusters must be a non-empty list/ },
    { what: 'a server that is no URL', text: kubeconfig(undefined, { server: 'site.example:6443' }), want: /clusters\[0\]\.cluster\.server is not a URL|must be an https/ },
    { what: 'not a mapping', text: '- just\n- a list\n', want: /the kubeconfig must be a mapping/ },
  ];
  for (const c of invalid) {
    it(`refuses ${c.what}`, () => {
      const err = refusal(c.text);
      expect(err.message).toMatch(c.want);
      expect(err.message).not.toContain(TOKEN);
    });
  }

  it('refuses a user name and password in the server URL', () => {
    const err = refusal(kubeconfig(undefined, { server: `https://admin:${TOKEN}@site.example:6443` }));
    expect(err.message).toMatch(/must not hold a user name or password/);
    expect(err.message).not.toContain(TOKEN);
  });

  it('never quotes a malformed kubeconfig, which may hold a token', () => {
    const broken = `apiVersion: v1\nusers:\n- name: operator\n  user:\n    token: ${TOKEN}\n   bad: [indentation\n`;
    const err = refusal(broken);
    expect(err.message).not.toContain(TOKEN.slice(0, 12));
    expect(err.reason).toBe('KubeconfigInvalid');
    expect(err.message).toMatch(/not valid YAML \(line \d+, column \d+/);
  });

  it('does not quote an unknown field either: a mangled line can turn a token into a key', () => {
    const err = refusal(kubeconfig({ [TOKEN]: null }));
    expect(err.message).toMatch(/users\[0\]\.user has a field that is not allowed/);
    expect(err.message).not.toContain(TOKEN);
  });

  it("reads Secrets only from the operator's own namespace", () => {
    const err = refusal(kubeconfig(), site('shanghai', 'kube-system'));
    expect(err.reason).toBe('SecretNamespaceNotAllowed');
    expect(err.message).toMatch(/kubeconfigSecretRef\.namespace kube-system is not allowed: site kubeconfig Secrets are read from the operator's namespace suanwang-system only/);
    // Unset means the operator's own.
    expect(() => clientsWith(kubeconfig()).forSite(site('shanghai'))).not.toThrow();
  });

  it('says when the Secret is missing', () => {
    const err = (() => {
      try {
        clientsWith(kubeconfig(), 'elsewhere').forSite(site());
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SiteClientError);
    expect((err as SiteClientError).reason).toBe('KubeconfigMissing');
  });
});

describe('SiteClients.check', () => {
  it('turns a refusal into a verdict the Site status shows', () => {
    const clients = clientsWith(kubeconfig({ exec: { command: '/bin/sh' } }));
    expect(clients.check(site())).toMatchObject({ ok: false, reason: 'KubeconfigNotAllowed', message: expect.stringMatching(/users\[0\]\.user\.exec is not allowed/) });
    expect(clientsWith(kubeconfig()).check(site())).toEqual({ ok: true, secret: `${OWN}/site-shanghai-kubeconfig` });
  });
});
