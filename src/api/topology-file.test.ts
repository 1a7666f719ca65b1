import { describe, expect, it } from 'vitest';
import { parseTopologyFile, readTopologyFile, type TopologyLimits } from './topology-file.ts';
import { ConfigError, YamlSource } from './yaml-source.ts';

const LIMITS: TopologyLimits = { maxPoolNodes: 500 };
const parse = (text: string, limits = LIMITS) => parseTopologyFile(YamlSource.parse('topo.yaml', text), limits);

function errorsOf(text: string, limits = LIMITS): string[] {
  try {
    parse(text, limits);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const SITE = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
sites:
  - name: a
    region: r1
    pools:
      - name: gpu
        nodes: 2
        cpu: 32
        memory: 128Gi
        accelerator: { vendor: nvidia, model: NVIDIA H100 80GB HBM3, count: 8, memoryGiB: 80 }
`;

describe('topology file', () => {
  it('parses quantities, fills defaults and derives the resource name from the vendor', () => {
    const t = parse(SITE);
    expect(t.hub.name).toBe('hub');
    const site = t.sites[0];
    expect(site).toMatchObject({ name: 'a', region: 'r1', zone: undefined, provider: 'lab', currency: 'CNY', labels: {}, connection: 'push', sitePolicy: undefined });
    const pool = site?.pools[0];
    expect(pool).toMatchObject({ name: 'gpu', nodes: 2, cpu: 32, memory: 128 * 2 ** 30, architecture: 'amd64', labels: {}, taints: [] });
    expect(pool?.accelerator).toEqual({ vendor: 'nvidia', model: 'NVIDIA H100 80GB HBM3', count: 8, memoryGiB: 80, precisions: [], resourceName: 'nvidia.com/gpu', pricePerHour: undefined });
  });

  it('reads taints, labels, zone and provider', () => {
    const t = parse(SITE.replace('region: r1', 'region: r1\n    zone: z1\n    provider: p1').replace('cpu: 32', 'cpu: 32\n        labels: { tier: x }\n        taints: [{ key: k, effect: NoSchedule }]'));
    expect(t.sites[0]).toMatchObject({ zone: 'z1', provider: 'p1' });
    expect(t.sites[0]?.pools[0]).toMatchObject({ labels: { tier: 'x' }, taints: [{ key: 'k', value: undefined, effect: 'NoSchedule' }] });
  });

  it('reads a pull site with its site policy as written, leaving the policy fields to the agent', () => {
    const t = parse(SITE.replace('region: r1', 'region: r1\n    connection: pull\n    sitePolicy:\n      namespaces: [ml]\n      maxDevicesPerWorkload: 8'));
    expect(t.sites[0]).toMatchObject({ connection: 'pull', sitePolicy: { namespaces: ['ml'], maxDevicesPerWorkload: 8 } });
    expect(parse(SITE.replace('region: r1', 'region: r1\n    connection: push')).sites[0]?.connection).toBe('push');
    expect(parse(SITE.replace('region: r1', 'region: r1\n    connection: pull')).sites[0]).toMatchObject({ connection: 'pull', sitePolicy: undefined });
  });

  it('bounds a pool by the reader’s limit, naming file, line and field', () => {
    const big = SITE.replace('nodes: 2', 'nodes: 600');
    expect(errorsOf(big, { maxPoolNodes: 500 })).toEqual(['topo.yaml:8: sites[0].pools[0].nodes: must be at most 500, got 600']);
    expect(parse(big, { maxPoolNodes: 1000 }).sites[0]?.pools[0]?.nodes).toBe(600);
  });

  const bad: Array<{ name: string; text: string; want: RegExp }> = [
    { name: 'unknown field', text: SITE.replace('region: r1', 'region: r1\n    regoin: typo'), want: /^topo\.yaml:6: sites\[0\]\.regoin: unknown field/ },
    { name: 'duplicate site', text: SITE + SITE.slice(SITE.indexOf('  - name: a')), want: /^topo\.yaml:12: sites\[1\]\.name: duplicate site name "a" \(also sites\[0\]\)/ },
    { name: 'site named as the hub', text: 'hub: { name: a }\n' + SITE, want: /^topo\.yaml:5: sites\[0\]\.name: "a" is the hub's name; sites need other names/ },
    { name: 'negative count', text: SITE.replace('nodes: 2', 'nodes: -2'), want: /^topo\.yaml:8: sites\[0\]\.pools\[0\]\.nodes: must be at least 0, got -2/ },
    { name: 'unknown vendor', text: SITE.replace('vendor: nvidia', 'vendor: nvidea'), want: /^topo\.yaml:11: sites\[0\]\.pools\[0\]\.accelerator\.vendor: must be one of nvidia, huawei, amd, cambricon, hygon, got "nvidea"/ },
    { name: 'bad quantity', text: SITE.replace('memory: 128Gi', 'memory: 128GB'), want: /^topo\.yaml:10: sites\[0\]\.pools\[0\]\.memory: must be a Kubernetes quantity/ },
    { name: 'bad name', text: SITE.replace('name: a', 'name: Site_A'), want: /^topo\.yaml:4: sites\[0\]\.name: "Site_A" is not valid: use lower-case/ },
    { name: 'missing region', text: SITE.replace('    region: r1\n', ''), want: /^topo\.yaml:4: sites\[0\]\.region: is required/ },
    { name: 'no sites', text: 'sites: []\n', want: /^topo\.yaml:1: sites: must not be empty/ },
    { name: 'bad architecture', text: SITE.replace('cpu: 32', 'cpu: 32\n        architecture: riscv'), want: /architecture: must be one of amd64, arm64, got "riscv"/ },
    { name: 'bad taint effect', text: SITE.replace('cpu: 32', 'cpu: 32\n        taints: [{ key: k, effect: Nope }]'), want: /^topo\.yaml:10: sites\[0\]\.pools\[0\]\.taints\[0\]\.effect: must be one of NoSchedule/ },
    {
      name: 'unknown precision',
      text: SITE.replace('memoryGiB: 80 }', 'memoryGiB: 80, precisions: [fp8, FP16] }'),
      want: /^topo\.yaml:11: sites\[0\]\.pools\[0\]\.accelerator\.precisions\[1\]: must be one of fp64, .*, got "FP16"/,
    },
    { name: 'unknown connection', text: SITE.replace('region: r1', 'region: r1\n    connection: Pull'), want: /^topo\.yaml:6: sites\[0\]\.connection: must be one of push, pull, got "Pull"$/ },
    { name: 'connection not a string', text: SITE.replace('region: r1', 'region: r1\n    connection: [pull]'), want: /^topo\.yaml:6: sites\[0\]\.connection: must be a non-empty string/ },
    {
      name: 'site policy on a push site',
      text: SITE.replace('region: r1', 'region: r1\n    sitePolicy: { namespaces: [ml] }'),
      want: /^topo\.yaml:6: sites\[0\]\.sitePolicy: only a pull site \(connection: pull\) checks member objects against a site policy/,
    },
    {
      name: 'site policy that is not a mapping',
      text: SITE.replace('region: r1', 'region: r1\n    connection: pull\n    sitePolicy: [ml]'),
      want: /^topo\.yaml:7: sites\[0\]\.sitePolicy: must be a mapping: a site policy document \(docs\/site-policy\.md\)$/,
    },
    { name: 'YAML syntax', text: 'sites:\n  - name: [unclosed\n', want: /^topo\.yaml:\d+: invalid YAML/ },
    { name: 'duplicate key', text: SITE.replace('region: r1', 'region: r1\n    region: r2'), want: /^topo\.yaml:\d+: invalid YAML: .*unique/i },
  ];
  it.each(bad)('rejects $name naming file, line and field', ({ text, want }) => {
    const errors = errorsOf(text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => want.test(e)), errors.join('\n')).toBe(true);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(SITE.replace('nodes: 2', 'nodes: -1').replace('vendor: nvidia', 'vendor: x'));
    expect(errors).toHaveLength(2);
  });

  it('names the file when it cannot be read', () => {
    expect(() => readTopologyFile('/nonexistent/topo.yaml', LIMITS)).toThrow(/^\/nonexistent\/topo\.yaml: cannot read file/);
  });
});
