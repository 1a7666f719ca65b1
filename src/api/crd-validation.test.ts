import { describe, expect, it } from 'vitest';
import { readCrdSchema, validateAgainst, type CrdSchema } from './crd-validation.ts';
import { REPO_ROOT } from './generate.ts';

const POOLS: CrdSchema = {
  type: 'array',
  maxItems: 2,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
  items: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
      nodes: { type: 'integer', format: 'int32', minimum: 0 },
      capacity: { type: 'object', maxProperties: 1, additionalProperties: { 'x-kubernetes-int-or-string': true, pattern: '^[0-9]+$', minimum: 0 } },
    },
  },
};

describe('validateAgainst', () => {
  const cases: Array<{ name: string; value: unknown; want: string[] }> = [
    { name: 'a valid list', value: [{ name: 'cpu', nodes: 3, capacity: { cpu: '8' } }], want: [] },
    { name: 'a pattern', value: [{ name: 'GPU' }], want: ['[0].name: must match ^[a-z]+$'] },
    { name: 'a length', value: [{ name: 'abcdef' }], want: ['[0].name: must be at most 5 characters, has 6'] },
    { name: 'int32 and minimum', value: [{ name: 'a', nodes: 2 ** 31 }, { name: 'b', nodes: -1 }], want: ['[0].nodes: must fit in int32, got 2147483648', '[1].nodes: must be at least 0, got -1'] },
    { name: 'not a finite integer', value: [{ name: 'a', nodes: Number.NaN }], want: ['[0].nodes: must be an integer, got NaN'] },
    { name: 'too many items and duplicate keys', value: [{ name: 'a' }, { name: 'a' }, { name: 'b' }], want: ['<root>: must have at most 2 items, has 3', '<root>: duplicate key ["a"]'] },
    { name: 'a required key', value: [{}], want: ['[0]: name is required'] },
    { name: 'unknown fields', value: [{ name: 'a', colour: 'red' }], want: ['[0].colour: unknown field (the apiserver would prune it)'] },
    { name: 'int-or-string', value: [{ name: 'a', capacity: { cpu: '8x', gpu: 1 } }], want: ['[0].capacity: must have at most 1 properties, has 2', '[0].capacity.cpu: must match ^[0-9]+$'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(validateAgainst(c.value, POOLS).errors).toEqual(c.want);
    });
  }

  it('reports CEL rules it cannot evaluate', () => {
    const s: CrdSchema = { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""' }] } } };
    expect(validateAgainst({ a: 'x' }, s, 'spec')).toEqual({ errors: [], unevaluated: ['spec.a'] });
  });

  it('reads a generated CRD', () => {
    const site = readCrdSchema(REPO_ROOT, 'sites');
    expect(site.properties?.['status']?.properties?.['nodePools']?.type).toBe('array');
  });
});
