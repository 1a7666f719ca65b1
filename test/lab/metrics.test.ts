/**
 * The /metrics endpoints of the running lab (issue 15): the operator, every site agent and every node reporter serve
 * an exposition the real promtool accepts (`promtool check metrics`: format and Prometheus's naming lint), the
 * operator's federation series say what the Site objects say, and an XID fault injected at a node shows up in the
 * device-health series and goes away when cleared.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../src/lab/binaries.ts';
import { clearFaults, injectFault } from '../../src/lab/faults.ts';
import { readState } from '../../src/lab/state.ts';
import { eventually, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';

const PROMTOOL = findBinary('promtool', process.env);

let lab: SharedLab;
beforeAll(async () => {
  lab = await sharedLab();
});

/** endpoints lists every lab process that serves /metrics, by component name and cluster. */
function endpoints(): { name: string; cluster: string; url: string }[] {
  const state = readState(lab.dir);
  if (state === undefined) throw new Error(`no lab state in ${lab.dir}`);
  return state.components.flatMap((c) => (c.metrics === undefined ? [] : [{ name: c.name, cluster: c.cluster, url: c.metrics }]));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type') ?? '', url).toContain('text/plain');
  return res.text();
}

/** sample returns the value of the one series of `name` whose labels include `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const body = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return undefined;
}

describe('metrics of the lab processes', () => {
  it('every operator, agent and reporter serves /metrics that promtool check metrics accepts', async () => {
    const all = endpoints();
    for (const kind of ['operator', 'agent', 'node-reporter']) expect(all.some((e) => e.name === kind), `a ${kind} with /metrics`).toBe(true);
    for (const e of all) {
      const text = await scrape(e.url);
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
      expect(`${check.stdout}${check.stderr}`.trim(), `promtool check metrics on ${e.name} (${e.cluster}) ${e.url}`).toBe('');
      expect(check.status, `${e.name} (${e.cluster})`).toBe(0);
      expect(text).toContain('suanwang_');
    }
  });

  it('the operator reports every Site Ready and connected, with its devices', async () => {
    const operator = endpoints().find((e) => e.name === 'operator');
    if (operator === undefined) throw new Error('the lab records no operator /metrics URL');
    const text = await scrape(operator.url);
    for (const site of ['beijing', 'guizhou', 'shanghai']) {
      expect(sample(text, 'suanwang_site_ready', { site }), site).toBe(1);
      expect(sample(text, 'suanwang_site_agent_connected', { site }), site).toBe(1);
    }
    expect(sample(text, 'suanwang_site_devices', { site: 'shanghai', pool: 'h100', vendor: 'nvidia', health: 'healthy' })).toBe(16);
  });

  it('an XID 79 shows up in the device-health series and clears with the fault', async () => {
    const operator = endpoints().find((e) => e.name === 'operator');
    if (operator === undefined) throw new Error('the lab records no operator /metrics URL');
    const series = { site: 'shanghai', pool: 'h100', vendor: 'nvidia' };
    const t0 = performance.now();
    await injectFault(lab.dir, 'shanghai', { kind: 'xid', node: 'shanghai-h100-0', device: 3, xid: 79 });
    try {
      await eventually(
        async () => {
          const text = await scrape(operator.url);
          expect(sample(text, 'suanwang_site_devices', { ...series, health: 'unhealthy' })).toBe(1);
          expect(sample(text, 'suanwang_site_devices', { ...series, health: 'healthy' })).toBe(15);
        },
        { timeoutMs: 2 * TEST_TIMING.heartbeatIntervalMs + TEST_TIMING.reporterIntervalMs + 5000, intervalMs: 250 },
      );
      console.log(`[metrics] XID 79 in suanwang_site_devices{health="unhealthy"} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      // The lab is shared: a fault left behind would fail the test files that run after this one.
      await clearFaults(lab.dir, 'shanghai');
    }
    await eventually(
      async () => {
        const text = await scrape(operator.url);
        expect(sample(text, 'suanwang_site_devices', { ...series, health: 'unhealthy' }) ?? 0).toBe(0);
        expect(sample(text, 'suanwang_site_devices', { ...series, health: 'healthy' })).toBe(16);
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
  });
});
