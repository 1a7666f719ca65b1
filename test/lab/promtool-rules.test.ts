/**
 * The charts' alerting rules under the real promtool (built from the Go module pinned in tools/promtool, version
 * PROMETHEUS_VERSION of tools/versions.env, by tools/build-binaries.sh): `promtool check rules` on each chart's
 * files/alerts.yaml — the very file its PrometheusRule embeds, as the rendered chart shows — and `promtool test rules`
 * on the input series of test/fixtures/monitoring/, which fire every alert after its `for` and check it quiet before
 * and on the series that should not fire it; among them, a stopped agent fires the site alert. A deliberately wrong
 * expectation shows that promtool's verdict reaches this test. Needs no lab, only the binaries.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary, pinnedVersions, REPO_ROOT } from '../../src/lab/binaries.ts';
import { AGENT_CHART, at, HUB_CHART, only, template } from './fixtures/charts/helm.ts';

// promtool is looked up like the lab's binaries (SUANWANG_BIN_DIR, KUBEBUILDER_ASSETS, then the cache
// tools/build-binaries.sh fills), and a missing one fails with how to build it.
const PROMTOOL = findBinary('promtool', process.env);
const FIXTURES = join(REPO_ROOT, 'test/fixtures/monitoring');
const scratch = mkdtempSync(join(tmpdir(), 'suanwang-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function promtool(args: readonly string[]): { code: number; output: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const CHARTS = [
  { name: 'hub', dir: HUB_CHART, tests: 'hub-alerts.test.yaml', values: [] as string[] },
  { name: 'site', dir: AGENT_CHART, tests: 'site-alerts.test.yaml', values: ['--set', 'site=shanghai', '--set', 'operator.address=hub.example.org:7443'] },
];

function alertCount(rulesFile: string): number {
  return (load(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: unknown[] }> }).groups.reduce((n, g) => n + g.rules.length, 0);
}

it('promtool is the pinned Prometheus release', () => {
  const r = promtool(['--version']);
  expect(r.code).toBe(0);
  expect(r.output).toContain(`promtool, version ${pinnedVersions()['PROMETHEUS_VERSION']} `);
});

describe.each(CHARTS)('$name chart', ({ dir, tests, values }) => {
  const rules = join(dir, 'files/alerts.yaml');

  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', rules]);
    expect(r.output).toContain(`SUCCESS: ${alertCount(rules)} rules found`);
    expect(r.code).toBe(0);
  });

  it('passes promtool test rules: every alert fires after its `for`, and not before or on the wrong series', () => {
    const r = promtool(['test', 'rules', join(FIXTURES, tests)]);
    expect(r.output, r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });

  it('renders the same rules into its PrometheusRule', () => {
    const rendered = only(template(dir, [...values, '--set', 'metrics.prometheusRule.enabled=true']), 'PrometheusRule');
    expect(at(rendered, 'spec', 'groups')).toEqual((load(readFileSync(rules, 'utf8')) as { groups: unknown }).groups);
  });
});

it('fails promtool test rules when the stopped agent is expected to fire the site alert before its `for`', () => {
  // The hub's own test, with the first firing expectation moved from minute 8 to minute 7 (disconnected at 6, for 2m).
  const original = readFileSync(join(FIXTURES, 'hub-alerts.test.yaml'), 'utf8');
  const early = original.replace(/- eval_time: 8m\n(\s+)alertname: SuanwangSiteAgentDisconnected\n/, '- eval_time: 7m\n$1alertname: SuanwangSiteAgentDisconnected\n');
  expect(early).not.toBe(original);
  const file = join(scratch, 'early.test.yaml');
  writeFileSync(file, early.replace('../../../charts/suanwang/files/alerts.yaml', join(HUB_CHART, 'files/alerts.yaml')));
  const r = promtool(['test', 'rules', file]);
  expect(r.code).toBe(1);
  expect(r.output).toMatch(/FAILED:[\s\S]*alertname: SuanwangSiteAgentDisconnected, time: 7m/);
});
