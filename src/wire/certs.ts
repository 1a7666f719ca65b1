/**
 * Lab certificates for the agent wire: a CA, the operator's server certificate, and one client certificate per site
 * whose URI SAN `spiffe://suanwang.io/site/<name>` is the site's identity (src/wire/identity.ts). ECDSA P-256,
 * SHA-256. Node's crypto can generate keys but not X.509 certificates, so @peculiar/x509 builds them on Node's
 * WebCrypto. This is for the lab and tests; real deployments bring certificates from their own PKI (cert-manager,
 * SPIRE, a corporate CA) with the same SANs — see src/wire/README.md.
 */
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { siteDnsName, siteSpiffeId, type SiteName } from './identity.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
/** Backdating notBefore absorbs clock skew between the minting machine and the peers. */
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** PemPair is a certificate and its private key (PKCS#8), both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** CertificateAuthority can issue certificates. */
export interface CertificateAuthority extends PemPair {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

/** Validity places a certificate in time; `now` is injected so tests can pin it. */
export interface Validity {
  readonly now: Date;
  /** days the certificate stays valid (default 365). */
  readonly days?: number;
}

/** AltName is one subjectAltName entry: a DNS name, an IP address, or a URI. */
export interface AltName {
  readonly type: 'dns' | 'ip' | 'url';
  readonly value: string;
}

/** CertificateRequest describes a leaf certificate to issue. */
export interface CertificateRequest extends Validity {
  readonly commonName: string;
  readonly altNames: readonly AltName[];
  /** usage picks the extended key usage: TLS server or TLS client. */
  readonly usage: 'server' | 'client';
}

const crypto = webcrypto;

/** createCa mints a self-signed CA that may sign leaf certificates only (path length 0). */
export async function createCa(v: Validity & { readonly commonName?: string }): Promise<CertificateAuthority> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=${v.commonName ?? 'Suanwang lab agent CA'}`,
      ...window(v),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, privateKey: keys.privateKey, certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/** loadCa reads a CA back from its PEM files, to issue more certificates under it. */
export async function loadCa(pair: PemPair): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(pair.certPem);
  const der = x509.PemConverter.decodeFirst(pair.keyPem);
  const privateKey = await crypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  return { cert, privateKey, certPem: pair.certPem, keyPem: pair.keyPem };
}

/** issueCertificate mints a key pair and a leaf certificate for it, signed by the CA. */
export async function issueCertificate(ca: CertificateAuthority, req: CertificateRequest): Promise<PemPair> {
  const keys = await newKeyPair();
  const eku = req.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${req.commonName}`,
      issuer: ca.cert.subject,
      ...window(req),
      publicKey: keys.publicKey,
      signingKey: ca.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([eku], false),
        new x509.SubjectAlternativeNameExtension(req.altNames.map((n) => ({ type: n.type, value: n.value })), false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/**
 * serverAltNames are the operator certificate's SANs: localhost and 127.0.0.1 (the lab dials these) plus the given
 * names, each an IP SAN when it parses as an address and a DNS SAN otherwise.
 */
export function serverAltNames(extraNames: readonly string[]): AltName[] {
  const names: AltName[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ];
  for (const n of extraNames) {
    const alt: AltName = isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n.toLowerCase() };
    if (!names.some((x) => x.type === alt.type && x.value === alt.value)) names.push(alt);
  }
  return names;
}

/** issueServerCertificate mints the operator's serving certificate. */
export function issueServerCertificate(ca: CertificateAuthority, extraNames: readonly string[], v: Validity): Promise<PemPair> {
  return issueCertificate(ca, { ...v, commonName: 'suanwang-operator', altNames: serverAltNames(extraNames), usage: 'server' });
}

/**
 * issueSiteCertificate mints a site agent's client certificate with the site's SPIFFE id as URI SAN; `dnsSan` adds
 * the equivalent DNS SAN for PKIs or proxies that only look at DNS names.
 */
export function issueSiteCertificate(ca: CertificateAuthority, site: SiteName, v: Validity & { readonly dnsSan?: boolean }): Promise<PemPair> {
  const altNames: AltName[] = [{ type: 'url', value: siteSpiffeId(site) }];
  if (v.dnsSan) altNames.push({ type: 'dns', value: siteDnsName(site) });
  return issueCertificate(ca, { now: v.now, ...(v.days === undefined ? {} : { days: v.days }), commonName: `suanwang-site-${site}`, altNames, usage: 'client' });
}

/** RESERVED_FILE_NAMES are names a site cannot have because its files would overwrite the CA's or the server's. */
export const RESERVED_FILE_NAMES: readonly string[] = ['ca', 'server'];

/** LabCertificatesResult tells what writeLabCertificates did. */
export interface LabCertificatesResult {
  /** reusedCa is true when ca.crt and ca.key already existed and signed the new certificates. */
  readonly reusedCa: boolean;
  /** files are the paths written. */
  readonly files: readonly string[];
}

/**
 * writeLabCertificates fills `dir` with ca.crt/ca.key, server.crt/server.key and <site>.crt/<site>.key. An existing
 * CA in the folder is reused, so adding a site later keeps every certificate issued before valid; a folder with only
 * one of ca.crt and ca.key is refused. Keys are 0600.
 */
export async function writeLabCertificates(
  dir: string,
  req: { readonly sites: readonly SiteName[]; readonly serverNames: readonly string[] } & Validity,
): Promise<LabCertificatesResult> {
  for (const s of req.sites) if (RESERVED_FILE_NAMES.includes(s)) throw new Error(`site name ${s} is reserved (its files would clash)`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  const write = async (name: string, pair: PemPair): Promise<void> => {
    const crt = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    await writeFile(crt, pair.certPem, { mode: 0o644 });
    await writeFile(key, pair.keyPem, { mode: 0o600 });
    await chmod(key, 0o600); // writeFile's mode applies only to new files
    files.push(crt, key);
  };
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const reusedCa = existsSync(caCrt) && existsSync(caKey);
  // Half a CA is not "no CA": minting a new one would overwrite the certificate that peers already trust.
  if (!reusedCa && (existsSync(caCrt) || existsSync(caKey))) {
    throw new Error(`${dir} holds ${existsSync(caCrt) ? 'ca.crt without ca.key' : 'ca.key without ca.crt'}; restore the missing file or remove both to mint a new CA`);
  }
  const ca = reusedCa ? await loadCa({ certPem: await readFile(caCrt, 'utf8'), keyPem: await readFile(caKey, 'utf8') }) : await createCa(req);
  if (!reusedCa) await write('ca', ca);
  await write('server', await issueServerCertificate(ca, req.serverNames, req));
  for (const site of req.sites) await write(site, await issueSiteCertificate(ca, site, req));
  return { reusedCa, files };
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function window(v: Validity): { notBefore: Date; notAfter: Date } {
  const days = v.days ?? 365;
  return { notBefore: new Date(v.now.getTime() - BACKDATE_MS), notAfter: new Date(v.now.getTime() + days * DAY_MS) };
}

/** serialNumber is 16 random bytes with the top bit clear, so the DER integer is positive (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
