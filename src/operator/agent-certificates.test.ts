// The operator's agent certificate policy against a real OperatorServer over loopback, with real certificates from
// one lab CA: a certificate on the --revoked-agent-certificates list is refused, a Site that pins its agent's
// certificate refuses another valid one of the same CA and accepts the pinned one, and a change of the list or of
// the pins ends the open sessions it now refuses.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Site } from '../api/generated/types.ts';
import { readCrdSchema, validateAgainst } from '../api/crd-validation.ts';
import { REPO_ROOT } from '../api/generate.ts';
import { parseFingerprint } from '../wire/agent-certificate.ts';
import { FakeClock } from '../runtime/clock.ts';
import { MemoryCache } from '../runtime/memory-cache.ts';
import { issueSiteCertificate, type PemPair } from '../wire/certs.ts';
import type { OperatorServer } from '../wire/server.ts';
import { captureLogger, eventually, mintPki, RawClients, site, startServer, type LabPki, type RecordingHandler } from '../wire/test-helpers.ts';
import { AgentCertificatePolicy } from './agent-certificates.ts';
import { RevokedCertificatesFile } from './revoked-certificates.ts';

let pki: LabPki;
/** second is another valid certificate of site alpha, from the same CA. */
let second: PemPair;
let dir: string;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  pki = await mintPki(['alpha', 'beta']);
  second = await issueSiteCertificate(pki.ca, site('alpha'), { now: new Date() });
  dir = await mkdtemp(join(tmpdir(), 'suanwang-agent-certs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** fingerprint is how an operator copies it: `openssl x509 -noout -fingerprint -sha256`, upper case with colons. */
function fingerprint(pair: PemPair | undefined): string {
  if (pair === undefined) throw new Error('no certificate');
  return new X509Certificate(pair.certPem).fingerprint256;
}

function hex(pair: PemPair | undefined): string {
  return fingerprint(pair).replaceAll(':', '').toLowerCase();
}

function siteObject(name: string, pins?: string[]): Site {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'Site',
    metadata: { name, generation: 1, resourceVersion: '1' },
    spec: { region: 'cn-east', connection: { kubeconfigSecretRef: { name: `site-${name}-kubeconfig` }, ...(pins && { agentCertificateSHA256: pins }) } },
  };
}

interface Fixture {
  readonly server: OperatorServer;
  readonly handler: RecordingHandler;
  readonly raw: RawClients;
  readonly sites: MemoryCache<Site>;
  readonly clock: FakeClock;
  readonly logs: Record<string, unknown>[];
}

async function serve(opts: { revoked?: string; sites?: Site[] } = {}): Promise<Fixture> {
  const { logger, lines } = captureLogger();
  const sites = new MemoryCache<Site>(opts.sites ?? []);
  const clock = new FakeClock(Date.now());
  let server: OperatorServer | undefined;
  const policy = new AgentCertificatePolicy({
    sites,
    ...(opts.revoked !== undefined && { revoked: new RevokedCertificatesFile(opts.revoked, logger) }),
    clock,
    logger,
    recheck: (s) => void server?.recheckCertificates(s),
  });
  const started = await startServer(pki, { logger, checkCertificate: policy.check });
  server = started.server;
  policy.start();
  const raw = new RawClients(pki, started.port);
  cleanups.push(() => started.server.stop(0));
  cleanups.push(() => policy.stop());
  cleanups.push(() => raw.closeAll());
  return { server: started.server, handler: started.handler, raw, sites, clock, logs: lines };
}

function register(raw: RawClients, name: string, from?: LabPki): Promise<unknown> {
  return raw.register(raw.dial(name, from), { site: name, agentInstanceId: `i-${name}`, protocolVersion: 1 });
}

/** withAlpha is the lab PKI with `pair` as alpha's certificate (RawClients.dial's `from`). */
function withAlpha(pair: PemPair): LabPki {
  return { ...pki, sites: new Map([['alpha', pair]]) };
}

describe('revocation by fingerprint (--revoked-agent-certificates)', () => {
  it('refuses a revoked certificate with PERMISSION_DENIED naming the site, the certificate and the list', async () => {
    const file = join(dir, 'revoked-1.txt');
    await writeFile(file, `# alpha's old laptop\n${fingerprint(pki.sites.get('alpha'))}\n`);
    const { handler, raw, logs } = await serve({ revoked: file });

    const err = (await register(raw, 'alpha').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    const fp = hex(pki.sites.get('alpha'));
    expect(err.details).toBe(`agent certificate of site alpha refused (CertificateRevoked): client certificate sha256:${fp} is revoked (${file} line 2)`);
    expect(handler.of('certificateRefused').map((e) => [e.site, e.info.reason])).toEqual([['alpha', 'CertificateRevoked']]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, site: 'alpha', reason: 'CertificateRevoked', sha256: fp }));
    // A new certificate for the same site, and the other sites, still get in.
    await expect(register(raw, 'alpha', withAlpha(second))).resolves.toHaveProperty('sessionId');
    await expect(register(raw, 'beta')).resolves.toHaveProperty('sessionId');
  });

  it('refuses by serial number too', async () => {
    const file = join(dir, 'revoked-serial.txt');
    await writeFile(file, `serial:${new X509Certificate(pki.sites.get('beta')?.certPem ?? '').serialNumber}\n`);
    const { raw } = await serve({ revoked: file });
    const err = (await register(raw, 'beta').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toMatch(/^agent certificate of site beta refused \(CertificateRevoked\): client certificate with serial [0-9a-f]+ is revoked/);
  });

  it('ends an open session when its certificate is added to the file, at the next poll', async () => {
    const file = join(dir, 'revoked-2.txt');
    await writeFile(file, '# nothing revoked yet\n');
    const { server, raw, clock } = await serve({ revoked: file });
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    await raw.registerAndHello(raw.dial('beta'), 'beta');
    await eventually(() => server.connectedSites().length === 2, { timeoutMs: 2000, what: 'both sessions open' });

    await writeFile(file, `# nothing revoked yet\n${fingerprint(pki.sites.get('alpha'))}\n`);
    clock.advance(10_000);
    const status = await alpha.status;
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toContain('(CertificateRevoked)');
    expect(server.connectedSites()).toEqual(['beta']);
  });

  it('lets a certificate in again once it is taken off the file', async () => {
    const file = join(dir, 'revoked-3.txt');
    await writeFile(file, `${fingerprint(pki.sites.get('alpha'))}\n`);
    const { raw } = await serve({ revoked: file });
    await expect(register(raw, 'alpha')).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await writeFile(file, '# revoked by mistake\n');
    // Each new session reads a changed file, without waiting for the poll.
    await expect(register(raw, 'alpha')).resolves.toHaveProperty('sessionId');
  });
});

describe('pinning by the Site (spec.connection.agentCertificateSHA256)', () => {
  it('refuses another valid certificate of the same CA, and accepts the pinned one', async () => {
    const { handler, raw } = await serve({ sites: [siteObject('alpha', [fingerprint(second)])] });

    const err = (await register(raw, 'alpha').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toBe(
      `agent certificate of site alpha refused (CertificateNotPinned): Site alpha pins its agent certificate to sha256:${hex(second)} ` +
        `(spec.connection.agentCertificateSHA256); this one is sha256:${hex(pki.sites.get('alpha'))}`,
    );
    expect(handler.of('certificateRefused').map((e) => e.info.reason)).toEqual(['CertificateNotPinned']);

    await expect(register(raw, 'alpha', withAlpha(second))).resolves.toHaveProperty('sessionId');
    // A Site without pins takes any certificate its CA signed for it.
    await expect(register(raw, 'beta')).resolves.toHaveProperty('sessionId');
  });

  it('accepts any of several pins (a rotation) written in either form', async () => {
    const { raw } = await serve({ sites: [siteObject('alpha', [fingerprint(pki.sites.get('alpha')), hex(second)])] });
    await expect(register(raw, 'alpha')).resolves.toHaveProperty('sessionId');
    await expect(register(raw, 'alpha', withAlpha(second))).resolves.toHaveProperty('sessionId');
  });

  it('ends an open session whose certificate the Site stops pinning, and only that site', async () => {
    const { server, raw, sites } = await serve({ sites: [siteObject('alpha'), siteObject('beta')] });
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    await raw.registerAndHello(raw.dial('beta'), 'beta');
    await eventually(() => server.connectedSites().length === 2, { timeoutMs: 2000, what: 'both sessions open' });

    sites.set(siteObject('alpha', [fingerprint(pki.sites.get('alpha'))])); // pinning the certificate in use keeps it
    sites.set({ ...siteObject('beta'), metadata: { name: 'beta', generation: 2, resourceVersion: '2' } });
    await new Promise((r) => setImmediate(r));
    expect(server.connectedSites().sort()).toEqual(['alpha', 'beta']);

    sites.set(siteObject('alpha', [fingerprint(second)]));
    const status = await alpha.status;
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toContain('(CertificateNotPinned)');
    expect(server.connectedSites()).toEqual(['beta']);
  });
});

describe('the Site CRD field', () => {
  const spec = readCrdSchema(REPO_ROOT, 'sites').properties?.['spec'] ?? {};
  const fp = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

  it.each([
    { name: 'openssl form', pin: fp, ok: true },
    { name: '64 hex digits', pin: fp.replaceAll(':', '').toLowerCase(), ok: true },
    { name: 'a prefix', pin: `sha256:${fp}`, ok: false },
    { name: 'a SHA-1 fingerprint', pin: fp.slice(0, 59), ok: false },
    { name: 'not hex', pin: 'z'.repeat(64), ok: false },
  ])('accepts exactly what the operator reads: $name', ({ pin, ok }) => {
    const errors = validateAgainst(siteObject('alpha', [pin]).spec, spec, 'spec').errors;
    expect(errors.length === 0).toBe(ok);
    // Whatever the CRD lets through, the operator understands.
    if (ok) expect(parseFingerprint(pin)).toBe(fp.replaceAll(':', '').toLowerCase());
  });
});
