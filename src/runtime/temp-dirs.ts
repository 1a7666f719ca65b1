/**
 * Temporary folders for tests: made on demand under the OS temp dir, all removed in one call (from an afterEach), so
 * a failing test leaves nothing behind either.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** TempDirs makes folders named `<prefix>XXXXXX` and removes every one it made. */
export interface TempDirs {
  make(): string;
  removeAll(): void;
}

/** tempDirs returns a TempDirs whose folders start with `prefix` (e.g. `suanwang-certs-`). */
export function tempDirs(prefix: string): TempDirs {
  const made: string[] = [];
  return {
    make() {
      const d = mkdtempSync(join(tmpdir(), prefix));
      made.push(d);
      return d;
    },
    removeAll() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}
