import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { labCommand } from './lab.ts';

describe('suanwang lab', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each(['abc', '0', '-5', ''])('up refuses --timeout %j as a usage error before starting anything', async (timeout) => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const parent = mkdtempSync(join(tmpdir(), 'suanwang-lab-cli-'));
    dirs.push(parent);
    const dir = join(parent, 'lab');
    // A topology that does not exist: should the check ever go, `up` fails on the file (exit 1) and starts nothing.
    const topology = join(parent, 'no-such-topology.yaml');
    expect(await labCommand(['up', '--dir', dir, '--topology', topology, `--timeout=${timeout}`])).toBe(2);
    expect(errors.join('\n')).toMatch(/--timeout must be a positive number of seconds/);
    expect(existsSync(dir)).toBe(false);
  });
});
