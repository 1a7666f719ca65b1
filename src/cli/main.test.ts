import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { usage } from './main.ts';

const BIN = fileURLToPath(new URL('../../bin/suanwang.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'suanwang-main-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** loadedBy runs `suanwang ARGS` and returns the URL of every module it loaded (a module hook lists them at exit). */
function loadedBy(args: string[]): string[] {
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(urls) + '\\n'));
`,
  );
  const r = spawnSync(process.execPath, ['--import', hook, BIN, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  return JSON.parse(line?.slice('LOADED '.length) ?? '[]') as string[];
}

describe('suanwang', () => {
  it('lists every command in its help', () => {
    for (const name of ['lab', 'operator', 'agent', 'node-reporter', 'usage', 'what-if', 'sites', 'why', 'simulate', 'certs']) {
      expect(usage()).toContain(`\n  ${name} `);
    }
  });

  // The site agent's resident memory (bench/agent-footprint.bench.ts): it loads its own command's modules, not every
  // command's, and not @kubernetes/client-node, which it needs only for an unusual kubeconfig or pull mode.
  it("loads only the agent's modules for `agent`, and no @kubernetes/client-node", () => {
    const urls = loadedBy(['agent', '--help']);
    expect(urls.some((u) => u.endsWith('/src/cli/commands/agent.ts'))).toBe(true);
    const foreign = urls.filter((u) => /\/src\/cli\/commands\/(?!agent\.ts)|\/src\/(controllers|lab|placement|queueing)\/|@kubernetes\/client-node/.test(u));
    expect(foreign).toEqual([]);
  }, 30_000);
});
