/**
 * The operator's listen address, "host:port": parsed at the edge so that a typo is one clear line at start instead
 * of a gRPC bind error. IPv6 hosts go in brackets ("[::1]:7443"), as in URLs.
 */

/** ListenAddress is a parsed "host:port"; port 0 asks the system for a free port. */
export interface ListenAddress {
  /** host without brackets. */
  readonly host: string;
  readonly port: number;
}

const LISTEN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** parseListen parses "host:port"; undefined when it is not one. */
export function parseListen(text: string): ListenAddress | undefined {
  const m = LISTEN.exec(text.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** formatAddress renders host and port for gRPC and for people, bracketing IPv6 hosts. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
