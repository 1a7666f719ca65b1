import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { eventually } from '../runtime/eventually.ts';
import { commandLineMentions, Component, isAlive, killPid } from './processes.ts';

describe('Component', () => {
  const dirs: string[] = [];
  const logDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'suanwang-processes-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('fails to start a missing binary with an error, not with a crash of the process that spawned it', async () => {
    const log = join(logDir(), 'x.log');
    expect(() => new Component('ghost', 'lab', '/nonexistent/suanwang-no-such-binary', [], log, process.env)).toThrow(/could not start ghost/);
    // The child's 'error' event comes a tick later; unhandled, it would fail this test file as an uncaught error.
    await new Promise((r) => setTimeout(r, 50));
  });

  it('stops a process with SIGTERM and reports how it ended', async () => {
    const log = join(logDir(), 'sleep.log');
    const c = new Component('sleeper', 'lab', 'sh', ['-c', 'echo started; exec sleep 30'], log, process.env);
    expect(isAlive(c.pid)).toBe(true);
    await eventually(() => readFileSync(log, 'utf8').includes('started'), { what: 'the process to start' });
    await c.stop(5_000);
    expect(c.exitInfo).toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(c.pid)).toBe(false);
    expect(readFileSync(log, 'utf8')).toBe('started\n');
    expect(() => killPid(c.pid, 'SIGKILL')).not.toThrow();
  });
});

describe('commandLineMentions', () => {
  it('recognises a live process by its arguments, and nothing for a pid that is gone', async () => {
    const child = spawn('sleep', ['31.4159']);
    try {
      const pid = child.pid as number;
      expect(commandLineMentions(pid, '31.4159')).toBe(true);
      expect(commandLineMentions(pid, '/some/other/lab')).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(commandLineMentions(child.pid as number, '31.4159')).toBe(false);
  });
});
