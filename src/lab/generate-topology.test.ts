import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../api/yaml-source.ts';
import { REPO_ROOT } from './binaries.ts';
import { generateTopology, MAX_GENERATED_SITES } from './generate-topology.ts';
import { parseTopology } from './topology.ts';

const DEFAULT = readFileSync(join(REPO_ROOT, 'examples/lab/default.yaml'), 'utf8');

function parsed(text: string): ReturnType<typeof parseTopology> {
  return parseTopology(YamlSource.parse('generated.yaml', text));
}

describe('generateTopology', () => {
  it('repeats the template sites in turn, later rounds named <name>-<round>, and the lab reader accepts it', () => {
    const template = parsed(DEFAULT);
    const k = template.sites.length * 2 + 1;
    const t = parsed(generateTopology(DEFAULT, k, ['made by a test']));
    const names = template.sites.map((s) => s.name);
    expect(t.sites.map((s) => s.name)).toEqual([...names, ...names.map((n) => `${n}-2`), `${names[0]}-3`]);
    // A copy keeps everything but the name: pools, connection, site policy.
    expect(t.sites[template.sites.length]).toEqual({ ...template.sites[0], name: `${names[0]}-2` });
    expect(t.sites.filter((s) => s.connection === 'pull')).toHaveLength(template.sites.filter((s) => s.connection === 'pull').length * 2);
    expect(t.hub).toEqual(template.hub);
  });

  it('takes the first K sites when K is below the template size, and heads the text with the comment lines', () => {
    const text = generateTopology(DEFAULT, 1, ['one', 'two']);
    expect(text.startsWith('# one\n# two\n')).toBe(true);
    expect(parsed(text).sites.map((s) => s.name)).toEqual([parsed(DEFAULT).sites[0]?.name]);
  });

  it('refuses a count out of range and a template without sites', () => {
    expect(() => generateTopology(DEFAULT, 0)).toThrow(/from 1 to 200, not 0/);
    expect(() => generateTopology(DEFAULT, MAX_GENERATED_SITES + 1)).toThrow(/not 201/);
    expect(() => generateTopology(DEFAULT, 2.5)).toThrow(/whole number/);
    expect(() => generateTopology('hub: {name: hub}\nsites: []\n', 3)).toThrow(/no sites to repeat/);
  });
});
