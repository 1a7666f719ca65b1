/**
 * The operator's agent-server TLS material from one folder, as `suanwang certs` writes it (and as a Secret mounted
 * from cert-manager can be laid out): ca.crt (the CA that signs agent client certificates), server.crt and
 * server.key (the operator's serving certificate). Read and checked once at start, so a missing or mismatched file
 * is one clear line instead of a TLS error at the first agent's handshake.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { TlsFiles } from '../agent/wire/tls.ts';
import { OperatorConfigError } from './errors.ts';

/** TLS_FILES names the files readServerTls reads. */
export const TLS_FILES = { ca: 'ca.crt', cert: 'server.crt', key: 'server.key' } as const;

/** readServerTls reads and checks the server's TLS files in `dir`; throws OperatorConfigError. */
export function readServerTls(dir: string): TlsFiles {
  const read = (name: string): string => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (err: unknown) {
      const code = (err as { code?: unknown }).code;
      const why = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
      throw new OperatorConfigError(`TLS folder: cannot read ${path}: ${why} (lab certificates: suanwang certs --dir ${dir} --site NAME)`);
    }
  };
  const files = { caPem: read(TLS_FILES.ca), certPem: read(TLS_FILES.cert), keyPem: read(TLS_FILES.key) };
  try {
    createSecureContext({ ca: files.caPem, cert: files.certPem, key: files.keyPem });
  } catch (err: unknown) {
    const names = Object.values(TLS_FILES).map((f) => join(dir, f)).join(', ');
    throw new OperatorConfigError(`TLS folder: ${names} are not a usable CA, certificate and matching key: ${err instanceof Error ? err.message : String(err)}`);
  }
  return files;
}
