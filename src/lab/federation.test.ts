import { describe, expect, it } from 'vitest';
import { agentArgs, DEFAULT_TIMING, metricsUrl, nodeReporterArgs, operatorArgs } from './federation.ts';

describe('lab command lines', () => {
  it('give the operator, each agent and each node reporter a /metrics address of its own on loopback', () => {
    const op = operatorArgs({ kubeconfig: 'hub.kubeconfig', port: 7443, metricsPort: 9001, tlsDir: 'certs', timing: DEFAULT_TIMING });
    const agent = agentArgs({ site: 'east', kubeconfig: 'east.kubeconfig', operatorPort: 7443, metricsPort: 9002, tlsDir: 'certs' });
    const reporter = nodeReporterArgs({ site: 'east', kubeconfig: 'east.kubeconfig', topology: 't.yaml', faults: 'f.json', metricsPort: 9003, timing: DEFAULT_TIMING });
    expect([op, agent, reporter].map(metricsUrl)).toEqual(['http://127.0.0.1:9001/metrics', 'http://127.0.0.1:9002/metrics', 'http://127.0.0.1:9003/metrics']);
    expect(agent).toContain('--metrics-listen=127.0.0.1:9002');
  });

  it("makes a pull site's agent apply members, with the site's policy file when there is one", () => {
    const common = { site: 'west', kubeconfig: 'agent.kubeconfig', operatorPort: 7443, metricsPort: 9002, tlsDir: 'certs' };
    const flags = (args: string[]) => args.filter((a) => a.startsWith('--apply-members') || a.startsWith('--site-policy'));
    expect(flags(agentArgs(common))).toEqual([]);
    expect(flags(agentArgs({ ...common, pull: { sitePolicy: undefined } }))).toEqual(['--apply-members']);
    expect(flags(agentArgs({ ...common, pull: { sitePolicy: '/lab/clusters/west/site-policy.yaml' } }))).toEqual(['--apply-members', '--site-policy=/lab/clusters/west/site-policy.yaml']);
  });

  it('finds no /metrics URL in a command line that serves none', () => {
    expect(metricsUrl(['etcd', '--listen-metrics-urls='])).toBeUndefined();
  });
});
