import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles, REPO_ROOT, TYPES_FILE } from './generate.ts';
import { CATEGORY, crdName, Kind, Plural } from './names.ts';
import { mapList, obj, str, type Schema } from './schema/builders.ts';
import { KIND_DEFINITIONS } from './schema/kinds.ts';
import { renderCrd } from './schema/render-crd.ts';
import { renderTypes } from './schema/render-types.ts';

/** walk visits every schema node below s with its path. */
function walk(s: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(s, path);
  for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, `${path}.${k}`, visit);
  if (s.items) walk(s.items, `${path}[]`, visit);
  if (s.additionalProperties) walk(s.additionalProperties, `${path}{}`, visit);
}

function everyNode(visit: (s: Schema, path: string) => void): void {
  for (const def of KIND_DEFINITIONS) {
    walk(def.spec, `${def.kind}.spec`, visit);
    walk(def.status, `${def.kind}.status`, visit);
    if (def.name) walk(def.name, `${def.kind}.metadata.name`, visit);
  }
}

describe('generated files', () => {
  it('are up to date with the schema source', () => {
    const stale: string[] = [];
    for (const [path, want] of generatedFiles()) {
      const full = join(REPO_ROOT, path);
      if (!existsSync(full) || readFileSync(full, 'utf8') !== want) stale.push(path);
    }
    const generated = generatedFiles();
    for (const f of readdirSync(join(REPO_ROOT, 'crds'))) {
      if (!generated.has(`crds/${f}`)) stale.push(`crds/${f} (not generated)`);
    }
    expect(stale, 'crds/ is stale: run make crds').toEqual([]);
  });

  it('render the same bytes twice', () => {
    expect([...generatedFiles()]).toEqual([...generatedFiles()]);
  });

  it('include one CRD per kind and the types', () => {
    const paths = [...generatedFiles().keys()].sort();
    expect(paths).toEqual([...Object.values(Plural).map((p) => `crds/${p}.suanwang.io.yaml`), TYPES_FILE].sort());
    expect(generatedFiles().get(TYPES_FILE)).toMatch(/export interface TrainingJobSpec \{/);
  });
});

describe('schema source', () => {
  it('defines every kind of names.ts, once', () => {
    expect(KIND_DEFINITIONS.map((d) => d.kind).sort()).toEqual(Object.values(Kind).sort());
    for (const d of KIND_DEFINITIONS) expect(d.plural).toBe(Plural[d.kind]);
  });

  it('documents every property', () => {
    const undocumented: string[] = [];
    everyNode((s, path) => {
      if (s.description.trim().length < 8) undocumented.push(path);
    });
    expect(undocumented).toEqual([]);
  });

  it('bounds every list, map and free-form string that a CEL rule could iterate', () => {
    const unbounded: string[] = [];
    everyNode((s, path) => {
      if (s.type === 'array' && s.maxItems === undefined) unbounded.push(path);
      if (s.type === 'object' && s.additionalProperties && s.maxProperties === undefined) unbounded.push(path);
      if (s.type === 'string' && s.enum === undefined && s.format === undefined && s.maxLength === undefined) {
        unbounded.push(path);
      }
    });
    expect(unbounded).toEqual([]);
  });

  it('keeps defaults inside their own bounds and enums', () => {
    const bad: string[] = [];
    everyNode((s, path) => {
      const d = s.default;
      if (d === undefined) return;
      if (s.enum && !s.enum.includes(d as string)) bad.push(`${path}: ${String(d)} not in enum`);
      if (typeof d === 'number' && s.minimum !== undefined && d < s.minimum) bad.push(`${path}: below minimum`);
      if (typeof d === 'number' && s.maximum !== undefined && d > s.maximum) bad.push(`${path}: above maximum`);
      if (typeof d === 'string' && s.pattern && !new RegExp(s.pattern).test(d)) bad.push(`${path}: fails pattern`);
      if (s.type === 'object' && (typeof d !== 'object' || d === null)) bad.push(`${path}: not an object`);
    });
    expect(bad).toEqual([]);
  });

  it('gives every CEL rule a message, and a fieldPath that exists', () => {
    const bad: string[] = [];
    everyNode((s, path) => {
      for (const r of s['x-kubernetes-validations'] ?? []) {
        if (r.message.length < 10) bad.push(`${path}: short message`);
        if (r.fieldPath === undefined) continue;
        let node: Schema | undefined = s;
        for (const part of r.fieldPath.split('.').slice(1)) node = node?.properties?.[part];
        if (node === undefined) bad.push(`${path}: fieldPath ${r.fieldPath} does not exist`);
      }
    });
    expect(bad).toEqual([]);
  });
});

describe('CRDs', () => {
  it.each(KIND_DEFINITIONS)('$kind has a status subresource, short names and the suanwang category', (def) => {
    const crd = renderCrd(def) as {
      metadata: { name: string };
      spec: {
        names: { categories: string[]; shortNames: string[] };
        versions: Array<{ subresources: unknown; additionalPrinterColumns: Array<{ name: string }> }>;
      };
    };
    expect(crd.metadata.name).toBe(crdName(def.kind));
    expect(crd.spec.names.categories).toEqual([CATEGORY]);
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    const [version] = crd.spec.versions;
    expect(version?.subresources).toEqual({ status: {} });
    expect(version?.additionalPrinterColumns.at(-1)?.name).toBe('Age');
  });

  it('shows phase, site, variant and age for training jobs, ready replicas for inference services', () => {
    const columns = (kind: string): string[] =>
      KIND_DEFINITIONS.find((d) => d.kind === kind)?.printerColumns.filter((c) => !c.priority).map((c) => c.name) ?? [];
    expect(columns(Kind.TrainingJob)).toEqual(['Phase', 'Site', 'Variant', 'Age']);
    expect(columns(Kind.InferenceService)).toContain('Ready');
  });

  it('leaves the TypeScript-only fields out', () => {
    for (const [path, text] of generatedFiles()) {
      if (path.endsWith('.yaml')) expect(text).not.toMatch(/tsName|tsType/);
    }
  });
});

describe('builders', () => {
  it('refuse a required property that does not exist', () => {
    expect(() => obj('Broken', 'A broken object.', { a: str('A.', { maxLength: 1 }) }, { required: ['b'] })).toThrow(
      /required property "b"/,
    );
  });

  it('refuse a list-map key that is neither required nor defaulted', () => {
    const item = obj('Item', 'An item.', { name: str('Name.', { maxLength: 9 }) });
    expect(() => mapList('Items.', item, ['name'], { maxItems: 4 })).toThrow(/must be required or defaulted/);
  });

  it('refuse two different objects with one TypeScript name', () => {
    const a = obj('Same', 'First.', { x: str('X.', { maxLength: 1 }) });
    const b = obj('Same', 'Second.', { y: str('Y.', { maxLength: 1 }) });
    const def = { ...KIND_DEFINITIONS[0], spec: obj('S', 'Spec.', { a, b }) } as (typeof KIND_DEFINITIONS)[number];
    expect(() => renderTypes([def], '')).toThrow(/both named Same/);
  });
});
