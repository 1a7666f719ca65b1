/**
 * vitest globalSetup for the `lab` project: one shared lab (examples/lab/default.yaml) for every lab test file,
 * started once and stopped at the end. The lab watches this process's pid, so a crashed run leaves nothing behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLab, stopLab } from '../../../src/lab/lab.ts';
import { REPO_ROOT } from '../../../src/lab/binaries.ts';
import { TEST_POD_COMPLETE_DELAY_MS, TEST_TIMING } from './timing.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    labDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'suanwang-lab-test-'));
  const t0 = performance.now();
  await startLab({
    topologyFile: join(REPO_ROOT, 'examples/lab/default.yaml'),
    dir,
    ownerPid: process.pid,
    federation: true,
    timing: TEST_TIMING,
    podCompleteDelayMs: TEST_POD_COMPLETE_DELAY_MS,
    onProgress: (l) => process.stderr.write(`[lab] ${l}\n`),
  });
  process.stderr.write(`[lab] shared lab ready in ${((performance.now() - t0) / 1000).toFixed(1)}s (${dir})\n`);
  project.provide('labDir', dir);
  return async () => {
    await stopLab(dir);
  };
}
