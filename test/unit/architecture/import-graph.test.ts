// The checker itself, on made-up graphs: it must fail on a back arrow, or the real test below proves nothing.
import { describe, expect, it } from 'vitest';
import { checkImports, parseImports, type LayerRules, type SourceImport } from './import-graph.ts';

const rules: LayerRules = {
  layers: { api: [], runtime: ['api'], controllers: ['api', 'runtime'], cli: ['api', 'runtime', 'controllers'], lab: ['api', 'runtime', 'controllers'] },
  sublayers: { 'controllers/framework': [], 'controllers/training': ['controllers/framework'], 'controllers/inference': ['controllers/framework'] },
  labEntryPoints: ['cli/commands/lab.ts'],
};
const imp = (from: string, to: string): SourceImport => ({ from, to, line: 3 });

describe('checkImports', () => {
  it('accepts arrows that point down the layers and within a folder', () => {
    expect(checkImports([imp('runtime/a.ts', 'api/b.ts'), imp('controllers/training/x.ts', 'controllers/framework/y.ts'), imp('api/a.ts', 'api/schema/b.ts')], rules)).toEqual([]);
  });

  it('fails on a back arrow, naming the file, the line and the import', () => {
    expect(checkImports([imp('runtime/work-queue.ts', 'controllers/x.ts')], rules)).toEqual([
      'runtime/work-queue.ts:3 imports controllers/x.ts: runtime may import only api',
    ]);
  });

  it('fails when one workload controller reaches into another, or the framework into either', () => {
    const problems = checkImports([imp('controllers/inference/a.ts', 'controllers/training/b.ts'), imp('controllers/framework/a.ts', 'controllers/training/b.ts')], rules);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('controllers/inference may import only controllers/framework');
    expect(problems[1]).toContain('controllers/framework may import only itself');
  });

  it('lets only the named entry points use the lab', () => {
    expect(checkImports([imp('cli/commands/lab.ts', 'lab/lab.ts')], rules)).toEqual([]);
    expect(checkImports([imp('controllers/a.ts', 'lab/topology.ts')], rules)).toEqual(['controllers/a.ts:3 imports lab/topology.ts: the product must not use the lab']);
  });

  it('fails on a folder without a layer and on an import that leaves the root', () => {
    expect(checkImports([imp('misc/a.ts', 'api/b.ts'), imp('api/a.ts', '../test/x.ts')], rules)).toHaveLength(2);
  });
});

describe('parseImports', () => {
  it('finds static, re-export, dynamic and mocked imports with their lines, and skips packages', () => {
    const text = ["import { a } from './a.ts';", "export * from '../b.ts';", "import type { C } from 'node:fs';", "await import('./d.ts');", "vi.mock('../e.ts');", "import './f.ts';"].join('\n');
    expect(parseImports(text)).toEqual([
      { spec: './a.ts', line: 1 },
      { spec: '../b.ts', line: 2 },
      { spec: './d.ts', line: 4 },
      { spec: '../e.ts', line: 5 },
      { spec: './f.ts', line: 6 },
    ]);
  });
});
