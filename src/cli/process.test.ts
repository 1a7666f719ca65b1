import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError } from './cli-error.ts';
import { loadKubeConfig, makeLogger, parseLogLevel, untilSignal } from './process.ts';

function kubeconfig(cluster: string, server: string, current = true): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: ${cluster}, cluster: {server: '${server}'}}]`,
    `users: [{name: ${cluster}-user, user: {token: t}}]`,
    `contexts: [{name: ${cluster}, context: {cluster: ${cluster}, user: ${cluster}-user}}]`,
    ...(current ? [`current-context: ${cluster}`] : []),
    '',
  ].join('\n');
}

function thrown(f: () => unknown): CliError {
  try {
    f();
  } catch (err: unknown) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('loadKubeConfig', () => {
  let dir: string;
  let flag: string;
  let fromEnv: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'suanwang-kubeconfig-'));
    flag = join(dir, 'flag.yaml');
    fromEnv = join(dir, 'env.yaml');
    writeFileSync(flag, kubeconfig('flag', 'https://flag.example:6443'));
    writeFileSync(fromEnv, kubeconfig('env', 'https://env.example:6443'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers --kubeconfig over $KUBECONFIG and the in-cluster account', () => {
    const kc = loadKubeConfig(flag, { KUBECONFIG: fromEnv, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(kc.getCurrentCluster()?.server).toBe('https://flag.example:6443');
  });

  it('prefers $KUBECONFIG over the in-cluster account', () => {
    const kc = loadKubeConfig(undefined, { KUBECONFIG: fromEnv, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(kc.getCurrentCluster()?.server).toBe('https://env.example:6443');
  });

  it('merges the files $KUBECONFIG lists', () => {
    const kc = loadKubeConfig(undefined, { KUBECONFIG: `${fromEnv}${delimiter}${flag}` });
    expect(kc.getClusters().map((c) => c.name)).toEqual(['env', 'flag']);
  });

  it('names the flag or the variable that could not be used (exit 1)', () => {
    const missing = join(dir, 'missing.yaml');
    const byFlag = thrown(() => loadKubeConfig(missing, {}));
    expect(byFlag.exitCode).toBe(1);
    expect(byFlag.message).toContain(`--kubeconfig ${missing}`);
    const byEnv = thrown(() => loadKubeConfig(undefined, { KUBECONFIG: missing }));
    expect(byEnv.exitCode).toBe(1);
    expect(byEnv.message).toContain(`$KUBECONFIG ${missing}`);
  });

  it('rejects a kubeconfig with no current cluster (exit 1)', () => {
    const none = join(dir, 'none.yaml');
    writeFileSync(none, kubeconfig('x', 'https://x.example:6443', false));
    const err = thrown(() => loadKubeConfig(none, {}));
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(none);
  });
});

describe('log levels', () => {
  it('defaults to info and rejects unknown levels as a flag error', () => {
    expect(parseLogLevel(undefined)).toBe('info');
    expect(parseLogLevel('debug')).toBe('debug');
    const err = thrown(() => parseLogLevel('loud'));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('--log-level');
  });

  it('builds a logger at the level on either stream', () => {
    expect(makeLogger('warn', 'stdout').level).toBe('warn');
    expect(makeLogger(undefined, 'stderr').level).toBe('info');
    expect(() => makeLogger('loud', 'stderr')).toThrow(CliError);
  });
});

describe('untilSignal', () => {
  // The handlers are called directly: emitting a real signal would reach the test runner's own handlers too.
  function added(before: readonly unknown[]): (signal: string) => void {
    const fresh = process.listeners('SIGTERM').filter((l) => !before.includes(l));
    expect(fresh).toHaveLength(1);
    return fresh[0] as (signal: string) => void;
  }

  afterEach(() => vi.restoreAllMocks());

  it('resolves with the first signal and exits with 1 on a second one', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const warn = vi.fn();
    const before = process.listeners('SIGTERM');
    const wait = untilSignal({ warn } as unknown as Logger);
    const on = added(before);
    on('SIGINT');
    await expect(wait.signal).resolves.toBe('SIGINT');
    expect(exit).not.toHaveBeenCalled();
    on('SIGTERM');
    expect(warn).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
    wait.dispose();
    expect(process.listeners('SIGTERM')).toEqual(before);
  });

  it('exits on a second signal without a logger too', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const before = process.listeners('SIGTERM');
    const wait = untilSignal();
    const on = added(before);
    on('SIGTERM');
    on('SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
    wait.dispose();
  });
});
