// bin/suanwang.mjs runs the TypeScript sources wherever they are (a checkout) and the compiled dist/ only where they
// are not (the image): compiled output lying in a checkout, however stale, is never run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../../bin/suanwang.mjs');

describe('bin/suanwang.mjs', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  // A main() that says which tree it came from and hands back its arguments' count as the exit code.
  const main = (tree: string) => `export async function main(argv) { console.log('${tree}', argv.join(' ')); return argv.length; }\n`;
  const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/suanwang.mjs'), ...args], { encoding: 'utf8' });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'suanwang-entry-'));
    write('package.json', '{"type":"module"}\n');
    mkdirSync(join(root, 'bin'));
    copyFileSync(BIN, join(root, 'bin/suanwang.mjs'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs src/ where it is, even with a dist/ beside it', () => {
    write('src/cli/main.ts', main('sources'));
    write('dist/cli/main.js', main('compiled'));
    const r = run('agent', '--help');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sources agent --help\n');
    expect(r.status).toBe(2);
  });

  it('runs dist/ where there is no src/, as in the image', () => {
    write('dist/cli/main.js', main('compiled'));
    const r = run('operator', '--help');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('compiled operator --help\n');
    expect(r.status).toBe(2);
  });

  it('fails naming the compiled entry when there is neither', () => {
    const r = run('--help');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(join(root, 'dist/cli/main.js'));
  });
});
