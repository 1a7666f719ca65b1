/**
 * Readiness probes for lab components: etcd's /health over HTTP, and /readyz of apiservers and schedulers over
 * HTTPS. Apiservers are verified against the certificate they wrote (the one the kubeconfig trusts); a scheduler's
 * self-signed health endpoint on loopback is probed without verification, as kubelet probes do.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

/** ProbeTarget is an HTTP(S) health endpoint and how to trust and authenticate to it. */
export interface ProbeTarget {
  readonly url: string;
  readonly ca?: string | undefined;
  readonly token?: string | undefined;
  readonly insecure?: boolean;
}

/** probe resolves true when the endpoint answers 200 within timeoutMs. */
export function probe(t: ProbeTarget, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(t.url);
    const headers: Record<string, string> = t.token ? { authorization: `Bearer ${t.token}` } : {};
    const opts = { method: 'GET', headers, timeout: timeoutMs };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ...opts, ...(t.ca ? { ca: t.ca } : {}), rejectUnauthorized: !t.insecure })
        : httpRequest(u, opts);
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * waitFor polls check every intervalMs until it returns true, failing() returns a reason, or the deadline passes.
 * Returns undefined on success, else the reason.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; failing?: () => string | undefined },
): Promise<string | undefined> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const failure = opts.failing?.();
    if (failure) return failure;
    if (await check()) return undefined;
    if (performance.now() > deadline) return `${what}: not ready after ${Math.round(opts.timeoutMs / 1000)}s`;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** tcpOpen resolves true when something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}
