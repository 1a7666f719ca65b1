import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HealthServer } from './health-server.ts';

describe('HealthServer', () => {
  it('answers GET /healthz with 200, anything else with 404, and frees the port on stop', async () => {
    const server = new HealthServer({ host: '127.0.0.1', port: 0 }, pino({ level: 'silent' }));
    const port = await server.start();
    const url = (path: string): string => `http://127.0.0.1:${port}${path}`;
    const ok = await fetch(url('/healthz'));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok\n');
    expect((await fetch(url('/healthz?verbose'))).status).toBe(200);
    expect((await fetch(url('/readyz'))).status).toBe(404);
    expect((await fetch(url('/healthz'), { method: 'POST' })).status).toBe(404);
    await server.stop();
    await expect(fetch(url('/healthz'))).rejects.toThrow();
  });

  it('rejects start when the port is taken', async () => {
    const first = new HealthServer({ host: '127.0.0.1', port: 0 }, pino({ level: 'silent' }));
    const port = await first.start();
    const second = new HealthServer({ host: '127.0.0.1', port }, pino({ level: 'silent' }));
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    await first.stop();
    await second.stop();
  });
});
