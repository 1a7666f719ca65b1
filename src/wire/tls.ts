/**
 * TlsFiles are the PEM documents one end of the agent connection needs: the CA that signs the other end's
 * certificate, and its own certificate chain and private key. Lab ones come from `suanwang certs`
 * (src/wire/certs.ts); real deployments bring their own (see README.md in this folder). readTlsFiles reads them from
 * a folder laid out as `suanwang certs` writes it (or as a Secret mounted from cert-manager can be).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';

/** TlsFiles are the PEM documents of one end of the agent connection (see the module comment). */
export interface TlsFiles {
  /** caPem is the CA bundle that verifies the peer. */
  readonly caPem: string | Buffer;
  /** certPem is this end's certificate chain, leaf first. */
  readonly certPem: string | Buffer;
  /** keyPem is this end's private key (PKCS#8 or SEC1). */
  readonly keyPem: string | Buffer;
}

/** TlsFileNames names the three files of one end inside its folder. */
export interface TlsFileNames {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** TlsFilesError says which file could not be read, or that the three do not fit together; the message names them. */
export class TlsFilesError extends Error {
  readonly code = 'TlsFilesUnusable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TlsFilesError';
  }
}

/**
 * readTlsFiles reads the CA, certificate and key named in `names` from `dir` and checks them the way grpc-js will on
 * every connect (createSecureContext), so a missing, garbled or mismatched file is one clear line. Throws
 * TlsFilesError.
 */
export function readTlsFiles(dir: string, names: TlsFileNames): TlsFiles {
  const read = (name: string): string => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (err: unknown) {
      const code = (err as { code?: unknown }).code;
      const why = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
      throw new TlsFilesError(`cannot read ${path}: ${why}`, { cause: err });
    }
  };
  const files = { caPem: read(names.ca), certPem: read(names.cert), keyPem: read(names.key) };
  try {
    createSecureContext({ ca: files.caPem, cert: files.certPem, key: files.keyPem });
  } catch (err: unknown) {
    const paths = [names.ca, names.cert, names.key].map((n) => join(dir, n));
    throw new TlsFilesError(
      `${paths[0]}, ${paths[1]} and ${paths[2]} are not a usable CA, certificate and matching key: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return files;
}
