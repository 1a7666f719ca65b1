/**
 * A scripted apiserver on loopback for the unit tests of the agent's Kubernetes client (not used by production code):
 * plain HTTP on 127.0.0.1, every request recorded, each answered by the test's handler. A watch is answered by
 * keeping the response open: the test writes events to it and ends it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi, type KubeAuthority } from './kube-api.ts';

/** Seen is one request the fake apiserver received. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Handler answers one request. */
export type Handler = (seen: Seen, res: ServerResponse) => void;

/** OpenWatch is a watch response the test writes events to. */
export class OpenWatch {
  readonly seen: Seen;
  readonly #res: ServerResponse;

  constructor(seen: Seen, res: ServerResponse) {
    this.seen = seen;
    this.#res = res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
  }

  /** event writes one watch event line. */
  event(type: string, object: unknown): void {
    this.#res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** raw writes text as it is (to split a line, or to send one that does not parse). */
  raw(text: string): void {
    this.#res.write(text);
  }

  end(): void {
    this.#res.end();
  }

  get closed(): boolean {
    return this.#res.writableEnded || this.#res.destroyed;
  }
}

/** status writes a Kubernetes Status body with `code`. */
export function status(res: ServerResponse, code: number, reason: string, message = reason): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }));
}

/** json writes a 200 JSON body. */
export function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** FakeApiserver serves `handler` on a free loopback port. */
export class FakeApiserver {
  readonly seen: Seen[] = [];
  readonly watches: OpenWatch[] = [];
  handler: Handler = (_s, res) => status(res, 404, 'NotFound');
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const seen: Seen = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
        this.seen.push(seen);
        this.handler(seen, res);
      });
    });
  }

  /** start listens (once) and resolves to the base URL. */
  async start(): Promise<string> {
    if (!this.#server.listening) await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** watch answers a request by opening a watch the test drives. */
  watch(seen: Seen, res: ServerResponse): OpenWatch {
    const w = new OpenWatch(seen, res);
    this.watches.push(w);
    return w;
  }

  /** api is a KubeApi for this server with a static bearer token. */
  async api(token = 'secret'): Promise<KubeApi> {
    const server = await this.start();
    const authority: KubeAuthority = { server, apply: async (o) => void (o.headers['Authorization'] = `Bearer ${token}`) };
    return new KubeApi(authority);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
