/**
 * The supervisor's control endpoint (HTTP on 127.0.0.1, port recorded in lab.json): lets `suanwang lab component`
 * and tests stop and start one component of a running lab — kill an agent to watch its Site go Unknown, restart the
 * operator mid-way — while the supervisor stays the only owner of every process.
 */
import { createServer, request, type Server } from 'node:http';

/** ComponentControl is what the control endpoint calls: the supervisor's stop and start of one component. */
export interface ComponentControl {
  stop(name: string, cluster: string): Promise<number>;
  start(name: string, cluster: string): Promise<number>;
}

/** startControlServer serves POST /components/{stop|start}?name=&cluster= and resolves with the bound port. */
export function startControlServer(control: ComponentControl): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const action = /^\/components\/(stop|start)$/.exec(url.pathname)?.[1];
    const name = url.searchParams.get('name');
    const cluster = url.searchParams.get('cluster');
    if (req.method !== 'POST' || !action || !name || !cluster) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'use POST /components/{stop|start}?name=&cluster=' }));
      return;
    }
    (action === 'stop' ? control.stop(name, cluster) : control.start(name, cluster)).then(
      (pid) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pid })),
      (err: unknown) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) })),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = server.address();
      if (typeof addr === 'object' && addr) resolve({ port: addr.port, server });
      else reject(new Error('control server has no port'));
    });
  });
}

/** callControl asks a lab's supervisor to stop or start a component; resolves with the (new or old) pid. */
export function callControl(port: number, action: 'stop' | 'start', name: string, cluster: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/components/${action}?name=${encodeURIComponent(name)}&cluster=${encodeURIComponent(cluster)}`, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { pid?: number; error?: string };
          if (res.statusCode === 200 && parsed.pid !== undefined) resolve(parsed.pid);
          else reject(new Error(parsed.error ?? `control endpoint answered ${res.statusCode}`));
        } catch {
          reject(new Error(`control endpoint answered ${res.statusCode}: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('control endpoint timed out')));
    req.on('error', reject);
    req.end();
  });
}
