import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../../runtime/temp-dirs.ts';
import { certsCommand, type CertsIo } from './certs.ts';
import { siteFromSubjectAltNames } from '../../wire/identity.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const temp = tempDirs('suanwang-certs-');
const tempDir = (): string => temp.make();
afterEach(() => temp.removeAll());

const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');
const cert = (dir: string, f: string): X509Certificate => new X509Certificate(read(dir, f));

describe('suanwang certs', () => {
  function io(): CertsIo & { outLines: string[]; errLines: string[] } {
    const outLines: string[] = [];
    const errLines: string[] = [];
    return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l), now: () => NOW };
  }

  it('writes the files for repeated --site and --server-name', async () => {
    const dir = tempDir();
    const t = io();
    const code = await certsCommand(['--dir', dir, '--site', 'a', '--site', 'b', '--server-name', 'op.example', '--days', '7'], t);
    expect({ code, err: t.errLines }).toEqual({ code: 0, err: [] });
    expect(cert(dir, 'server.crt').checkHost('op.example')).toBe('op.example');
    expect(siteFromSubjectAltNames(cert(dir, 'b.crt').subjectAltName)).toEqual({ ok: true, site: 'b' });
    expect(t.outLines.join('\n')).toContain('spiffe://suanwang.io/site/a');
  });

  const usageErrors: { name: string; argv: string[]; want: RegExp }[] = [
    { name: 'missing --dir', argv: ['--site', 'a'], want: /--dir is required/ },
    { name: 'missing --site', argv: ['--dir', '/tmp/x'], want: /at least one --site/ },
    { name: 'invalid site name', argv: ['--dir', '/tmp/x', '--site', 'Bad_Name'], want: /not a DNS-1123 label/ },
    { name: 'reserved site name', argv: ['--dir', '/tmp/x', '--site', 'server'], want: /reserved/ },
    { name: 'bad --days', argv: ['--dir', '/tmp/x', '--site', 'a', '--days', '0'], want: /--days/ },
    { name: 'unknown option', argv: ['--dir', '/tmp/x', '--site', 'a', '--bogus'], want: /bogus/ },
  ];
  it.each(usageErrors)('exits 2 on $name', async ({ argv, want }) => {
    const t = io();
    expect(await certsCommand(argv, t)).toBe(2);
    expect(t.errLines.join('\n')).toMatch(want);
  });

  it('refuses a folder holding half a CA instead of replacing the certificate peers trust (exit 1)', async () => {
    const dir = tempDir();
    expect(await certsCommand(['--dir', dir, '--site', 'a'], io())).toBe(0);
    const caCrt = read(dir, 'ca.crt');
    rmSync(join(dir, 'ca.key'));
    const t = io();
    expect(await certsCommand(['--dir', dir, '--site', 'b'], t)).toBe(1);
    expect(t.errLines.join('\n')).toMatch(/ca\.crt without ca\.key/);
    expect(read(dir, 'ca.crt')).toBe(caCrt);
  });

  it('prints help', async () => {
    const t = io();
    expect(await certsCommand(['--help'], t)).toBe(0);
    expect(t.outLines.join('\n')).toMatch(/Usage: suanwang certs/);
  });
});
