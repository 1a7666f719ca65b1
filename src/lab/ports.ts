/**
 * Free loopback ports. The kernel picks a free port for a listener on port 0; we close it and hand the number to
 * a component. Another process could take it in between; the component then fails to bind and the start-up error
 * names its log, which is the honest outcome for a race we cannot close from outside the component.
 */
import { createServer } from 'node:net';

/** freePort returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** freePorts returns n distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
