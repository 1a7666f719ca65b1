import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { createToolRunner, failureReason, type ToolFailure } from './run-tool.ts';

describe('createToolRunner with real processes', () => {
  const run = createToolRunner({ timeoutMs: 5_000 });

  it('kills a process that runs past its deadline', async () => {
    const started = performance.now();
    const r = await run('sleep', ['5'], { timeoutMs: 100 });
    const took = performance.now() - started;
    expect(r).toMatchObject({ ok: false, kind: 'timeout', command: 'sleep', timeoutMs: 100 });
    expect(took).toBeLessThan(2_000);
  });

  it('reports a missing binary as not-found', async () => {
    const r = await run('suanwang-no-such-vendor-tool', ['--json']);
    expect(r).toMatchObject({ ok: false, kind: 'not-found', command: 'suanwang-no-such-vendor-tool' });
  });

  it('keeps the output of a non-zero exit', async () => {
    const r = await run('sh', ['-c', 'echo partial; echo oops >&2; exit 3']);
    expect(r).toEqual({ ok: false, kind: 'exit', command: 'sh', exitCode: 3, stdout: 'partial\n', stderr: 'oops\n' });
  });

  it('tells a signal it did not send from its own deadline', async () => {
    const r = await run('sh', ['-c', 'kill -9 $$']);
    expect(r).toMatchObject({ ok: false, kind: 'exit', exitCode: null, signal: 'SIGKILL' });
  });

  it('caps the output', async () => {
    const small = createToolRunner({ maxBufferBytes: 1_000 });
    const r = await small('head', ['-c', '100000', '/dev/zero']);
    expect(r).toEqual({ ok: false, kind: 'output-too-large', command: 'head', maxBufferBytes: 1_000 });
  });

  it('reports a file that cannot be executed as a spawn error', async () => {
    const r = await run(import.meta.filename, []);
    expect(r).toMatchObject({ ok: false, kind: 'spawn-error' });
  });

  it('returns stdout and stderr of a successful run, timed by the injected clock', async () => {
    let t = 1_000;
    const timed = createToolRunner({ now: () => (t += 250) });
    const r = await timed('sh', ['-c', 'printf "0, GPU-1\\n"; printf "note\\n" >&2']);
    expect(r).toEqual({ ok: true, stdout: '0, GPU-1\n', stderr: 'note\n', durationMs: 250 });
  });

  it('gives up on a process that outlives its kill (uninterruptible sleep) when the guard fires', async () => {
    // A fake clock moved past deadline + grace stands in for a kill that did not work, while execFile's own deadline
    // (real time) is far away.
    const clock = new FakeClock();
    const guarded = createToolRunner({ timeoutMs: 60_000, graceMs: 2_000, clock });
    const run = guarded('sleep', ['5']);
    clock.advance(61_999);
    expect(clock.pending()).toBe(1);
    clock.advance(1);
    expect(clock.pending()).toBe(0);
    expect(await run).toMatchObject({ ok: false, kind: 'timeout', timeoutMs: 60_000 });
  });
});

describe('failureReason', () => {
  const cases: Array<{ failure: ToolFailure; want: string }> = [
    { failure: { ok: false, kind: 'not-found', command: 'npu-smi', message: 'spawn npu-smi ENOENT' }, want: 'npu-smi not found (vendor tools not installed or not mounted into the collector)' },
    { failure: { ok: false, kind: 'timeout', command: 'nvidia-smi', timeoutMs: 10_000, stdout: '', stderr: '' }, want: 'nvidia-smi did not finish within 10000 ms and was killed' },
    {
      failure: { ok: false, kind: 'exit', command: 'nvidia-smi', exitCode: 9, stdout: 'Failed to initialize NVML: Driver/library version mismatch\n', stderr: '' },
      want: 'nvidia-smi exited with code 9: Failed to initialize NVML: Driver/library version mismatch',
    },
    { failure: { ok: false, kind: 'exit', command: 'cnmon', exitCode: null, signal: 'SIGSEGV', stdout: '', stderr: '' }, want: 'cnmon was killed by SIGSEGV' },
    { failure: { ok: false, kind: 'output-too-large', command: 'amd-smi', maxBufferBytes: 1024 }, want: 'amd-smi printed more than 1024 bytes and was killed' },
    { failure: { ok: false, kind: 'spawn-error', command: 'hy-smi', message: 'spawn hy-smi EACCES' }, want: 'hy-smi could not be started: spawn hy-smi EACCES' },
  ];
  it.each(cases)('$failure.kind', ({ failure, want }) => {
    expect(failureReason(failure)).toBe(want);
  });
});

describe('createToolRunner, arguments execFile refuses', () => {
  it('reports a spawn-error instead of throwing', async () => {
    const run = createToolRunner({ timeoutMs: 1000 });
    const r = await run('echo', ['bad\u0000arg']);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.kind).toBe('spawn-error');
  });
});
