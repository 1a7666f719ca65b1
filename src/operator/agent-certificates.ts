/**
 * Which of the client certificates the agent CA signed the operator accepts — narrowing agent identity beyond the
 * CA. Two rules, checked for every Register and Session stream (src/wire/agent-certificate.ts):
 *
 * 1. Revocation (`--revoked-agent-certificates FILE`, revoked-certificates.ts): a certificate whose SHA-256
 *    fingerprint or serial is listed is refused (CertificateRevoked). The file is re-read when it changed, at each
 *    new session and at every poll (10 s), and a change ends the open sessions it now refuses.
 * 2. Pinning (`Site.spec.connection.agentCertificateSHA256`): a Site that lists fingerprints accepts only those
 *    certificates for its agent, even among the valid ones its CA signed (CertificateNotPinned). A change of a Site's
 *    pins ends its open session when that no longer matches.
 *
 * A refusal reaches the agent as PERMISSION_DENIED, the log as a warning naming the site and why, and the Site as
 * AgentConnected=False with the reason (src/controllers/site/site-status.ts).
 */
import type { Logger } from 'pino';
import type { Site } from '../api/generated/types.ts';
import { Reason } from '../api/names.ts';
import type { Cancel, Clock } from '../runtime/clock.ts';
import type { ObjectCache } from '../runtime/object-cache.ts';
import { parseFingerprint, type AgentCertificateCheck, type CertificateFacts, type CertificateRefusal } from '../wire/agent-certificate.ts';
import type { SiteName } from '../wire/identity.ts';
import type { RevokedCertificatesFile } from './revoked-certificates.ts';

/** DEFAULT_REVOCATION_POLL_MS: how often the revocation file is looked at when no agent connects. */
export const DEFAULT_REVOCATION_POLL_MS = 10_000;

/** AgentCertificatePolicyOptions configures an AgentCertificatePolicy. */
export interface AgentCertificatePolicyOptions {
  /** sites is the hub's Site cache: pins are read from it, and a change of them rechecks the site. */
  readonly sites: Pick<ObjectCache<Site>, 'get' | 'onChange'>;
  /** revoked is the --revoked-agent-certificates file, already read; unset revokes nothing. */
  readonly revoked?: RevokedCertificatesFile;
  readonly clock: Clock;
  readonly logger: Logger;
  /** pollMs is how often the revocation file is looked at (default DEFAULT_REVOCATION_POLL_MS). */
  readonly pollMs?: number;
  /**
   * recheck is called when what the policy refuses may have changed, for one site (its pins) or all (the file); the
   * operator wires it to OperatorServer.recheckCertificates.
   */
  readonly recheck: (site?: SiteName) => void;
}

/** AgentCertificatePolicy is the operator's AgentCertificateCheck; start/stop own its poll and its Site listener. */
export class AgentCertificatePolicy {
  readonly #o: AgentCertificatePolicyOptions;
  readonly #revoked: RevokedCertificatesFile | undefined;
  #timer: Cancel | undefined;
  #unsubscribe: (() => void) | undefined;
  #running = false;

  constructor(options: AgentCertificatePolicyOptions) {
    this.#o = options;
    this.#revoked = options.revoked;
  }

  /** check is the AgentCertificateCheck to hand the server (a bound function). */
  readonly check: AgentCertificateCheck = (site, cert) => {
    // A new session reads a changed file at once; the sessions already open are rechecked right after.
    if (this.#revoked?.refresh() === true) queueMicrotask(() => this.#o.recheck());
    return this.#revokedRefusal(cert) ?? this.#pinRefusal(site, cert);
  };

  /** start begins the poll of the revocation file and the watch of Site pins. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#o.sites.onChange((site, previous) => {
      const name = site.metadata.name;
      const pins = pinsOf(site);
      if (name === undefined || samePins(pins, pinsOf(previous))) return;
      this.#o.logger.info({ site: name, pins: pins ?? [] }, 'agent certificate pins changed: rechecking the open session');
      this.#o.recheck(name as SiteName);
    });
    if (this.#revoked !== undefined) this.#schedule();
  }

  /** stop ends the poll and the watch. */
  stop(): void {
    this.#running = false;
    this.#timer?.();
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #schedule(): void {
    this.#timer = this.#o.clock.after(this.#o.pollMs ?? DEFAULT_REVOCATION_POLL_MS, () => {
      if (!this.#running) return;
      if (this.#revoked?.refresh() === true) this.#o.recheck();
      this.#schedule();
    });
  }

  #revokedRefusal(cert: CertificateFacts): CertificateRefusal | undefined {
    const list = this.#revoked?.current;
    if (list === undefined) return undefined;
    const byFingerprint = list.sha256.get(cert.sha256);
    if (byFingerprint !== undefined) {
      return { reason: Reason.CertificateRevoked, message: `client certificate sha256:${cert.sha256} is revoked (${byFingerprint})` };
    }
    const bySerial = list.serials.get(cert.serialNumber);
    if (bySerial !== undefined) {
      return { reason: Reason.CertificateRevoked, message: `client certificate with serial ${cert.serialNumber} is revoked (${bySerial})` };
    }
    return undefined;
  }

  #pinRefusal(site: SiteName, cert: CertificateFacts): CertificateRefusal | undefined {
    const pins = pinsOf(this.#o.sites.get(undefined, site));
    if (pins === undefined || pins.includes(cert.sha256)) return undefined;
    const listed = pins.length === 0 ? 'no readable fingerprint' : pins.map((p) => `sha256:${p}`).join(', ');
    return {
      reason: Reason.CertificateNotPinned,
      message: `Site ${site} pins its agent certificate to ${listed} (spec.connection.agentCertificateSHA256); this one is sha256:${cert.sha256}`,
    };
  }
}

/**
 * pinsOf reads a Site's pinned fingerprints in normal form, sorted; undefined when it pins nothing. An entry that does
 * not parse (the CRD's pattern refuses them) matches no certificate: a pin never fails open.
 */
function pinsOf(site: Site | undefined): string[] | undefined {
  const listed = site?.spec.connection.agentCertificateSHA256 ?? [];
  if (listed.length === 0) return undefined;
  const out: string[] = [];
  for (const p of listed) {
    const fp = parseFingerprint(p);
    if (fp !== undefined && !out.includes(fp)) out.push(fp);
  }
  return out.sort();
}

function samePins(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((p, i) => p === b[i]);
}
