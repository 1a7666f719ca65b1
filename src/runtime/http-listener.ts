/** Binding and closing the plain-HTTP listeners of a process (/metrics, /healthz): one way for all of them. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** listen binds `server` to host:port; resolves to the bound port (port 0 picks a free one), rejects when it cannot bind. */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** close stops the listener and drops any idle keep-alive connection; a server not listening is left alone. */
export async function close(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
