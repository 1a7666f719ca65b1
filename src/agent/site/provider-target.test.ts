import { describe, expect, it } from 'vitest';
import type { ToolResult, ToolRunner } from '../devices/run-tool.ts';
import { fixture } from '../devices/test-fixtures.ts';
import { providerTarget } from './provider-target.ts';

const FIELDS = fixture('nvidia-smi_query_fields.txt').trim();
const HELP = `List of valid properties to query for the switch "--query-gpu=":\n\n${FIELDS.split(',')
  .map((f) => `"${f}"\nDescription.\n`)
  .join('\n')}`;
const QUERY = `nvidia-smi --query-gpu=${FIELDS} --format=csv,noheader,nounits`;
const ok = (stdout: string): ToolResult => ({ ok: true, stdout, stderr: '', durationMs: 1 });

/** scriptedRunner answers from a mutable table and records command lines. */
function scriptedRunner(answers: Map<string, ToolResult>): { runner: ToolRunner; lines: string[] } {
  const lines: string[] = [];
  const runner: ToolRunner = (command, args) => {
    const line = [command, ...args].join(' ');
    lines.push(line);
    return Promise.resolve(answers.get(line) ?? { ok: false, kind: 'not-found', command, message: 'ENOENT' });
  };
  return { runner, lines };
}

describe('providerTarget', () => {
  it('probes nvidia-smi query fields once, and again after a sample comes back Unknown', async () => {
    const answers = new Map([
      ['nvidia-smi --help-query-gpu', ok(HELP)],
      [QUERY, ok(fixture('nvidia-smi_8xH100_healthy.csv'))],
    ]);
    const { runner, lines } = scriptedRunner(answers);
    const target = providerTarget({ node: 'n1', provider: 'nvidia-smi', runner });
    expect(target.node).toBe('n1');

    expect((await target.collect('t1')).status).toBe('Ok');
    expect((await target.collect('t2')).status).toBe('Ok');
    expect(lines).toEqual(['nvidia-smi --help-query-gpu', QUERY, QUERY]);

    answers.set(QUERY, { ok: false, kind: 'timeout', command: 'nvidia-smi', timeoutMs: 10_000, stdout: '', stderr: '' });
    const blind = await target.collect('t3');
    expect(blind).toMatchObject({ status: 'Unknown', observedAt: 't3' });
    lines.length = 0;
    answers.set(QUERY, ok(fixture('nvidia-smi_8xH100_healthy.csv')));
    expect((await target.collect('t4')).status).toBe('Ok');
    expect(lines).toEqual(['nvidia-smi --help-query-gpu', QUERY]);
  });

  it('reports a missing tool as Unknown, never healthy', async () => {
    const { runner } = scriptedRunner(new Map());
    const r = await providerTarget({ node: 'n1', provider: 'npu-smi', runner, toolPath: '/host/npu-smi' }).collect('t');
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toContain('/host/npu-smi');
  });
});
