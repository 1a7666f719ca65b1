import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent } from './report-html-format.ts';
import { renderReport } from './report-html.ts';
import type { PolicyName, PolicyResult, PolicySummary, SeriesPoint, SimResult } from './result.ts';

const HOSTILE_SITE = '<b>&"x';

/** makeSeries builds a series from [t, allocated per site (in SITES order), waiting] rows. */
function makeSeries(rows: readonly (readonly [number, readonly [number, number], number])[]): SeriesPoint[] {
  return rows.map(([t, [a, b], waiting]) => ({
    t,
    allocatedGpus: { [HOSTILE_SITE]: a, guizhou: b },
    totalAllocatedGpus: a + b,
    waiting,
  }));
}

function makePolicy(policy: PolicyName, summary: Partial<PolicySummary>, extra: Partial<PolicyResult> = {}): PolicyResult {
  return {
    policy,
    summary: {
      gpuAllocationAvg: 0.5,
      gpuAllocationAtFirstUnplaceable: null,
      waitP50S: 0,
      waitP99S: 0,
      placed: 10,
      neverPlaced: 0,
      fragmentedGpus: 0,
      wallMs: 100,
      ...summary,
    },
    series: makeSeries([
      [0, [0, 0], 0],
      [600, [8, 4], 3],
      [7200, [16, 8], 1],
      [86_400, [0, 0], 0],
    ]),
    waitHistogram: [
      { leS: 0, count: 7 },
      { leS: 60, count: 2 },
      { leS: 3600, count: 1 },
    ],
    ...extra,
  };
}

function makeResult(): SimResult {
  return {
    trace: { name: 'openb <pods>.csv', tasks: 8152, gpuShareTasks: 3, gpuTasks: 20, cpuTasks: 1, spanS: 86_400 },
    sites: [
      { name: HOSTILE_SITE, nodes: 4, gpus: 32 },
      { name: 'guizhou', nodes: 2, gpus: 16 },
    ],
    totalGpus: 48,
    policies: [
      makePolicy('suanwang', {
        gpuAllocationAvg: 0.8734,
        gpuAllocationAtFirstUnplaceable: 0.9583,
        waitP50S: 12,
        waitP99S: 4320,
        placed: 8100,
        neverPlaced: 52,
        fragmentedGpus: 3.25,
        wallMs: 12_400,
      }),
      makePolicy('first-fit', { gpuAllocationAvg: 0.61, waitP50S: 2100, waitP99S: 259_200, placed: 7000, neverPlaced: 1152, fragmentedGpus: 11 }),
      makePolicy(
        'pooled',
        { gpuAllocationAvg: 0.9, placed: 8152, wallMs: 850 },
        {
          // The pooled policy puts every node in one site, so its series names a site the federation does not list.
          series: [
            { t: 0, allocatedGpus: { pooled: 0 }, totalAllocatedGpus: 0, waiting: 0 },
            { t: 3600, allocatedGpus: { pooled: 40 }, totalAllocatedGpus: 40, waiting: 0 },
          ],
          waitHistogram: [{ leS: 0, count: 8152 }],
        },
      ),
    ],
  };
}

interface Element {
  readonly attrs: Readonly<Record<string, string>>;
  readonly inner: string;
}

/** elements finds every `<tag ...>...</tag>` (not nested in one of its own kind, which holds for svg, tr, td, path). */
function elements(html: string, tag: string): Element[] {
  const found: Element[] = [];
  const pattern = new RegExp(`<${tag}\\b([^>]*?)(?:/>|>([\\s\\S]*?)</${tag}>)`, 'g');
  for (const match of html.matchAll(pattern)) {
    const attrs: Record<string, string> = {};
    for (const a of (match[1] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1] ?? ''] = a[2] ?? '';
    found.push({ attrs, inner: match[2] ?? '' });
  }
  return found;
}

function chart(html: string, id: string): Element {
  const svg = elements(html, 'svg').find((e) => e.attrs['id'] === id);
  if (svg === undefined) throw new Error(`no svg with id ${id}`);
  return svg;
}

const VOID_ELEMENTS = new Set(['meta', 'br', 'link', 'img', 'hr', 'input']);

/** unbalancedTags returns the first tag that opens or closes out of order, or '' when the document nests properly. */
function unbalancedTags(html: string): string {
  const stack: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<!DOCTYPE html>/, '');
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*)>/g)) {
    const [, closing, name = '', rest = ''] = match;
    if (VOID_ELEMENTS.has(name) || rest.endsWith('/')) continue;
    if (closing === '') stack.push(name);
    else if (stack.pop() !== name) return `</${name}>`;
  }
  return stack.join(',');
}

describe('renderReport', () => {
  const result = makeResult();
  const html = renderReport(result);

  it('is one well-formed, self-contained document without script or external URLs', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(unbalancedTags(html)).toBe('');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]*/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('is deterministic: the same result, even re-read from JSON, gives the same bytes', () => {
    expect(renderReport(makeResult())).toBe(html);
    expect(renderReport(JSON.parse(JSON.stringify(result)) as SimResult)).toBe(html);
  });

  it('escapes site and trace names everywhere they appear', () => {
    expect(html).not.toContain(HOSTILE_SITE);
    expect(html).not.toContain('<pods>');
    expect(html).toContain('&lt;b&gt;&amp;&quot;x');
    expect(html).toContain('openb &lt;pods&gt;.csv');
  });

  it('titles the page with the trace, its task counts and the sites', () => {
    expect(elements(html, 'title')[0]?.inner).toBe('Suanwang simulation — openb &lt;pods&gt;.csv');
    const summary = elements(html, 'p').find((e) => e.attrs['id'] === 'trace-summary')?.inner ?? '';
    expect(summary).toContain('8,152 tasks over 24 h');
    expect(summary).toContain('<span id="gpu-share-tasks">3</span> GPU-share');
    expect(summary).toContain('2 sites with 48 GPUs');
    expect(elements(html, 'li').map((e) => e.inner)).toEqual([
      '<strong>&lt;b&gt;&amp;&quot;x</strong> 4 nodes, 32 GPUs',
      '<strong>guizhou</strong> 2 nodes, 16 GPUs',
    ]);
  });

  it('carries each policy’s numbers, formatted, in its table row', () => {
    const rows = new Map(
      elements(html, 'tr')
        .filter((r) => r.attrs['data-policy'] !== undefined)
        .map((r) => [r.attrs['data-policy'], Object.fromEntries(elements(r.inner, 'td').map((c) => [c.attrs['data-metric'], c.inner]))]),
    );
    expect([...rows.keys()]).toEqual(['suanwang', 'first-fit', 'pooled']);
    expect(rows.get('suanwang')).toEqual({
      'gpu-allocation-avg': '87.3 %',
      'vs-pooled': '97.0 %',
      'gpu-allocation-at-first-unplaceable': '95.8 %',
      'wait-p50': '12 s',
      'wait-p99': '1.2 h',
      placed: '8,100',
      'never-placed': '52',
      'fragmented-gpus': '3.3',
      wall: '12.4 s',
    });
    expect(rows.get('first-fit')).toMatchObject({
      'gpu-allocation-avg': '61.0 %',
      'vs-pooled': '67.8 %',
      'gpu-allocation-at-first-unplaceable': 'never full',
      'wait-p50': '35 min',
      'wait-p99': '3 d',
      'never-placed': '1,152',
      'fragmented-gpus': '11.0',
    });
    expect(rows.get('pooled')).toMatchObject({ 'vs-pooled': '100.0 %', placed: '8,152', wall: '850 ms' });
  });

  it('draws one allocation chart per policy, with a line per site it used and the total', () => {
    const charts = elements(html, 'svg').filter((e) => e.attrs['data-chart'] === 'gpu-allocation');
    expect(charts.map((c) => c.attrs['data-policy'])).toEqual(['suanwang', 'first-fit', 'pooled']);

    const suanwang = chart(html, 'chart-allocation-suanwang');
    const paths = elements(suanwang.inner, 'path');
    expect(paths.map((p) => p.attrs['data-series'])).toEqual(['&lt;b&gt;&amp;&quot;x', 'guizhou', 'total']);
    // A step line has one horizontal-then-vertical segment per point after the first.
    for (const p of paths) expect(p.attrs['d']?.match(/H/g)).toHaveLength(3);
    expect(suanwang.inner).toContain('capacity 48 GPUs');

    const pooled = elements(chart(html, 'chart-allocation-pooled').inner, 'path');
    expect(pooled.map((p) => p.attrs['data-series'])).toEqual(['pooled', 'total']);
  });

  it('puts every policy on the waiting-tasks chart', () => {
    const paths = elements(chart(html, 'chart-waiting').inner, 'path');
    expect(paths.map((p) => [p.attrs['data-series'], p.attrs['stroke']])).toEqual([
      ['suanwang', '#d9480f'],
      ['first-fit', '#1c7ed6'],
      ['pooled', '#2b8a3e'],
    ]);
    // The peak of the waiting series (3) sits at the top of a y-axis that ticks up to it.
    expect(chart(html, 'chart-waiting').inner).toContain('>3</text>');
  });

  it('draws a bar per policy and non-empty wait bucket, labelled with its count', () => {
    const bars = elements(chart(html, 'chart-wait-distribution').inner, 'rect').filter((r) => r.attrs['class'] === 'bar');
    const tips = bars.map((b) => b.inner.replace(/<\/?title>/g, ''));
    expect(tips).toEqual([
      'suanwang, no wait: 7 tasks',
      'first-fit, no wait: 7 tasks',
      'pooled, no wait: 8,152 tasks',
      'suanwang, ≤ 1 min: 2 tasks',
      'first-fit, ≤ 1 min: 2 tasks',
      'suanwang, ≤ 1 h: 1 task',
      'first-fit, ≤ 1 h: 1 task',
    ]);
    // Log scale: 8,152 tasks make a bar taller than 7, but not a thousand times taller.
    const height = (i: number): number => Number(bars[i]?.attrs['height']);
    expect(height(2)).toBeGreaterThan(height(0));
    expect(height(2)).toBeLessThan(height(0) * 5);
  });

  it('shows "no data" rather than failing when a policy has no series', () => {
    const empty: SimResult = { ...result, policies: [makePolicy('static', {}, { series: [], waitHistogram: [] })] };
    const out = renderReport(empty);
    expect(chart(out, 'chart-allocation-static').inner).toContain('no data');
    expect(chart(out, 'chart-wait-distribution').inner).toContain('no data');
    expect(unbalancedTags(out)).toBe('');
  });
});

describe('report number formatting', () => {
  it.each([
    { seconds: 0, want: '0 s' },
    { seconds: 0.25, want: '0.3 s' },
    { seconds: 12, want: '12 s' },
    { seconds: 59.6, want: '60 s' },
    { seconds: 90, want: '1.5 min' },
    { seconds: 2100, want: '35 min' },
    { seconds: 4320, want: '1.2 h' },
    { seconds: 36 * 3600, want: '36 h' },
    { seconds: 3 * 86_400, want: '3 d' },
  ])('formatDuration($seconds) = $want', ({ seconds, want }) => {
    expect(formatDuration(seconds)).toBe(want);
  });

  it.each([
    { share: 0, want: '0.0 %' },
    { share: 0.8734, want: '87.3 %' },
    { share: 1, want: '100.0 %' },
    { share: Number.NaN, want: '–' },
  ])('formatPercent($share) = $want', ({ share, want }) => {
    expect(formatPercent(share)).toBe(want);
  });
});
