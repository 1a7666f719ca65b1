import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../sim/result.ts';
import { loadSimTopology } from '../../sim/topology.ts';
import { simulateCommand, type SimulateIo } from './simulate.ts';

const dir = mkdtempSync(join(tmpdir(), 'suanwang-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): SimulateIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  let t = 0;
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l), clock: () => (t += 1000) };
}

describe('suanwang simulate', () => {
  it('replays a trace, prints the table and writes result.json and report.html', async () => {
    const out = join(dir, 'run');
    const term = io();
    const code = await simulateCommand(['--sites', 'test/fixtures/traces/synthetic-3-sites.yaml', '--trace', 'test/fixtures/traces/synthetic-pods.csv', '--out', out], term);
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as SimResult;
    expect(result.policies.map((p) => p.policy)).toEqual(['suanwang', 'first-fit', 'pooled', 'static']);
    expect(term.outLines.some((l) => /^POLICY\s+PLACED/.test(l))).toBe(true);
    for (const p of result.policies) {
      const row = term.outLines.find((l) => l.startsWith(`${p.policy} `));
      expect(row, p.policy).toContain(` ${p.summary.placed} `);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
    // The clock ticks a second per read: progress is reported, and wallMs comes from the injected clock.
    expect(term.errLines.some((l) => l.includes('tasks arrived'))).toBe(true);
  });

  it('replays only the policies asked for, in fill mode', async () => {
    const out = join(dir, 'fill');
    const code = await simulateCommand(['--sites', 'examples/lab/default.yaml', '--trace', 'test/fixtures/traces/lab-jobs.yaml', '--policy', 'static', '--policy', 'suanwang', '--replay', 'fill', '--out', out], io());
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as SimResult;
    expect(result.policies.map((p) => p.policy)).toEqual(['suanwang', 'static']);
  });

  it('splits a node list into a topology the simulator (and the lab) reads', async () => {
    const out = join(dir, 'sites.yaml');
    const term = io();
    expect(await simulateCommand(['split', '--nodes', 'test/fixtures/traces/synthetic-nodes.csv', '--split-by', 'round-robin', '--count', '4', '--out', out], term)).toBe(0);
    expect(loadSimTopology(out).sites.map((s) => s.name)).toEqual(['site-1', 'site-2', 'site-3', 'site-4']);
    expect(term.outLines[0]).toContain('4 sites, 60 nodes');
  });

  it.each([
    [['--trace', 'x.csv'], 2, 'simulate: --sites is required'],
    [['--sites', 'a.yaml', '--trace', 'b.csv', '--policy', 'best'], 2, 'simulate: --policy must be one of suanwang, first-fit, pooled, static, got "best"'],
    [['split', '--nodes', 'n.csv', '--split-by', 'zone', '--out', 'x.yaml'], 2, 'simulate: --split-by must be model, round-robin or a number of sites such as 5, got "zone"'],
    [['frobnicate'], 2, 'simulate: unknown subcommand "frobnicate" (the only one is split)'],
    [['--sites', 'examples/lab/default.yaml', '--trace', 'missing.csv'], 1, 'simulate: missing.csv: cannot read the trace'],
  ])('refuses %j with exit %i', async (argv, want, message) => {
    const term = io();
    expect(await simulateCommand(argv, term)).toBe(want);
    expect(term.errLines[0]).toContain(message);
  });

  it('names the file and line of a bad trace row', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\np,1000,1024,x,1000,,LS,Running,0,1,0\n');
    const term = io();
    expect(await simulateCommand(['--sites', 'examples/lab/default.yaml', '--trace', bad], term)).toBe(1);
    expect(term.errLines[0]).toBe(`simulate: ${bad}:2: num_gpu must be a whole number ≥ 0, got "x"`);
  });

  it('prints --help', async () => {
    const term = io();
    expect(await simulateCommand(['--help'], term)).toBe(0);
    expect(term.outLines[0]).toContain('suanwang simulate --sites SITES.yaml --trace TRACE');
    expect(term.outLines[0]).toContain('LeastAllocated');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
