// The layering of src/ stays true: every relative import points down the layers of layers.ts (README "Layout").
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, readSourceImports } from './import-graph.ts';
import { LAB_ENTRY_POINTS, LAYERS, SUBLAYERS } from './layers.ts';

const SRC = resolve(import.meta.dirname, '../../../src');

describe('src/ import direction', () => {
  it('has no import against the layers', () => {
    const imports = readSourceImports(SRC);
    expect(imports.length).toBeGreaterThan(500); // the walk found the tree, not an empty folder
    expect(checkImports(imports, { layers: LAYERS, sublayers: SUBLAYERS, labEntryPoints: LAB_ENTRY_POINTS })).toEqual([]);
  });
});
