import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../wire/test-helpers.ts';
import { OperatorConfigError } from './errors.ts';
import { parseRevokedCertificates, RevokedCertificatesFile } from './revoked-certificates.ts';

const FP = 'ab'.repeat(32);
const FP_COLONS = Array.from({ length: 32 }, () => 'AB').join(':');
const FP2 = 'cd'.repeat(32);

describe('parseRevokedCertificates', () => {
  it.each([
    { name: 'a bare fingerprint', text: FP, want: { sha256: [FP], serials: [] } },
    { name: 'colon pairs in upper case', text: FP_COLONS, want: { sha256: [FP], serials: [] } },
    { name: 'openssl -fingerprint output', text: `sha256 Fingerprint=${FP_COLONS}`, want: { sha256: [FP], serials: [] } },
    { name: 'a sha256: prefix', text: `sha256:${FP2}`, want: { sha256: [FP2], serials: [] } },
    { name: 'serials, with leading zeros and colons', text: 'serial:00:0A:1b\nserial=7F', want: { sha256: [], serials: ['a1b', '7f'] } },
    { name: 'comments and blank lines', text: `# revoked 2026-03-01, laptop stolen\n\n  ${FP}  # shanghai agent\n`, want: { sha256: [FP], serials: [] } },
    { name: 'nothing', text: '', want: { sha256: [], serials: [] } },
  ])('reads $name', ({ text, want }) => {
    const got = parseRevokedCertificates(text, 'revoked.txt');
    if (!got.ok) throw new Error(got.errors.join('; '));
    expect({ sha256: [...got.value.sha256.keys()], serials: [...got.value.serials.keys()] }).toEqual(want);
  });

  it('remembers where each entry was, for the refusal message', () => {
    const got = parseRevokedCertificates(`# header\n${FP}\nserial:01`, 'revoked.txt');
    expect(got.ok && got.value.sha256.get(FP)).toBe('revoked.txt line 2');
    expect(got.ok && got.value.serials.get('1')).toBe('revoked.txt line 3');
  });

  it('names the file and line of every entry it cannot read', () => {
    const got = parseRevokedCertificates(`${FP}\nab:cd\nserial:xyz\n${FP}0`, '/etc/revoked.txt');
    expect(got).toEqual({
      ok: false,
      errors: [
        '/etc/revoked.txt line 2: "ab:cd" is neither a SHA-256 fingerprint nor serial:HEX',
        '/etc/revoked.txt line 3: "serial:xyz" is neither a SHA-256 fingerprint nor serial:HEX',
        `/etc/revoked.txt line 4: "${FP}0" is neither a SHA-256 fingerprint nor serial:HEX`,
      ],
    });
  });
});

describe('RevokedCertificatesFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'suanwang-revoked-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without the file, or with a line it cannot read', async () => {
    const { logger } = captureLogger();
    expect(() => new RevokedCertificatesFile(join(dir, 'absent.txt'), logger)).toThrow(
      new OperatorConfigError(`--revoked-agent-certificates: cannot read ${join(dir, 'absent.txt')}: no such file`),
    );
    await writeFile(join(dir, 'bad.txt'), 'not-a-fingerprint\n');
    expect(() => new RevokedCertificatesFile(join(dir, 'bad.txt'), logger)).toThrow(/bad\.txt line 1: "not-a-fingerprint" is neither/);
  });

  it('re-reads the file when it changes, and only then', async () => {
    const path = join(dir, 'list.txt');
    await writeFile(path, `${FP}\n`);
    const { logger } = captureLogger();
    const file = new RevokedCertificatesFile(path, logger);
    expect([...file.current.sha256.keys()]).toEqual([FP]);
    expect(file.refresh()).toBe(false);

    await writeFile(path, `${FP}\n${FP2}\n`);
    expect(file.refresh()).toBe(true);
    expect([...file.current.sha256.keys()]).toEqual([FP, FP2]);
    expect(file.refresh()).toBe(false);

    // A ConfigMap volume swaps a symlinked folder; a rename in place is the same kind of change.
    await writeFile(join(dir, 'next.txt'), 'serial:0f\n');
    await rename(join(dir, 'next.txt'), path);
    expect(file.refresh()).toBe(true);
    expect([...file.current.sha256.keys()]).toEqual([]);
    expect([...file.current.serials.keys()]).toEqual(['f']);
  });

  it('keeps the last good list when the file turns unreadable or malformed, and says so once', async () => {
    const path = join(dir, 'edited.txt');
    await writeFile(path, `${FP}\n`);
    const { logger, lines } = captureLogger();
    const file = new RevokedCertificatesFile(path, logger);

    await writeFile(path, `${FP}\nhalf-typed-line\n`);
    expect(file.refresh()).toBe(false);
    expect(file.refresh()).toBe(false);
    expect([...file.current.sha256.keys()]).toEqual([FP]);
    await rm(path);
    expect(file.refresh()).toBe(false);
    expect([...file.current.sha256.keys()]).toEqual([FP]);
    const errors = lines.filter((l) => l['level'] === 50);
    expect(errors.map((l) => l['msg'])).toEqual([
      'revoked agent certificates file unusable: keeping the last good list',
      'revoked agent certificates file unusable: keeping the last good list',
    ]);
    expect(errors[0]?.['error']).toContain('edited.txt line 2: "half-typed-line" is neither');
    expect(errors[1]?.['error']).toContain('no such file');

    await writeFile(path, `${FP2}\n`);
    expect(file.refresh()).toBe(true);
    expect([...file.current.sha256.keys()]).toEqual([FP2]);
  });
});
