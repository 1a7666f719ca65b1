/**
 * The `/metrics` endpoint: plain HTTP, Prometheus text format, on its own listener (`--metrics-listen`), apart from
 * the operator's mutual-TLS gRPC port — a scraper holds no agent certificate, and a standby operator, which binds no
 * gRPC port, is scraped too. Shared by the operator, the site agent and the node reporter.
 */
import { createServer, type Server } from 'node:http';
import { close, listen } from './http-listener.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** MetricsServerOptions configures a MetricsServer. */
export interface MetricsServerOptions {
  /** host without brackets (IPv6 as `::1`). */
  readonly host: string;
  /** port; 0 picks a free one. */
  readonly port: number;
  readonly registry: Registry;
  readonly logger: Logger;
}

/** MetricsServer serves GET /metrics from one registry; start once, stop once. */
export class MetricsServer {
  readonly #o: MetricsServerOptions;
  readonly #log: Logger;
  #server: Server | undefined;

  constructor(options: MetricsServerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'metrics' });
  }

  /** start binds the address; resolves to the bound port (port 0 picks a free one), rejects when it cannot bind. */
  async start(): Promise<number> {
    if (this.#server !== undefined) throw new Error('metrics server already started');
    const registry = this.#o.registry;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => {
          // A collector that throws must not take the endpoint down: the scrape fails, and says why.
          this.#log.error({ err }, 'collecting metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    });
    this.#server = server;
    const port = await listen(server, this.#o.host, this.#o.port);
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    this.#log.info({ url: `http://${host}:${port}/metrics` }, 'metrics endpoint listening');
    return port;
  }

  /** stop closes the listener and any idle keep-alive connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await close(server);
  }
}
