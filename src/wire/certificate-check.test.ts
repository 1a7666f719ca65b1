// The operator server's agent certificate check over loopback with real certificates: a certificate the check
// refuses (revoked, or not the one its site pinned) is turned away at Register and at Session with PERMISSION_DENIED
// naming the site and why, the refusal is logged and handed to the handler, and a recheck closes an open session whose
// certificate is refused now. The check itself (a revocation file, Site pins) is src/operator/agent-certificates.ts.
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCertificateCheck, CertificateFacts } from './agent-certificate.ts';
import { issueSiteCertificate, type PemPair } from './certs.ts';
import { captureLogger, eventually, mintPki, RawClients, site, startServer, type LabPki } from './test-helpers.ts';

let pki: LabPki;
/** second is another valid certificate of site alpha from the same CA. */
let second: PemPair;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  pki = await mintPki(['alpha', 'beta']);
  second = await issueSiteCertificate(pki.ca, site('alpha'), { now: new Date() });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** sha256 is a certificate's SHA-256 fingerprint as Node's X509Certificate prints it, lower case, no colons. */
function sha256(pair: PemPair | undefined): string {
  if (pair === undefined) throw new Error('no certificate');
  return new X509Certificate(pair.certPem).fingerprint256.replaceAll(':', '').toLowerCase();
}

/** revoking refuses the certificates whose fingerprints are in `revoked` (which the test may change). */
function revoking(revoked: Set<string>): AgentCertificateCheck {
  return (_site, cert) => (revoked.has(cert.sha256) ? { reason: 'CertificateRevoked', message: `client certificate sha256:${cert.sha256} is revoked` } : undefined);
}

async function serve(check: AgentCertificateCheck): Promise<{ raw: RawClients; logs: Record<string, unknown>[] } & Awaited<ReturnType<typeof startServer>>> {
  const { logger, lines } = captureLogger();
  const s = await startServer(pki, { logger, checkCertificate: check });
  const raw = new RawClients(pki, s.port);
  cleanups.push(() => s.server.stop(0));
  cleanups.push(() => raw.closeAll());
  return { ...s, raw, logs: lines };
}

/** withAlpha is the lab PKI with `pair` as alpha's certificate, for RawClients.dial's `from`. */
function withAlpha(pair: PemPair): LabPki {
  return { ...pki, sites: new Map([['alpha', pair]]) };
}

describe('agent certificate check', () => {
  it('refuses Register from a refused certificate with PERMISSION_DENIED naming the site and why, logs it and tells the handler', async () => {
    const fp = sha256(pki.sites.get('alpha'));
    const { handler, raw, logs } = await serve(revoking(new Set([fp])));
    const err = (await raw.register(raw.dial('alpha'), { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toBe(`agent certificate of site alpha refused (CertificateRevoked): client certificate sha256:${fp} is revoked`);
    expect(handler.of('register')).toEqual([]);
    expect(handler.of('certificateRefused')).toEqual([
      { kind: 'certificateRefused', site: 'alpha', info: { reason: 'CertificateRevoked', message: `client certificate sha256:${fp} is revoked`, sha256: fp } },
    ]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, site: 'alpha', reason: 'CertificateRevoked', sha256: fp, msg: 'register refused: agent certificate refused' }));

    // Another certificate of the same site, and another site, are not affected.
    await expect(raw.register(raw.dial('alpha', withAlpha(second)), { site: 'alpha', agentInstanceId: 'i2', protocolVersion: 1 })).resolves.toHaveProperty('sessionId');
    await expect(raw.register(raw.dial('beta'), { site: 'beta', agentInstanceId: 'ib', protocolVersion: 1 })).resolves.toHaveProperty('sessionId');
  });

  it('refuses a Session stream from a refused certificate before it says hello', async () => {
    const revoked = new Set<string>();
    const { handler, raw } = await serve(revoking(revoked));
    // Registered while still accepted; revoked before the stream opens.
    const client = raw.dial('alpha');
    const res = await raw.register(client, { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });
    revoked.add(sha256(pki.sites.get('alpha')));
    const s = raw.session(client);
    s.write({ seq: 0, hello: { sessionId: res.sessionId ?? '', site: 'alpha' } });
    const status = await s.status;
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toContain('agent certificate of site alpha refused (CertificateRevoked)');
    expect(handler.of('certificateRefused').map((e) => e.site)).toEqual(['alpha']);
  });

  it("hands the check the site and the certificate's SHA-256 and serial number as the handshake verified them", async () => {
    const seen: { site: string; cert: CertificateFacts }[] = [];
    const { raw } = await serve((s, cert) => void seen.push({ site: s, cert }));
    await raw.register(raw.dial('alpha'), { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });
    const x = new X509Certificate(pki.sites.get('alpha')?.certPem ?? '');
    expect(seen).toEqual([{ site: 'alpha', cert: { sha256: sha256(pki.sites.get('alpha')), serialNumber: x.serialNumber.toLowerCase().replace(/^0+(?=.)/, '') } }]);
  });

  it('closes an open session whose certificate a recheck refuses, and leaves the other sites alone', async () => {
    const revoked = new Set<string>();
    const { server, handler, raw } = await serve(revoking(revoked));
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    await raw.registerAndHello(raw.dial('beta'), 'beta');
    await eventually(() => server.connectedSites().length === 2, { timeoutMs: 2000, what: 'both sessions open' });

    server.recheckCertificates();
    expect(server.connectedSites().sort()).toEqual(['alpha', 'beta']);

    revoked.add(sha256(pki.sites.get('alpha')));
    server.recheckCertificates();
    const status = await alpha.status;
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toContain('agent certificate of site alpha refused (CertificateRevoked)');
    expect(server.connectedSites()).toEqual(['beta']);
    expect(handler.of('certificateRefused').map((e) => e.site)).toEqual(['alpha']);
    expect(handler.of('disconnect').map((e) => e.site)).toEqual(['alpha']);
  });
});
