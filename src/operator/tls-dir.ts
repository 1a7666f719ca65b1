/**
 * The operator's agent-server TLS material from one folder, as `suanwang certs` writes it (and as a Secret mounted
 * from cert-manager can be laid out): ca.crt (the CA that signs agent client certificates), server.crt and
 * server.key (the operator's serving certificate). Read and checked once at start by the same reader the agent uses
 * (readTlsFiles), so a missing or mismatched file is one clear line instead of a TLS error at the first handshake.
 */
import { readTlsFiles, TlsFilesError, type TlsFiles } from '../wire/tls.ts';
import { OperatorConfigError } from './errors.ts';

/** TLS_FILES names the files readServerTls reads. */
export const TLS_FILES = { ca: 'ca.crt', cert: 'server.crt', key: 'server.key' } as const;

/** readServerTls reads and checks the server's TLS files in `dir`; throws OperatorConfigError. */
export function readServerTls(dir: string): TlsFiles {
  try {
    return readTlsFiles(dir, TLS_FILES);
  } catch (err: unknown) {
    if (!(err instanceof TlsFilesError)) throw err;
    throw new OperatorConfigError(`TLS folder: ${err.message} (lab certificates: suanwang certs --dir ${dir} --site NAME)`);
  }
}
