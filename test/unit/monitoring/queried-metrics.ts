/**
 * Which metrics the charts' alerting rules and Grafana dashboards query. A dashboard or an alert that queries a metric
 * nobody exports shows nothing and never fires, silently; these functions pull every metric name out of the PromQL
 * of the rules files and the dashboard JSON, so a test can hold them against the documented (and exported) metrics.
 *
 * The PromQL reading is a small lexer, not a parser: it needs only to tell metric names from everything else that
 * looks like a name — function and aggregation names (followed by "("), label names (inside {…}, and in the lists
 * after by, without, on, ignoring, group_left and group_right), keywords, strings, numbers, durations and Grafana's
 * $variables.
 */
import { load } from 'js-yaml';

/** QueriedExpression is one PromQL expression and where it came from (for messages). */
export interface QueriedExpression {
  readonly where: string;
  readonly expr: string;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const NAME_START = /[A-Za-z_:]/;
const NAME_PART = /[A-Za-z0-9_:]/;
/** NUMBER matches a number or a duration where it starts: 0x1f, 5m, 1h30m, 0.99, 1e3. */
const NUMBER = /0[xX][0-9a-fA-F]+|(?:[0-9]+(?:ms|[smhdwy]))+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?/y;

/** closing returns the index just past the bracket that closes the one at `open`, skipping strings inside. */
function closing(expr: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const want = pairs[expr[open] ?? ''];
  if (want === undefined) throw new Error(`no bracket at ${open} of ${expr}`);
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(expr, i) - 1;
    } else if (c === expr[open]) {
      depth++;
    } else if (c === want && --depth === 0) {
      return i + 1;
    }
  }
  throw new Error(`unbalanced '${expr[open]}' at ${open} in PromQL: ${expr}`);
}

/** stringEnd returns the index just past the string literal that starts at `start`. */
function stringEnd(expr: string, start: number): number {
  const quote = expr[start];
  for (let i = start + 1; i < expr.length; i++) {
    if (expr[i] === '\\' && quote !== '`') i++;
    else if (expr[i] === quote) return i + 1;
  }
  throw new Error(`unterminated string at ${start} in PromQL: ${expr}`);
}

/** nextNonSpace returns the index of the first character at or after i that is not white space. */
function nextNonSpace(expr: string, i: number): number {
  while (i < expr.length && /\s/.test(expr[i] ?? '')) i++;
  return i;
}

/** metricNamesInPromQL lists the metric names one PromQL expression selects, sorted, each once. */
export function metricNamesInPromQL(expr: string): string[] {
  const names = new Set<string>();
  let depth = 0; // of parentheses, which the loop walks through rather than skips
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1;
      if (depth < 0) throw new Error(`unbalanced ')' at ${i} in PromQL: ${expr}`);
      i++;
    } else if (c === '#') {
      const eol = expr.indexOf('\n', i);
      i = eol < 0 ? expr.length : eol;
    } else if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(expr, i);
    } else if (c === '{') {
      // Label matchers; only {__name__="x"} names a metric.
      const end = closing(expr, i);
      for (const m of expr.slice(i, end).matchAll(/__name__\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) names.add(m[1] ?? m[2] ?? '');
      i = end;
    } else if (c === '[') {
      i = closing(expr, i); // a range or subquery: durations and Grafana's $__rate_interval
    } else if (c === '$') {
      // A Grafana variable: $name or ${name}.
      i++;
      if (expr[i] === '{') i = closing(expr, i);
      else while (i < expr.length && NAME_PART.test(expr[i] ?? '')) i++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      i = NUMBER.exec(expr) ? NUMBER.lastIndex : i + 1;
    } else if (NAME_START.test(c)) {
      let end = i + 1;
      while (end < expr.length && NAME_PART.test(expr[end] ?? '')) end++;
      const word = expr.slice(i, end);
      const after = nextNonSpace(expr, end);
      if (LABEL_LIST_KEYWORDS.has(word.toLowerCase())) {
        i = expr[after] === '(' ? closing(expr, after) : end;
      } else if (expr[after] === '(' || /^(by|without)\b/i.test(expr.slice(after)) || KEYWORDS.has(word.toLowerCase())) {
        i = end; // a function, an aggregation (`sum by (…) (…)` too; its arguments are read on), or a keyword
      } else {
        names.add(word);
        i = end;
      }
    } else {
      i++;
    }
  }
  if (depth !== 0) throw new Error(`unbalanced '(' in PromQL: ${expr}`);
  return [...names].sort();
}

/** metricNamesInGrafanaQuery lists the metrics of a Grafana Prometheus variable query (label_values, query_result). */
export function metricNamesInGrafanaQuery(query: string): string[] {
  const q = query.trim();
  const labelValues = /^label_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/s.exec(q);
  if (labelValues) return metricNamesInPromQL(labelValues[1] ?? '');
  if (/^label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/.test(q) || /^(label_names|metrics)\(/.test(q)) return [];
  const queryResult = /^query_result\((.*)\)$/s.exec(q);
  return metricNamesInPromQL(queryResult ? (queryResult[1] ?? '') : q);
}

interface RuleFile {
  groups?: Array<{ name?: string; rules?: Array<{ alert?: string; record?: string; expr?: unknown }> }>;
}

/** ruleExpressions lists the expression of every alerting and recording rule of a Prometheus rules file. */
export function ruleExpressions(rulesYaml: string, file: string): QueriedExpression[] {
  const doc = load(rulesYaml) as RuleFile | null;
  if (!doc || !Array.isArray(doc.groups)) throw new Error(`${file}: no "groups" list: not a Prometheus rules file`);
  return doc.groups.flatMap((g) =>
    (g.rules ?? []).map((r) => {
      const name = r.alert ?? r.record ?? '(unnamed rule)';
      if (typeof r.expr !== 'string' || r.expr.trim() === '') throw new Error(`${file}: rule ${name} of group ${g.name ?? '?'} has no expr`);
      return { where: `${file}: ${name}`, expr: r.expr };
    }),
  );
}

interface DashboardPanel {
  title?: string;
  targets?: Array<{ expr?: unknown; refId?: string }>;
  panels?: DashboardPanel[];
}

interface Dashboard {
  panels?: DashboardPanel[];
  templating?: { list?: Array<{ name?: string; type?: string; query?: unknown; definition?: unknown }> };
}

/** dashboardExpressions lists every panel target's PromQL (rows' nested panels too) of a Grafana dashboard. */
export function dashboardExpressions(dashboardJson: string, file: string): QueriedExpression[] {
  const dash = JSON.parse(dashboardJson) as Dashboard;
  const out: QueriedExpression[] = [];
  const visit = (panels: readonly DashboardPanel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string' || t.expr.trim() === '') throw new Error(`${file}: panel "${p.title ?? '?'}" target ${t.refId ?? '?'} has no expr`);
        out.push({ where: `${file}: panel "${p.title ?? '?'}" ${t.refId ?? ''}`.trim(), expr: t.expr });
      }
      visit(p.panels ?? []);
    }
  };
  visit(dash.panels ?? []);
  return out;
}

/** dashboardVariableQueries lists the Prometheus queries of a dashboard's query variables. */
export function dashboardVariableQueries(dashboardJson: string, file: string): QueriedExpression[] {
  const dash = JSON.parse(dashboardJson) as Dashboard;
  return (dash.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = typeof v.query === 'string' ? v.query : (v.query as { query?: unknown } | undefined)?.query;
      if (typeof q !== 'string') throw new Error(`${file}: variable ${v.name ?? '?'} has no query`);
      return { where: `${file}: variable $${v.name ?? '?'}`, expr: q };
    });
}

/** MetricType is what a documented metric is; a histogram is also queried as <name>_bucket, _sum and _count. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * undocumentedMetrics returns "<where>: <name>" for every metric an expression queries that is not documented.
 * A histogram's or summary's _bucket (histogram only), _sum and _count series count as the documented metric.
 */
export function undocumentedMetrics(
  queried: ReadonlyArray<{ readonly where: string; readonly names: readonly string[] }>,
  documented: ReadonlyMap<string, MetricType>,
): string[] {
  const known = (name: string): boolean => {
    if (documented.has(name)) return true;
    const m = /^(.*)_(bucket|sum|count)$/.exec(name);
    if (!m) return false;
    const type = documented.get(m[1] ?? '');
    return type === 'histogram' || (type === 'summary' && m[2] !== 'bucket');
  };
  return queried.flatMap(({ where, names }) => names.filter((n) => !known(n)).map((n) => `${where}: ${n}`));
}

/**
 * documentedMetricsInMarkdown reads metric names and types from a Markdown document: every `suanwang_…` name in
 * backticks at the start of a table row or list item, with the first of counter, gauge, histogram or summary on that
 * line as its type (gauge when none is named). With `sections`, only the rows under those "## " headings count (each
 * up to the next "## "): docs/metrics.md has one section per process.
 */
export function documentedMetricsInMarkdown(markdown: string, sections?: readonly string[]): Map<string, MetricType> {
  const out = new Map<string, MetricType>();
  let section = '';
  const seen = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+?)\s*$/.exec(line);
    if (heading) {
      section = heading[1] ?? '';
      seen.add(section);
      continue;
    }
    if (sections !== undefined && !sections.includes(section)) continue;
    const m = /^\s*(?:\|\s*|[-*]\s+)`(suanwang_[a-z0-9_]+)(?:\{[^`]*\})?`/.exec(line);
    if (!m?.[1]) continue;
    const type = /\b(counter|gauge|histogram|summary)\b/i.exec(line.slice(m[0].length))?.[1]?.toLowerCase() as MetricType | undefined;
    out.set(m[1], type ?? 'gauge');
  }
  const missing = (sections ?? []).filter((s) => !seen.has(s));
  if (missing.length > 0) throw new Error(`no "## ${missing.join('", "## ')}" section among: ${[...seen].join(', ')}`);
  return out;
}
