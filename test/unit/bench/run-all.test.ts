import { describe, expect, it } from 'vitest';
import { argsFor, commandOf, PLAN, select, stem, type BenchEntry } from '../../../bench/run-all/plan.ts';
import { parseFigures } from '../../../bench/run-all/read-figures.ts';
import { cell, duration, failureOf, renderRunReport, resultFileName, type BenchOutcome, type RunReport } from '../../../bench/run-all/render.ts';
import type { Figure } from '../../../bench/support/summary.ts';

const entry = (name: string, file: string, quickArgs: readonly string[] | null = []): BenchEntry => ({
  name,
  file,
  args: ['--full'],
  quickArgs,
  estimateMinutes: 1,
  quickEstimateMinutes: 0.5,
  timeoutMinutes: 2,
  quickTimeoutMinutes: 1,
});

const plan = [entry('a', 'bench/a.bench.ts'), entry('site', 'bench/site.bench.ts'), entry('site-far', 'bench/site.bench.ts', null)];

describe('select', () => {
  it('runs the whole plan in order when nothing is named', () => {
    expect(select(plan, { only: [], skip: [], profile: 'full' })).toEqual({ run: plan, skipped: [], notInProfile: [] });
  });

  it('takes a file stem for all its entries, and an entry name for one', () => {
    expect(select(plan, { only: ['site'], skip: [], profile: 'full' }).run.map((e) => e.name)).toEqual(['site', 'site-far']);
    expect(select(plan, { only: ['site-far'], skip: [], profile: 'full' }).run.map((e) => e.name)).toEqual(['site-far']);
    expect(select(plan, { only: [], skip: ['site-far'], profile: 'full' })).toMatchObject({ skipped: ['site-far'] });
  });

  it('lists the entries the quick profile has no run for instead of dropping them silently', () => {
    const s = select(plan, { only: [], skip: ['a'], profile: 'quick' });
    expect(s.run.map((e) => e.name)).toEqual(['site']);
    expect(s.skipped).toEqual(['a']);
    expect(s.notInProfile).toEqual(['site-far']);
  });

  it('refuses a name that matches nothing, naming the valid ones', () => {
    expect(() => select(plan, { only: ['sight'], skip: [], profile: 'full' })).toThrow(/no benchmark is called "sight"; the names are a, site, site-far/);
  });
});

describe('the plan', () => {
  it('has unique names, one file per entry, and a timeout above every estimate', () => {
    expect(new Set(PLAN.map((e) => e.name)).size).toBe(PLAN.length);
    for (const e of PLAN) {
      expect(e.file).toMatch(/^bench\/[a-z-]+\.bench\.ts$/);
      expect(e.timeoutMinutes).toBeGreaterThan(e.estimateMinutes);
      expect(e.quickTimeoutMinutes).toBeGreaterThan(e.quickEstimateMinutes);
    }
  });

  it('fits the full run in about 100 minutes, and the quick one in well under a third', () => {
    expect(PLAN.reduce((s, e) => s + e.estimateMinutes, 0)).toBeLessThanOrEqual(100);
    expect(PLAN.filter((e) => e.quickArgs !== null).reduce((s, e) => s + e.quickEstimateMinutes, 0)).toBeLessThanOrEqual(25);
  });

  it('renders the command a reader would type, with the profile’s flags', () => {
    const placement = PLAN.find((e) => e.name === 'placement') as BenchEntry;
    expect(commandOf(placement, 'full')).toBe('node --expose-gc bench/placement.bench.ts');
    expect(argsFor(placement, 'quick')).toEqual(placement.quickArgs);
    expect(stem('bench/site-loss.bench.ts')).toBe('site-loss');
  });
});

describe('parseFigures', () => {
  it('reads every figure line and names every line that is not one', () => {
    const good: Figure = { bench: 'a', figure: 'f', value: '1 s', reproduce: 'node bench/a.bench.ts', limit: 'target 2 s' };
    const text = [JSON.stringify(good), '', 'not json', '[1]', JSON.stringify({ bench: 'a', figure: 'f', reproduce: 'r' }), JSON.stringify({ ...good, limit: 3 })].join('\n');
    const r = parseFigures(text);
    expect(r.figures).toEqual([good]);
    expect(r.problems).toHaveLength(4);
    expect(r.problems[0]).toMatch(/^line 3 is not JSON/);
    expect(r.problems[1]).toBe('line 4 is not an object');
    expect(r.problems[2]).toBe('line 5: value missing or not text');
    expect(r.problems[3]).toBe('line 6: limit missing or not text');
  });
});

describe('rendering', () => {
  const figure = (f: Partial<Figure>): Figure => ({ bench: 'a', figure: 'fig', value: 'v', reproduce: 'node bench/a.bench.ts', ...f });
  const outcome = (o: Partial<BenchOutcome>): BenchOutcome => ({ name: 'a', command: 'node bench/a.bench.ts', seconds: 12, tail: [], figures: [], problems: [], ...o });
  const report = (r: Partial<RunReport>): RunReport => ({
    started: '2026-12-07T10:00:00.000Z',
    ended: '2026-12-07T10:58:30.000Z',
    machine: '2 × AMD EPYC, 24 GiB, Node v24.21.0',
    commit: '603175c',
    command: 'node bench/run-all.ts',
    profile: 'full',
    loadStart: [0.5, 0.25, 0.125],
    loadEnd: [2, 1.5, 1],
    outcomes: [],
    skipped: [],
    notInProfile: [],
    notRun: [],
    resultsDir: 'bench/results',
    ...r,
  });

  it('formats durations and table cells', () => {
    expect([duration(45.4), duration(125), duration(3725)]).toEqual(['45s', '2m05s', '1h02m']);
    expect(cell('a | b\nc')).toBe('a \\| b c');
  });

  it('names the file by date and commit, marked when quick or partial', () => {
    expect(resultFileName('2026-12-07T10:00:00.000Z', '603175c', 'full', false)).toBe('bench-2026-12-07-603175c.md');
    expect(resultFileName('2026-12-07T10:00:00.000Z', '603175c', 'quick', true)).toBe('bench-2026-12-07-603175c-quick-partial.md');
  });

  it('says why a run needs a failed row', () => {
    expect(failureOf(outcome({ figures: [figure({})] }))).toBeUndefined();
    expect(failureOf(outcome({}))).toBe('exited 0 but recorded no figure');
    expect(failureOf(outcome({ failure: 'exit status 1', figures: [figure({})] }))).toBe('exit status 1');
    expect(failureOf(outcome({ figures: [figure({})], problems: ['line 2 is not an object'] }))).toMatch(/1 line\(s\) that were not figures \(line 2 is not an object\)/);
  });

  it('renders the header, one row per figure grouped by benchmark, a failed row with the last lines, the runs and the detail links', () => {
    const text = renderRunReport(
      report({
        outcomes: [
          outcome({
            name: 'placement',
            command: 'node --expose-gc bench/placement.bench.ts',
            seconds: 150,
            figures: [
              figure({ bench: 'placement', figure: 'per decision, 100 sites', value: 'p99 2.6 ms', limit: 'target P99 ≤ 5 ms: met', detail: 'bench/results/placement-2026-12-07.md' }),
              figure({ bench: 'placement', system: 'Karmada (published)', figure: 'cluster_schedule', value: 'p99 32 ms', detail: 'bench/results/placement-2026-12-07.md' }),
            ],
          }),
          outcome({ name: 'many-sites', command: 'node bench/many-sites.bench.ts', seconds: 0, failure: 'not found: bench/many-sites.bench.ts' }),
          outcome({ name: 'queues-lab', seconds: 1440, failure: 'timed out after 24m00s', tail: ['started', '', 'Pending 3 | Running <none>', 'last'] }),
        ],
        skipped: ['throughput'],
        notRun: ['site-loss'],
      }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Benchmarks — 2026-12-07');
    expect(text).toContain('- Started 2026-12-07T10:00:00.000Z, ended 2026-12-07T10:58:30.000Z: 58m30s in all.');
    expect(text).toContain('- Load average (1 / 5 / 15 min): 0.50 / 0.25 / 0.13 at the start, 2.00 / 1.50 / 1.00 at the end.');
    expect(text).toContain('- Not run: left out by --only/--skip: throughput; never started (the run was interrupted): site-loss.');
    expect(text).toContain('- 3 benchmark runs, 1 clean; failed: many-sites, queues-lab.');
    expect(text).not.toContain('Quick profile');
    const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| benchmark'));
    expect(rows.slice(0, 4)).toEqual([
      '| **placement** | Suanwang | per decision, 100 sites | p99 2.6 ms | target P99 ≤ 5 ms: met | `node bench/a.bench.ts` |',
      '|  | Karmada (published) | cluster_schedule | p99 32 ms |  | `node bench/a.bench.ts` |',
      '| **many-sites** | — | the run | failed: not found: bench/many-sites.bench.ts | | `node bench/many-sites.bench.ts` |',
      '| **queues-lab** | — | the run | failed: timed out after 24m00s; last lines:<br>started<br>Pending 3 \\| Running &lt;none&gt;<br>last | | `node bench/a.bench.ts` |',
    ]);
    expect(text).toContain('| placement | `node --expose-gc bench/placement.bench.ts` | 2m30s | 2 figures |');
    expect(text).toContain('| queues-lab | `node bench/a.bench.ts` | 24m00s | failed: timed out after 24m00s |');
    expect(text).toContain('- placement: [bench/results/placement-2026-12-07.md](placement-2026-12-07.md)');
    expect(text).toContain('- many-sites: none (it prints its figures only)');
  });

  it('marks a quick run as not the README’s figures', () => {
    const text = renderRunReport(report({ profile: 'quick', notInProfile: ['site-loss-guizhou'] }));
    expect(text.split('\n')[0]).toBe('# Benchmarks — 2026-12-07 (quick profile)');
    expect(text).toContain('These are not the figures the README quotes.');
    expect(text).toContain('- Not run: no quick run: site-loss-guizhou.');
  });
});
