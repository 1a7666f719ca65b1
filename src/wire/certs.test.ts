import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../runtime/temp-dirs.ts';
import { createCa, issueSiteCertificate, serverAltNames, writeLabCertificates } from './certs.ts';
import { siteFromSubjectAltNames, type SiteName } from './identity.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const temp = tempDirs('suanwang-certs-');
const tempDir = (): string => temp.make();
afterEach(() => temp.removeAll());

const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');
const cert = (dir: string, f: string): X509Certificate => new X509Certificate(read(dir, f));

describe('writeLabCertificates', () => {
  it('mints a CA, a server certificate and one client certificate per site that verify and carry the right SANs', async () => {
    const dir = join(tempDir(), 'pki');
    const sites = ['beijing', 'wuhan'] as SiteName[];
    const res = await writeLabCertificates(dir, { sites, serverNames: ['operator.suanwang.svc', '10.0.0.7'], now: NOW, days: 30 });
    expect(res.reusedCa).toBe(false);
    expect(res.files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(
      ['beijing.crt', 'beijing.key', 'ca.crt', 'ca.key', 'server.crt', 'server.key', 'wuhan.crt', 'wuhan.key'],
    );

    const ca = cert(dir, 'ca.crt');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });

    const server = cert(dir, 'server.crt');
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('operator.suanwang.svc')).toBe('operator.suanwang.svc');
    expect(server.checkIP('10.0.0.7')).toBe('10.0.0.7');
    expect(server.checkHost('elsewhere.example')).toBeUndefined();
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    expect(server.checkPrivateKey(createPrivateKey(read(dir, 'server.key')))).toBe(true);
    // notBefore is backdated 5 minutes for clock skew; notAfter is `days` later.
    expect(new Date(server.validFrom).toISOString()).toBe('2026-03-01T11:55:00.000Z');
    expect(new Date(server.validTo).toISOString()).toBe('2026-03-31T12:00:00.000Z');

    for (const s of sites) {
      const c = cert(dir, `${s}.crt`);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
      expect(c.subjectAltName).toBe(`URI:spiffe://suanwang.io/site/${s}`);
      // The identity the operator will read from this certificate, through Node's own SAN rendering.
      expect(siteFromSubjectAltNames(c.subjectAltName)).toEqual({ ok: true, site: s });
      expect(c.checkPrivateKey(createPrivateKey(read(dir, `${s}.key`)))).toBe(true);
    }
    for (const k of ['ca.key', 'server.key', 'beijing.key']) expect(statSync(join(dir, k)).mode & 0o777).toBe(0o600);
  });

  it('reuses the CA already in the folder, so certificates issued earlier stay valid', async () => {
    const dir = tempDir();
    await writeLabCertificates(dir, { sites: ['a' as SiteName], serverNames: [], now: NOW });
    const caBefore = read(dir, 'ca.crt');
    const res = await writeLabCertificates(dir, { sites: ['b' as SiteName], serverNames: [], now: NOW });
    expect(res.reusedCa).toBe(true);
    expect(read(dir, 'ca.crt')).toBe(caBefore);
    const ca = cert(dir, 'ca.crt');
    expect(cert(dir, 'a.crt').verify(ca.publicKey)).toBe(true);
    expect(cert(dir, 'b.crt').verify(ca.publicKey)).toBe(true);
  });

  it('refuses site names whose files would overwrite the CA or the server', async () => {
    await expect(writeLabCertificates(tempDir(), { sites: ['ca' as SiteName], serverNames: [], now: NOW })).rejects.toThrow(/reserved/);
  });
});

describe('certificates for other PKIs', () => {
  it('a DNS SAN identity reads back through Node', async () => {
    const ca = await createCa({ now: NOW });
    const pair = await issueSiteCertificate(ca, 'xian' as SiteName, { now: NOW, dnsSan: true });
    const c = new X509Certificate(pair.certPem);
    expect(c.subjectAltName).toBe('URI:spiffe://suanwang.io/site/xian, DNS:xian.site.suanwang.io');
    expect(siteFromSubjectAltNames(c.subjectAltName)).toEqual({ ok: true, site: 'xian' });
  });

  it('server SANs always include the loopback names and de-duplicate extras', () => {
    expect(serverAltNames(['LOCALHOST', '127.0.0.1', '::1', 'op.example'])).toEqual([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'op.example' },
    ]);
  });
});
