// The operator's /metrics as a scraper sees it: a real Operator, its endpoint on 127.0.0.1 port 0, scraped over HTTP.
// The hub is unreachable (nothing listens on 127.0.0.1:1), which is enough: the endpoint comes up first, the
// controllers are built, and the failing informers restart — and say so.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricNamesInExposition, parseSamples } from '../runtime/metrics-exposition.ts';
import { newMetricsRegistry } from '../runtime/metrics-registry.ts';
import { writeLabCertificates } from '../wire/certs.ts';
import type { SiteName } from '../wire/identity.ts';
import { Operator, resolveOperatorConfig } from './operator.ts';

describe('the operator /metrics endpoint', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'suanwang-operator-metrics-'));
    await writeLabCertificates(dir, { sites: ['east' as SiteName], serverNames: [], now: new Date() });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a metrics address that is not host:port', () => {
    expect(() => resolveOperatorConfig({ listen: '127.0.0.1:0', metricsListen: '9090' })).toThrow(/metrics listen address must be host:port/);
  });

  it('serves the loop, federation and workload metrics with their labels, before the hub answers', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hub', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'hub', user: 'u' }],
      currentContext: 'c',
    });
    const registry = newMetricsRegistry();
    const op = new Operator({ kubeconfig: kc, listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0', metricsRegistry: registry, tlsDir: dir, logger: pino({ level: 'silent' }) });
    const starting = op.start();
    try {
      let text = '';
      // Until every controller is built and an informer has failed once (its first list is refused at once).
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        if (op.metricsPort === undefined) continue;
        text = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
        const samples = parseSamples(text);
        const built = samples.some((s) => s.name === 'suanwang_reconcile_total' && s.labels['controller'] === 'queue');
        const restarted = samples.some((s) => s.name === 'suanwang_informer_restarts_total' && s.value > 0);
        if (built && restarted) break;
      }
      const samples = parseSamples(text);
      const names = metricNamesInExposition(text);
      for (const name of ['suanwang_reconcile_total', 'suanwang_workqueue_depth', 'suanwang_site_ready', 'suanwang_trainingjobs', 'suanwang_agent_sessions', 'process_cpu_user_seconds_total']) {
        expect(names).toContain(name);
      }
      const controllers = new Set(samples.filter((s) => s.name === 'suanwang_reconcile_total').map((s) => s.labels['controller']));
      expect([...controllers].sort()).toEqual(['inferenceservice', 'queue', 'site', 'trainingjob']);
      const restarted = samples.filter((s) => s.name === 'suanwang_informer_restarts_total' && s.value > 0).map((s) => s.labels['resource']);
      expect(restarted.length).toBeGreaterThan(0);
      expect(samples.find((s) => s.name === 'suanwang_trainingjobs' && s.labels['phase'] === 'Running')?.value).toBe(0);
    } finally {
      await op.stop();
      await starting.catch(() => undefined);
    }
  });
});
