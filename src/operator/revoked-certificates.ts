/**
 * The operator's list of revoked agent client certificates (`--revoked-agent-certificates FILE`): one entry a line,
 * a SHA-256 fingerprint (as `openssl x509 -noout -fingerprint -sha256` prints it, or 64 hex digits) or `serial:HEX`
 * (serials are unique per CA only, so fingerprints are the safer name); `#` starts a comment. A short list of
 * certificates that must stop working before they expire, not a CRL: the agent CA stays the root of trust.
 *
 * The file is read at start (a missing or malformed one stops the operator: a revocation that silently does not
 * apply is worse than none) and again whenever it changes — checked on every new agent session and by a poll
 * (agent-certificates.ts). An edit that leaves it unreadable or malformed keeps the last good list and logs an error:
 * a half-saved file never un-revokes anything.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { normaliseSerial, parseFingerprint } from '../wire/agent-certificate.ts';
import { OperatorConfigError } from './errors.ts';

/** RevokedCertificates maps each revoked fingerprint and serial to where it was listed ("FILE line N"). */
export interface RevokedCertificates {
  readonly sha256: ReadonlyMap<string, string>;
  readonly serials: ReadonlyMap<string, string>;
}

/** NOTHING_REVOKED is the empty list. */
export const NOTHING_REVOKED: RevokedCertificates = { sha256: new Map(), serials: new Map() };

/** parseRevokedCertificates reads the list's text; `source` names it in the positions and errors. */
export function parseRevokedCertificates(
  text: string,
  source: string,
): { readonly ok: true; readonly value: RevokedCertificates } | { readonly ok: false; readonly errors: string[] } {
  const sha256 = new Map<string, string>();
  const serials = new Map<string, string>();
  const errors: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const entry = line.replace(/#.*$/, '').trim();
    if (entry === '') continue;
    const where = `${source} line ${i + 1}`;
    const serial = /^serial\s*[:=]/i.test(entry) ? normaliseSerial(entry.replace(/^serial\s*[:=]\s*/i, '')) : undefined;
    const fp = serial === undefined ? parseFingerprint(entry) : undefined;
    if (serial !== undefined) serials.set(serial, serials.get(serial) ?? where);
    else if (fp !== undefined) sha256.set(fp, sha256.get(fp) ?? where);
    else errors.push(`${where}: ${JSON.stringify(entry.length > 100 ? `${entry.slice(0, 99)}…` : entry)} is neither a SHA-256 fingerprint nor serial:HEX`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { sha256, serials } };
}

/** RevokedCertificatesFile holds the list read from a file and re-reads it when the file changes. */
export class RevokedCertificatesFile {
  readonly path: string;
  readonly #log: Logger;
  #current: RevokedCertificates;
  /** What the file looked like (stat) when last read, good or bad; a change of it means read again. */
  #seen: string;

  /** The constructor reads the file; throws OperatorConfigError when it is missing or malformed. */
  constructor(path: string, logger: Logger) {
    this.path = path;
    this.#log = logger.child({ component: 'revoked-agent-certificates', file: path });
    const read = this.#read();
    if (!read.ok) throw new OperatorConfigError(`--revoked-agent-certificates: ${read.error}`);
    this.#current = read.value;
    this.#seen = read.seen;
    this.#log.info({ fingerprints: read.value.sha256.size, serials: read.value.serials.size }, 'revoked agent certificates read');
  }

  /** current is the list in force. */
  get current(): RevokedCertificates {
    return this.#current;
  }

  /** refresh re-reads the file if it changed since the last look; true when the list in force changed. */
  refresh(): boolean {
    const seen = stamp(this.path);
    if (seen === this.#seen) return false;
    const read = this.#read();
    this.#seen = read.seen;
    if (!read.ok) {
      this.#log.error({ error: read.error }, 'revoked agent certificates file unusable: keeping the last good list');
      return false;
    }
    const changed = !sameList(this.#current, read.value);
    this.#current = read.value;
    if (changed) this.#log.info({ fingerprints: read.value.sha256.size, serials: read.value.serials.size }, 'revoked agent certificates changed');
    return changed;
  }

  #read(): { ok: true; value: RevokedCertificates; seen: string } | { ok: false; error: string; seen: string } {
    // The stamp is taken before the read: a write racing the read shows as one more change next time.
    const seen = stamp(this.path);
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err: unknown) {
      const code = (err as { code?: unknown }).code;
      const why = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
      return { ok: false, error: `cannot read ${this.path}: ${why}`, seen };
    }
    const parsed = parseRevokedCertificates(text, this.path);
    return parsed.ok ? { ok: true, value: parsed.value, seen } : { ok: false, error: parsed.errors.join('; '), seen };
  }
}

/** stamp identifies one version of the file: a ConfigMap volume swaps a symlinked folder, an editor renames or rewrites. */
function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (err: unknown) {
    return `error:${(err as { code?: unknown }).code ?? 'unknown'}`;
  }
}

function sameList(a: RevokedCertificates, b: RevokedCertificates): boolean {
  const same = (x: ReadonlyMap<string, string>, y: ReadonlyMap<string, string>): boolean => x.size === y.size && [...x.keys()].every((k) => y.has(k));
  return same(a.sha256, b.sha256) && same(a.serials, b.serials);
}
