/**
 * The operator's liveness endpoint: plain HTTP `GET /healthz` answers 200 while the process runs — leader or standby.
 *
 * Why not a TCP probe on the gRPC port, as before leader election: a standby does not bind that port (agents must reach
 * only the leader), so such a liveness probe would restart every standby. And a TCP probe passes even when the event
 * loop is stuck, since the kernel accepts the connection; this endpoint is answered by the event loop itself.
 * Readiness stays the gRPC port: open only on the leader, which is what the Service should route agents to.
 */
import { createServer, type Server } from 'node:http';
import { close, listen } from '../runtime/http-listener.ts';
import type { Logger } from 'pino';
import { formatAddress, type ListenAddress } from './listen.ts';

/** HealthServer serves /healthz; start once, stop once. */
export class HealthServer {
  readonly #listen: ListenAddress;
  readonly #log: Logger;
  #server: Server | undefined;

  constructor(listen: ListenAddress, logger: Logger) {
    this.#listen = listen;
    this.#log = logger.child({ component: 'health' });
  }

  /** start binds the address; resolves to the bound port (port 0 picks a free one), rejects when it cannot bind. */
  async start(): Promise<number> {
    if (this.#server !== undefined) throw new Error('health server already started');
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    });
    this.#server = server;
    const port = await listen(server, this.#listen.host, this.#listen.port);
    this.#log.info({ address: formatAddress(this.#listen.host, port) }, 'health endpoint listening');
    return port;
  }

  /** stop closes the listener and any idle keep-alive connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await close(server);
  }
}
