/**
 * Narrowing agent identity beyond "signed by the agent CA": the operator server hands every client certificate it
 * accepted in the TLS handshake — at Register, at each Session stream, and again when asked to recheck open sessions —
 * to an AgentCertificateCheck, which may refuse it (a revoked certificate, or not the one its site pinned). Here are
 * what the check sees (a certificate's SHA-256 fingerprint and serial number, the names revocation lists and pins use)
 * and how those are written; the checks themselves are composed by the operator (src/operator/agent-certificates.ts).
 */
import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { Reason } from '../api/names.ts';
import type { AuthenticatedCall, SiteName } from './identity.ts';

/** CertificateFacts name one client certificate the way revocation lists and pins do. */
export interface CertificateFacts {
  /** sha256 is the SHA-256 of the certificate's DER encoding: 64 lower-case hex digits, no separators. */
  readonly sha256: string;
  /** serialNumber is the serial in lower-case hex without separators or leading zeros. */
  readonly serialNumber: string;
}

/** CertificateRefusalReason is why a check refused a certificate; each is a Site condition reason too. */
export type CertificateRefusalReason = typeof Reason.CertificateRevoked | typeof Reason.CertificateNotPinned;

/** CertificateRefusal says why a certificate is refused; the message names the certificate and what refused it. */
export interface CertificateRefusal {
  readonly reason: CertificateRefusalReason;
  readonly message: string;
}

/**
 * AgentCertificateCheck decides whether the operator accepts a certificate the TLS handshake verified, for the site
 * it names; undefined accepts. It runs on the gRPC event loop for every Register and Session stream, so it must be
 * synchronous and cheap (a set lookup, a stat), never a network call.
 */
export type AgentCertificateCheck = (site: SiteName, cert: CertificateFacts) => CertificateRefusal | undefined;

/** certificateFacts reads the fingerprint and serial of a peer certificate; undefined when it carries no DER. */
export function certificateFacts(peer: PeerCertificate | undefined): CertificateFacts | undefined {
  const raw = peer?.raw;
  if (raw === undefined || raw.length === 0) return undefined;
  return { sha256: createHash('sha256').update(raw).digest('hex'), serialNumber: normaliseSerial(peer?.serialNumber ?? '') ?? '' };
}

/** certificateOfCaller reads the facts of the client certificate a call's TLS handshake verified. */
export function certificateOfCaller(call: AuthenticatedCall): CertificateFacts | undefined {
  return certificateFacts(call.getAuthContext().sslPeerCertificate);
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * parseFingerprint reads a SHA-256 certificate fingerprint as people copy it: 64 hex digits, or 32 colon-separated
 * pairs (`openssl x509 -noout -fingerprint -sha256` prints `sha256 Fingerprint=AB:CD:…`, Node's `fingerprint256`
 * `AB:CD:…`), in either case, optionally after `sha256:` or `SHA256 Fingerprint=`. Returns the normal form
 * (CertificateFacts.sha256), or undefined.
 */
export function parseFingerprint(text: string): string | undefined {
  const body = text.trim().replace(/^sha-?256(\s+fingerprint)?\s*[:=]\s*/i, '');
  const hex = /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/i.test(body) ? body.replaceAll(':', '') : body;
  const lower = hex.toLowerCase();
  return HEX64.test(lower) ? lower : undefined;
}

/**
 * normaliseSerial reads a serial number in hex, with or without colons (`openssl x509 -noout -serial` prints
 * `serial=0A1B…`), and returns it lower case without leading zeros; undefined when it is not hex. X.509 allows 20
 * octets, and a DER encoder may add one zero octet to keep the number positive.
 */
export function normaliseSerial(text: string): string | undefined {
  const hex = text.trim().replace(/^serial\s*=\s*/i, '').replaceAll(':', '').toLowerCase();
  if (!/^[0-9a-f]{1,42}$/.test(hex)) return undefined;
  return hex.replace(/^0+(?=.)/, '');
}
