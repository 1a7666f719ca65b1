import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../api/yaml-source.ts';
import { parseSitePolicy } from './site-policy-file.ts';
import { DEFAULT_SITE_POLICY } from './site-policy.ts';

const FILE = '/etc/suanwang/site-policy.yaml';

describe('parseSitePolicy', () => {
  it('reads every field', () => {
    const text = [
      'namespaces: [ml, "team-*"]',
      'images:',
      '  - registry.example.com/llm',
      '  - nginx',
      'maxDevicesPerWorkload: 16',
      'pods:',
      '  privileged: false',
      '  hostPath: true',
      '  hostNamespaces: false',
      '  hostPorts: true',
      '  capabilities: [cap_net_bind_service]',
      '',
    ].join('\n');
    expect(parseSitePolicy(text, FILE)).toEqual({
      namespaces: ['ml', 'team-*'],
      images: [
        { registry: 'registry.example.com', path: 'llm' },
        { registry: 'docker.io', path: 'library/nginx' },
      ],
      maxDevicesPerWorkload: 16,
      pods: { privileged: false, hostPath: true, hostNamespaces: false, hostPorts: true, capabilities: ['NET_BIND_SERVICE'] },
    });
  });

  it.each([
    { name: 'an empty mapping', text: '{}', want: DEFAULT_SITE_POLICY },
    { name: 'JSON, as a chart may render it', text: '{"namespaces": [], "images": ["*"], "maxDevicesPerWorkload": null}', want: { ...DEFAULT_SITE_POLICY, namespaces: [] } },
    { name: '"*" among other images', text: 'images: [registry.example.com, "*"]', want: DEFAULT_SITE_POLICY },
    { name: 'empty lists, which allow nothing', text: 'namespaces: []\nimages: []\nmaxDevicesPerWorkload: 0', want: { ...DEFAULT_SITE_POLICY, namespaces: [], images: [], maxDevicesPerWorkload: 0 } },
    { name: 'pods with one field', text: 'pods: { hostPorts: true }', want: { ...DEFAULT_SITE_POLICY, pods: { ...DEFAULT_SITE_POLICY.pods, hostPorts: true } } },
  ])('reads $name, defaults for the rest', ({ text, want }) => {
    expect(parseSitePolicy(text, FILE)).toEqual(want);
  });

  it.each([
    { name: 'an empty document', text: '', wantError: `${FILE}: must be a mapping, got null` },
    { name: 'a list', text: '- ml\n', wantError: `${FILE}:1: must be a mapping, got a list` },
    { name: 'an unknown field', text: 'namespaces: [ml]\nregistries: [x]\n', wantError: `${FILE}:2: registries: unknown field (allowed: namespaces, images, maxDevicesPerWorkload, pods)` },
    { name: 'a bad namespace', text: 'namespaces:\n  - ml\n  - Team_A\n', wantError: `${FILE}:3: namespaces[1]: "Team_A" is not a namespace name, a "<prefix>*" pattern or "*"` },
    { name: 'a star inside a namespace', text: 'namespaces: ["t*m"]\n', wantError: 'namespaces[0]: "t*m" is not a namespace name' },
    { name: 'a namespace listed twice', text: 'namespaces: [ml, ml]\n', wantError: 'namespaces[1]: "ml" is listed twice' },
    { name: 'namespaces not a list', text: 'namespaces: ml\n', wantError: `${FILE}:1: namespaces: must be a list, got "ml"` },
    { name: 'an image with a tag', text: 'images:\n  - registry.example.com/llm/train:1.0\n', wantError: `${FILE}:2: images[0]: "registry.example.com/llm/train:1.0" names a tag or digest` },
    { name: 'an image with a wildcard', text: 'images: ["registry.example.com/*"]\n', wantError: 'images[0]: "registry.example.com/*" a prefix already covers everything under it' },
    { name: 'an image that is not a string', text: 'images: [42]\n', wantError: 'images[0]: must be a non-empty string, got number 42' },
    { name: 'a negative device cap', text: 'maxDevicesPerWorkload: -1\n', wantError: `${FILE}:1: maxDevicesPerWorkload: must be at least 0, got -1` },
    { name: 'a fractional device cap', text: 'maxDevicesPerWorkload: 1.5\n', wantError: 'maxDevicesPerWorkload: must be a whole number, got number 1.5' },
    { name: 'a device cap as a string', text: 'maxDevicesPerWorkload: "8"\n', wantError: 'maxDevicesPerWorkload: must be a whole number, got "8"' },
    { name: 'a flag that is not a boolean', text: 'pods:\n  privileged: "yes"\n', wantError: `${FILE}:2: pods.privileged: must be true or false, got "yes"` },
    { name: 'an unknown pods field', text: 'pods:\n  hostPID: true\n', wantError: `${FILE}:2: pods.hostPID: unknown field (allowed: privileged, hostPath, hostNamespaces, hostPorts, capabilities)` },
    { name: 'a bad capability', text: 'pods:\n  capabilities: [NET_ADMIN, "net admin"]\n', wantError: 'pods.capabilities[1]: "net admin" is not a Linux capability name' },
    { name: 'invalid YAML', text: 'namespaces: [ml\n', wantError: `${FILE}:` },
  ])('refuses $name, naming file, line and field', ({ text, wantError }) => {
    expect(() => parseSitePolicy(text, FILE)).toThrow(ConfigError);
    expect(() => parseSitePolicy(text, FILE)).toThrow(wantError);
  });

  it('reports every bad field at once', () => {
    const text = 'namespaces: [ok, "NO"]\nimages: ["a:b/c"]\nmaxDevicesPerWorkload: -2\npods: { privileged: 1 }\n';
    let error: unknown;
    try {
      parseSitePolicy(text, FILE);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => [i.line, i.path])).toEqual([
      [1, 'namespaces[1]'],
      [2, 'images[0]'],
      [3, 'maxDevicesPerWorkload'],
      [4, 'pods.privileged'],
    ]);
  });
});
