import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KUEUE_NAMESPACE, kueueConfiguration, kueueConfigurationYaml, UPSTREAM_CLIENT_CONNECTION } from './config.ts';

const ports = { webhook: 40001, metrics: 40002, health: 40003 };

describe('kueueConfiguration', () => {
  it('puts every listener on loopback at its own port and the webhook certificate where the instance looks', () => {
    const c = kueueConfiguration({ ports, certDir: '/tmp/run/certs' });
    expect(c['webhook']).toEqual({ host: '127.0.0.1', port: 40001, certDir: '/tmp/run/certs' });
    expect(c['metrics']).toEqual({ bindAddress: '127.0.0.1:40002' });
    expect(c['health']).toEqual({ healthProbeBindAddress: '127.0.0.1:40003' });
  });

  it("keeps upstream's shipped client tuning and runs without leader election, cert rotation or the visibility server", () => {
    const c = kueueConfiguration({ ports, certDir: 'certs' });
    expect(c['clientConnection']).toEqual({ qps: 50, burst: 100 });
    expect(UPSTREAM_CLIENT_CONNECTION).toEqual({ qps: 50, burst: 100 });
    expect(c['leaderElection']).toEqual({ leaderElect: false });
    expect(c['internalCertManagement']).toEqual({ enable: false });
    expect(c['featureGates']).toEqual({ VisibilityOnDemand: false });
    expect(c['integrations']).toEqual({ frameworks: ['batch/job'] });
    expect(c['namespace']).toBe(KUEUE_NAMESPACE);
  });

  it('renders YAML that reads back as the same Configuration', () => {
    const text = kueueConfigurationYaml({ ports, certDir: 'certs' });
    expect(parse(text)).toEqual(kueueConfiguration({ ports, certDir: 'certs' }));
    expect(parse(text).apiVersion).toBe('config.kueue.x-k8s.io/v1beta2');
  });

  it('refuses a port out of range or two listeners on one port', () => {
    expect(() => kueueConfiguration({ ports: { ...ports, health: 0 }, certDir: 'c' })).toThrow(/ports\.health/);
    expect(() => kueueConfiguration({ ports: { ...ports, metrics: 40001 }, certDir: 'c' })).toThrow(/must differ/);
  });
});
