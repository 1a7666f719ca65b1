/**
 * Every metric the charts' alerts and Grafana dashboards query is one that docs/metrics.md documents for the processes
 * that chart's Prometheus scrapes (the hub's: the operator; a site's: the agent and the node reporters), every alert has
 * a runbook in docs/alerts.md and a firing case in the promtool unit tests, and the PromQL reading behind it picks out
 * metric names and nothing else. The real promtool runs the rules in test/lab/promtool-rules.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  dashboardExpressions,
  dashboardVariableQueries,
  documentedMetricsInMarkdown,
  metricNamesInGrafanaQuery,
  metricNamesInPromQL,
  ruleExpressions,
  undocumentedMetrics,
  type MetricType,
} from './queried-metrics.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

/** CHARTS: each chart's rules and dashboard, and the processes (sections of docs/metrics.md) its Prometheus scrapes. */
const CHARTS = [
  { chart: 'charts/suanwang', alertTests: 'test/fixtures/monitoring/hub-alerts.test.yaml', scraped: ['Operator'] },
  { chart: 'charts/suanwang-agent', alertTests: 'test/fixtures/monitoring/site-alerts.test.yaml', scraped: ['Site agent', 'Node reporter'] },
];

const METRICS_DOC = read('docs/metrics.md');

function alertNames(chart: string): string[] {
  return ruleExpressions(read(`${chart}/files/alerts.yaml`), `${chart}/files/alerts.yaml`).map((e) => e.where.replace(/^.*: /, ''));
}

describe('the PromQL reading', () => {
  it.each([
    ['a bare name', 'suanwang_site_ready', ['suanwang_site_ready']],
    ['label matchers, strings with braces and regexes', 'suanwang_site_devices{health="un}healthy", site=~"$site|x{1}"} > 0', ['suanwang_site_devices']],
    ['aggregations with by and without, before and after', 'sum by (site, pool) (a_total) / sum(b_total) without (result)', ['a_total', 'b_total']],
    ['ranges, subqueries and Grafana intervals', 'rate(a_total[5m]) + max_over_time(b[1h:30s]) + rate(c_total[$__rate_interval])', ['a_total', 'b', 'c_total']],
    ['vector matching and set operators', 'a > 30 and on (site) group_left (pool) b == bool 1 unless ignoring (x) c or d', ['a', 'b', 'c', 'd']],
    ['numbers, durations, offset and scientific notation', 'a offset 1h30m > 1e3 * 0.5 + 0x1f - .5', ['a']],
    ['functions with string arguments', 'label_replace(histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))), "dst", "$1", "src", "(.*)")', ['h_bucket']],
    ['{__name__=…} selectors and comments', '{__name__="a_total", job="x"} # b_total is only mentioned', ['a_total']],
    ['Grafana variables outside ranges', 'topk($limit, a) / ${divisor}', ['a']],
  ])('%s', (_name, expr, want) => {
    expect(metricNamesInPromQL(expr)).toEqual(want);
  });

  it('reads Grafana variable queries', () => {
    expect(metricNamesInGrafanaQuery('label_values(suanwang_site_ready{pool="x"}, site)')).toEqual(['suanwang_site_ready']);
    expect(metricNamesInGrafanaQuery('label_values(site)')).toEqual([]);
    expect(metricNamesInGrafanaQuery('query_result(topk(3, a_total))')).toEqual(['a_total']);
  });

  it('refuses unbalanced PromQL', () => {
    expect(() => metricNamesInPromQL('sum(rate(a[5m])')).toThrow(/unbalanced '\('/);
  });

  it("takes a histogram's series for the histogram, and nothing else for anything", () => {
    const doc = new Map<string, MetricType>([['h_seconds', 'histogram'], ['g', 'gauge'], ['s', 'summary']]);
    const queried = [{ where: 'x', names: ['h_seconds_bucket', 'h_seconds_count', 'g_count', 's_sum', 's_bucket', 'missing'] }];
    expect(undocumentedMetrics(queried, doc)).toEqual(['x: g_count', 'x: s_bucket', 'x: missing']);
  });

  it('reads metric names and types from Markdown tables and lists, of every section or of some', () => {
    const md = ['## One', '| `suanwang_a_total{x}` | counter | … |', '- `suanwang_b_seconds` (histogram): …', '## Two', '| `suanwang_c` | | a gauge |', 'text `suanwang_d` in prose'].join('\n');
    expect([...documentedMetricsInMarkdown(md)]).toEqual([['suanwang_a_total', 'counter'], ['suanwang_b_seconds', 'histogram'], ['suanwang_c', 'gauge']]);
    expect([...documentedMetricsInMarkdown(md, ['Two'])]).toEqual([['suanwang_c', 'gauge']]);
    expect(() => documentedMetricsInMarkdown(md, ['Three'])).toThrow('no "## Three" section among: One, Two');
  });
});

describe.each(CHARTS)('$chart: alerts and dashboard', ({ chart, alertTests, scraped }) => {
  const rulesFile = `${chart}/files/alerts.yaml`;
  const dashboardFile = `${chart}/files/dashboard.json`;

  it(`queries only metrics that docs/metrics.md documents for ${scraped.join(' and ')}`, () => {
    const queried = [
      ...ruleExpressions(read(rulesFile), rulesFile).map((e) => ({ where: e.where, names: metricNamesInPromQL(e.expr) })),
      ...dashboardExpressions(read(dashboardFile), dashboardFile).map((e) => ({ where: e.where, names: metricNamesInPromQL(e.expr) })),
      ...dashboardVariableQueries(read(dashboardFile), dashboardFile).map((e) => ({ where: e.where, names: metricNamesInGrafanaQuery(e.expr) })),
    ];
    // Every expression selects at least one metric (an expression of constants would pass any list).
    expect(queried.filter((q) => q.names.length === 0).map((q) => q.where)).toEqual([]);
    expect(undocumentedMetrics(queried, documentedMetricsInMarkdown(METRICS_DOC, scraped))).toEqual([]);
  });

  it('has a docs/alerts.md section, with severity and runbook, for every alert, and its runbook annotation points there', () => {
    const doc = read('docs/alerts.md');
    const rules = (load(read(rulesFile)) as { groups: Array<{ rules: Array<{ alert: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }> }).groups.flatMap((g) => g.rules);
    for (const r of rules) {
      const heading = new RegExp(`^### ${r.alert}$`, 'm').exec(doc);
      expect(heading, `docs/alerts.md has "### ${r.alert}"`).not.toBeNull();
      const section = doc.slice((heading?.index ?? 0) + (heading?.[0].length ?? 0)).split(/\n#{2,3} /)[0] ?? '';
      expect(section, `${r.alert}: severity in the docs`).toContain(`**Severity:** ${r.labels?.['severity'] ?? '?'}`);
      expect(section, `${r.alert}: a runbook line`).toMatch(/\*\*Runbook:\*\* \S/);
      expect(r.annotations?.['runbook']).toBe(`docs/alerts.md#${r.alert.toLowerCase()}`);
      expect(['critical', 'warning', 'info']).toContain(r.labels?.['severity']);
    }
  });

  it(`fires every alert at least once in ${alertTests}, and checks its quiet side too`, () => {
    const tests = load(read(alertTests)) as { rule_files: string[]; tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> };
    expect(tests.rule_files.map((f) => join(ROOT, 'test/fixtures/monitoring', f))).toEqual([join(ROOT, rulesFile)]);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    const fired = new Set(cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => c.alertname));
    expect(alertNames(chart).filter((a) => !fired.has(a)), 'alerts never fired').toEqual([]);
    expect(alertNames(chart).filter((a) => !quiet.has(a)), 'alerts never checked quiet').toEqual([]);
  });
});

it('the two charts name their alerts apart (one Prometheus may load both)', () => {
  const hub = alertNames('charts/suanwang');
  expect(alertNames('charts/suanwang-agent').filter((a) => hub.includes(a))).toEqual([]);
});
