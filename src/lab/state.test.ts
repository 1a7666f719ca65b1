import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../runtime/temp-dirs.ts';
import { REPO_ROOT } from './binaries.ts';
import { LabStartError, startLab, stopLab } from './lab.ts';
import { foreignEntries, LabStateError, readState, removeLabDir } from './state.ts';

const temp = tempDirs('suanwang-lab-dir-');
const tempDir = (): string => temp.make();
afterEach(() => temp.removeAll());

/** labLeftovers writes what a lab that failed to start leaves behind (stopLab with keepLogs). */
function labLeftovers(dir: string): void {
  for (const sub of ['logs', 'certs', 'faults']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'logs', 'supervisor.log'), 'started\n');
  writeFileSync(join(dir, 'faults', 'shanghai.json'), '{}');
  writeFileSync(join(dir, 'hub.kubeconfig'), 'apiVersion: v1\n');
}

describe('the lab directory', () => {
  it('tells what a lab wrote from what it did not', () => {
    const dir = tempDir();
    labLeftovers(dir);
    writeFileSync(join(dir, 'lab.json'), '{}');
    expect(foreignEntries(dir)).toEqual([]);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'src'));
    expect(foreignEntries(dir)).toEqual(['notes.txt', 'src']);
    expect(foreignEntries(join(dir, 'missing'))).toEqual([]);
  });

  it('removeLabDir removes a lab directory whole, and only the lab entries of a directory that holds more', () => {
    const lab = tempDir();
    labLeftovers(lab);
    removeLabDir(lab);
    expect(existsSync(lab)).toBe(false);

    const mixed = tempDir();
    labLeftovers(mixed);
    writeFileSync(join(mixed, 'notes.txt'), 'mine');
    removeLabDir(mixed);
    expect(foreignEntries(mixed)).toEqual(['notes.txt']);
    expect(existsSync(join(mixed, 'logs'))).toBe(false);
    expect(readFileSync(join(mixed, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('lab down pointed at a folder that is not a lab deletes none of its files', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const res = await stopLab(dir);
    expect(res).toEqual({ stopped: [], stillAlive: [] });
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('lab up refuses a folder that is not a lab before it starts or deletes anything', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    // No binaries anywhere: should the check ever go, the lab fails at once instead of starting.
    const env = { ...process.env, SUANWANG_BIN_DIR: '', KUBEBUILDER_ASSETS: '', SUANWANG_CACHE: tempDir() };
    const err = await startLab({ topologyFile: join(REPO_ROOT, 'examples/lab/default.yaml'), dir, env, ownerPid: process.pid, timeoutMs: 20_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LabStartError);
    expect((err as Error).message).toMatch(/is not a lab directory \(it holds notes\.txt\)/);
    expect(foreignEntries(dir)).toEqual(['notes.txt']);
    expect(existsSync(join(dir, 'logs'))).toBe(false);
  });
});

describe('readState', () => {
  it('refuses to read a corrupt state file as "no lab", so lab down cannot silently stop nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'lab.json'), '{"supervisorPid": 12');
    expect(() => readState(dir)).toThrow(LabStateError);
    expect(() => readState(dir)).toThrow(/lab\.json cannot be read .*check for lab processes naming/);
  });

  it('answers undefined only when there is no state file at all', () => {
    expect(readState(tempDir())).toBeUndefined();
  });
});
