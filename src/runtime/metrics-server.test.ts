import { pino } from 'pino';
import { Gauge } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSamples } from './metrics-exposition.ts';
import { newMetricsRegistry } from './metrics-registry.ts';
import { MetricsServer } from './metrics-server.ts';

const silent = pino({ level: 'silent' });

describe('MetricsServer', () => {
  const servers: MetricsServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  async function serve(registry = newMetricsRegistry({ processMetrics: false })): Promise<{ port: number; registry: typeof registry }> {
    const server = new MetricsServer({ host: '127.0.0.1', port: 0, registry, logger: silent });
    servers.push(server);
    return { port: await server.start(), registry };
  }

  it('serves the registry on GET /metrics in the Prometheus text format', async () => {
    const registry = newMetricsRegistry({ processMetrics: false });
    new Gauge({ name: 'suanwang_test_things', help: 'things', labelNames: ['kind'], registers: [registry] }).set({ kind: 'a' }, 3);
    const { port } = await serve(registry);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(parseSamples(await res.text())).toEqual([{ name: 'suanwang_test_things', labels: { kind: 'a' }, value: 3 }]);
  });

  it('answers 404 elsewhere and 500 naming the error when a collector throws', async () => {
    const registry = newMetricsRegistry({ processMetrics: false });
    new Gauge({
      name: 'suanwang_test_broken',
      help: 'broken',
      registers: [registry],
      collect() {
        throw new Error('cache gone');
      },
    });
    const { port } = await serve(registry);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/cache gone/);
  });

  it('refuses a port already taken', async () => {
    const { port } = await serve();
    const second = new MetricsServer({ host: '127.0.0.1', port, registry: newMetricsRegistry({ processMetrics: false }), logger: silent });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
  });
});
