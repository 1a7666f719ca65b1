/**
 * Serving certificates for the Kueue instances: one CA for the run, and a certificate for 127.0.0.1 that every
 * instance's webhook server (certDir) and metrics server use. The apiservers trust the CA through the webhook
 * configurations' caBundle (webhooks.ts).
 *
 * Kueue v0.17.0 with internal cert management off reads its metrics certificate from a fixed path,
 * /etc/kueue/metrics/certs/tls.{crt,key}, and exits without it; there is no flag for it. ensureMetricsCerts writes
 * the run's certificate there when nothing is there yet, and removes only what it wrote.
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createCa, issueCertificate, type PemPair } from '../../../src/wire/certs.ts';

/** KUEUE_METRICS_CERT_DIR is the path compiled into Kueue v0.17.0 (cmd/kueue/main.go). */
export const KUEUE_METRICS_CERT_DIR = '/etc/kueue/metrics/certs';

/** ServingCerts are the run's CA and its 127.0.0.1 certificate. */
export interface ServingCerts {
  readonly caPem: string;
  readonly serving: PemPair;
}

/** newServingCerts mints the run's CA and a server certificate for 127.0.0.1 and localhost, valid a day. */
export async function newServingCerts(now: Date): Promise<ServingCerts> {
  const ca = await createCa({ now, days: 1, commonName: 'Suanwang bench Kueue webhook CA' });
  const serving = await issueCertificate(ca, {
    now,
    days: 1,
    commonName: 'kueue-webhook',
    altNames: [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
    ],
    usage: 'server',
  });
  return { caPem: ca.certPem, serving };
}

/** writeCertDir writes tls.crt and tls.key (controller-runtime's names) into dir. */
export function writeCertDir(dir: string, pair: PemPair): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600 });
}

/**
 * ensureMetricsCerts makes sure Kueue finds a metrics certificate at KUEUE_METRICS_CERT_DIR; it returns what undoes
 * its writes (nothing when the files were there already).
 */
export function ensureMetricsCerts(pair: PemPair, dir: string = KUEUE_METRICS_CERT_DIR): () => void {
  if (existsSync(join(dir, 'tls.crt')) && existsSync(join(dir, 'tls.key'))) return () => {};
  const created: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) created.unshift(d);
  try {
    writeCertDir(dir, pair);
  } catch (err) {
    throw new Error(`Kueue v0.17.0 needs its metrics certificate at ${dir}/tls.{crt,key} and it cannot be written here: ${String(err)}`, { cause: err });
  }
  return () => {
    rmSync(join(dir, 'tls.crt'), { force: true });
    rmSync(join(dir, 'tls.key'), { force: true });
    for (const d of created.reverse()) rmdirSync(d); // only the folders it made, now empty again
  };
}
