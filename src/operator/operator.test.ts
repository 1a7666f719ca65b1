import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabCertificates } from '../wire/certs.ts';
import type { SiteName } from '../wire/identity.ts';
import { Operator, OperatorConfigError, resolveOperatorConfig } from './operator.ts';
import { readServerTls } from './tls-dir.ts';

const LE = { namespace: 'suanwang-system', leaseName: 'suanwang-operator', identity: 'op-0' };

describe('resolveOperatorConfig', () => {
  it('applies the defaults', () => {
    expect(resolveOperatorConfig({ listen: '127.0.0.1:0' })).toEqual({
      leaseMs: 40_000,
      successThreshold: 2,
      heartbeatIntervalMs: 10_000,
      lostAfterMs: 300_000,
    });
  });

  it('accepts leader election with the default durations, and a health address', () => {
    expect(() => resolveOperatorConfig({ listen: '0.0.0.0:7443', healthListen: '0.0.0.0:8081', leaderElection: LE })).not.toThrow();
  });

  it('turns lost-after 0 into never', () => {
    expect(resolveOperatorConfig({ listen: '127.0.0.1:0', lostAfterMs: 0 })).not.toHaveProperty('lostAfterMs');
  });

  it.each([
    { name: 'bad listen', opts: { listen: 'nope' }, want: /host:port/ },
    { name: 'a lease shorter than two heartbeats', opts: { listen: 'localhost:1', leaseMs: 15_000 }, want: /twice the heartbeat/ },
    { name: 'zero threshold', opts: { listen: 'localhost:1', successThreshold: 0 }, want: /at least 1/ },
    { name: 'lost before the lease', opts: { listen: 'localhost:1', lostAfterMs: 30_000 }, want: /longer than the lease/ },
    { name: 'a bad health address', opts: { listen: 'localhost:1', healthListen: ':8081' }, want: /health listen address must be host:port/ },
    { name: 'a Lease namespace that is no DNS label', opts: { listen: 'localhost:1', leaderElection: { ...LE, namespace: 'Suanwang_System' } }, want: /namespace must be a DNS label/ },
    { name: 'a Lease name that is no DNS subdomain', opts: { listen: 'localhost:1', leaderElection: { ...LE, leaseName: 'op/1' } }, want: /lease name must be a DNS subdomain/ },
    { name: 'an operator namespace that is no DNS label', opts: { listen: 'localhost:1', namespace: 'Suanwang_System' }, want: /namespace must be a DNS label/ },
    { name: 'an empty identity', opts: { listen: 'localhost:1', leaderElection: { ...LE, identity: ' ' } }, want: /identity must not be empty/ },
    { name: 'a renew deadline past the lease', opts: { listen: 'localhost:1', leaderElection: { ...LE, leaseDurationMs: 5_000 } }, want: /shorter than the lease duration/ },
  ])('refuses $name', ({ opts, want }) => {
    expect(() => resolveOperatorConfig(opts)).toThrow(want);
  });
});

describe('readServerTls and start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'suanwang-operator-'));
    await writeLabCertificates(join(dir, 'good'), { sites: ['shanghai' as SiteName], serverNames: [], now: new Date() });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the three files', () => {
    const tls = readServerTls(join(dir, 'good'));
    expect(String(tls.certPem)).toContain('BEGIN CERTIFICATE');
  });

  it('names the missing file and how to mint lab ones', () => {
    expect(() => readServerTls(join(dir, 'absent'))).toThrow(/ca\.crt: no such file .*suanwang certs --dir/);
  });

  it('refuses a key that does not match the certificate', async () => {
    const bad = join(dir, 'bad');
    await writeLabCertificates(bad, { sites: ['shanghai' as SiteName], serverNames: [], now: new Date() });
    await copyFile(join(bad, 'shanghai.key'), join(bad, 'server.key'));
    expect(() => readServerTls(bad)).toThrow(OperatorConfigError);
  });

  it('fails start with a clear error before contacting the hub when TLS files are missing', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hub', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'hub', user: 'u' }],
      currentContext: 'c',
    });
    const op = new Operator({ kubeconfig: kc, listen: '127.0.0.1:0', tlsDir: join(dir, 'absent'), logger: pino({ level: 'silent' }) });
    await expect(op.start()).rejects.toBeInstanceOf(OperatorConfigError);
    await op.stop();
  });

  it('fails start with a clear error before contacting the hub when the revoked agent certificates file is missing', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hub', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'hub', user: 'u' }],
      currentContext: 'c',
    });
    const absent = join(dir, 'revoked-absent.txt');
    const op = new Operator({ kubeconfig: kc, listen: '127.0.0.1:0', tlsDir: join(dir, 'good'), revokedAgentCertificates: absent, logger: pino({ level: 'silent' }) });
    // Without the check, start would go on to wait for a hub that is not there.
    const started = Promise.race([op.start(), new Promise((resolve) => setTimeout(() => resolve('still starting'), 3000))]);
    await expect(started).rejects.toThrow(new OperatorConfigError(`--revoked-agent-certificates: cannot read ${absent}: no such file`));
    await op.stop();
  });
});
