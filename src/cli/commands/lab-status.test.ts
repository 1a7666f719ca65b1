import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { labCommand } from './lab.ts';

describe('suanwang lab status', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function lab(): string {
    const dir = mkdtempSync(join(tmpdir(), 'suanwang-lab-status-'));
    dirs.push(dir);
    const component = (name: string, cluster: string, metrics?: string) => ({ name, cluster, pid: process.pid, log: `${cluster}-${name}.log`, args: [], ...(metrics !== undefined && { metrics }) });
    // The state file as the lab's supervisor writes it (src/lab/state.ts; the product may not import the lab).
    const state = {
      dir,
      topology: 'examples/lab/default.yaml',
      supervisorPid: process.pid,
      phase: 'Ready',
      startedAt: '2026-01-01T00:00:00Z',
      readyAt: '2026-01-01T00:01:00Z',
      progress: [],
      operator: '127.0.0.1:7443',
      clusters: [],
      components: [
        component('etcd', 'lab'),
        component('operator', 'hub', 'http://127.0.0.1:9001/metrics'),
        component('agent', 'east', 'http://127.0.0.1:9002/metrics'),
        component('node-reporter', 'east', 'http://127.0.0.1:9003/metrics'),
      ],
    };
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(state, null, 2));
    return dir;
  }

  function output(): string[] {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    return lines;
  }

  it("lists each Suanwang process's /metrics URL", async () => {
    const dir = lab();
    const lines = output();
    expect(await labCommand(['status', '--dir', dir])).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/operator \(hub\)\s+http:\/\/127\.0\.0\.1:9001\/metrics/);
    expect(text).toMatch(/agent \(east\)\s+http:\/\/127\.0\.0\.1:9002\/metrics/);
    expect(text).toMatch(/node-reporter \(east\)\s+http:\/\/127\.0\.0\.1:9003\/metrics/);
  });

  it('carries them in --json, per component', async () => {
    const dir = lab();
    const lines = output();
    expect(await labCommand(['status', '--dir', dir, '--json'])).toBe(0);
    const st = JSON.parse(lines.join('\n')) as { components: Array<{ name: string; metrics?: string }> };
    expect(st.components.map((c) => [c.name, c.metrics])).toEqual([
      ['etcd', undefined],
      ['operator', 'http://127.0.0.1:9001/metrics'],
      ['agent', 'http://127.0.0.1:9002/metrics'],
      ['node-reporter', 'http://127.0.0.1:9003/metrics'],
    ]);
  });
});
