/**
 * Site identity from an mTLS client certificate. The operator never trusts the site name an agent writes into a
 * message; it reads the name from the certificate the TLS handshake verified and refuses messages that claim another
 * site. A site's certificate carries the URI SAN `spiffe://suanwang.io/site/<name>` (preferred: SPIFFE-shaped, so a
 * SPIRE or cert-manager CSI issuer can mint it) or the DNS SAN `<name>.site.suanwang.io` (for PKIs that only issue
 * DNS names). Everything here is pure: it parses the `subjectaltname` string Node's TLS layer reports.
 */
import type { PeerCertificate } from 'node:tls';
import { DNS1123_LABEL } from '../api/field-reader.ts';

/** SiteName is a validated site name (a DNS-1123 label); the brand keeps raw claims from passing as identities. */
export type SiteName = string & { readonly __brand: 'SiteName' };

/** TRUST_DOMAIN is the SPIFFE trust domain of Suanwang site identities. */
export const TRUST_DOMAIN = 'suanwang.io';

const SPIFFE_SITE_PREFIX = `spiffe://${TRUST_DOMAIN}/site/`;
const DNS_SITE_SUFFIX = `.site.${TRUST_DOMAIN}`;

/** parseSiteName returns the name as a SiteName when it is a DNS-1123 label of at most 63 characters. */
export function parseSiteName(name: string): SiteName | undefined {
  return name.length <= 63 && DNS1123_LABEL.test(name) ? (name as SiteName) : undefined;
}

/** siteSpiffeId is the URI SAN a site's client certificate carries. */
export function siteSpiffeId(site: SiteName): string {
  return `${SPIFFE_SITE_PREFIX}${site}`;
}

/** siteDnsName is the DNS SAN accepted in place of the SPIFFE id. */
export function siteDnsName(site: SiteName): string {
  return `${site}${DNS_SITE_SUFFIX}`;
}

/** SubjectAltName is one entry of a certificate's subjectAltName extension, as Node names its kinds. */
export interface SubjectAltName {
  /** kind is Node's label: "DNS", "URI", "IP Address", "email", "othername", ... */
  readonly kind: string;
  readonly value: string;
}

/**
 * parseSubjectAltNames splits Node's `PeerCertificate.subjectaltname` / `X509Certificate.subjectAltName` string
 * ("DNS:a, URI:spiffe://x, IP Address:127.0.0.1") into entries. Since the fix for CVE-2021-44532 Node writes a value
 * that contains a comma, quote or other special character as a JSON string (`URI:"a, b"`), so a naive split on ", "
 * could be tricked into seeing an extra entry; this parser honours the quoting. Returns undefined on malformed input.
 */
export function parseSubjectAltNames(text: string): SubjectAltName[] | undefined {
  const out: SubjectAltName[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) return undefined;
    const kind = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 1);
      if (close < 0) return undefined;
      try {
        value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      } catch {
        return undefined;
      }
      end = close + 1;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    out.push({ kind, value });
    if (end === text.length) break;
    if (!text.startsWith(', ', end)) return undefined;
    i = end + 2;
  }
  return out;
}

/** closingQuote returns the index of the quote that closes the JSON string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return -1;
}

/** IdentityResult is a site read from a certificate, or why none could be. */
export type IdentityResult = { readonly ok: true; readonly site: SiteName } | { readonly ok: false; readonly reason: string };

/**
 * siteFromSubjectAltNames reads the site identity from a certificate's subjectAltName string. It fails closed: no
 * site SAN, a SAN in Suanwang's namespace that does not parse (a mis-minted certificate), or SANs naming two different
 * sites all yield `ok: false`. The same site named by both a URI and a DNS SAN is fine.
 */
export function siteFromSubjectAltNames(subjectAltName: string | undefined): IdentityResult {
  if (subjectAltName === undefined || subjectAltName === '') return { ok: false, reason: 'certificate has no subjectAltName' };
  const entries = parseSubjectAltNames(subjectAltName);
  if (!entries) return { ok: false, reason: 'certificate subjectAltName is malformed' };
  const sites = new Set<SiteName>();
  for (const e of entries) {
    const claimed = siteOfEntry(e);
    if (claimed === undefined) continue;
    if (!claimed.ok) return claimed;
    sites.add(claimed.site);
  }
  const [first, ...rest] = [...sites];
  if (first === undefined) return { ok: false, reason: 'certificate names no Suanwang site' };
  if (rest.length > 0) return { ok: false, reason: `certificate names several sites: ${[...sites].join(', ')}` };
  return { ok: true, site: first };
}

/** siteOfEntry returns undefined for entries outside Suanwang's namespace, else the parsed site or the error. */
function siteOfEntry(e: SubjectAltName): IdentityResult | undefined {
  if (e.kind === 'URI') {
    // URIs compare case-sensitively except the scheme and host; the path (the site name) must already be lower case.
    const lower = e.value.toLowerCase();
    if (!lower.startsWith(SPIFFE_SITE_PREFIX)) return undefined;
    const name = e.value.slice(SPIFFE_SITE_PREFIX.length);
    const site = parseSiteName(name);
    return site ? { ok: true, site } : { ok: false, reason: `malformed site URI SAN ${JSON.stringify(e.value)}` };
  }
  if (e.kind === 'DNS') {
    // DNS names are case-insensitive; a trailing dot is the fully qualified spelling of the same name.
    const lower = e.value.toLowerCase().replace(/\.$/, '');
    if (!lower.endsWith(DNS_SITE_SUFFIX)) return undefined;
    const name = lower.slice(0, -DNS_SITE_SUFFIX.length);
    const site = parseSiteName(name);
    return site ? { ok: true, site } : { ok: false, reason: `malformed site DNS SAN ${JSON.stringify(e.value)}` };
  }
  return undefined;
}

/** AuthenticatedCall is any gRPC server call: grpc-js (≥ 1.10) exposes the verified peer certificate through it. */
export interface AuthenticatedCall {
  getAuthContext(): { readonly transportSecurityType?: string | undefined; readonly sslPeerCertificate?: PeerCertificate | undefined };
}

/** siteOfCaller reads the caller's site from the client certificate its TLS handshake verified. */
export function siteOfCaller(call: AuthenticatedCall): IdentityResult {
  const auth = call.getAuthContext();
  if (auth.transportSecurityType !== 'ssl') return { ok: false, reason: 'connection is not TLS' };
  return siteFromSubjectAltNames(auth.sslPeerCertificate?.subjectaltname);
}
