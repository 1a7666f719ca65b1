/**
 * Reads the relative imports of every TypeScript file under a source root and checks them against the layer rules
 * in layers.ts. Pure apart from readSourceImports, so the checker itself is tested on made-up graphs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** SourceImport is one relative import: the importing file and the imported file, both relative to the root. */
export interface SourceImport {
  readonly from: string;
  readonly to: string;
  /** line is the 1-based line of the import statement, for the error message. */
  readonly line: number;
}

/** LayerRules is what checkImports enforces (see layers.ts for the real ones). */
export interface LayerRules {
  readonly layers: Readonly<Record<string, readonly string[]>>;
  readonly sublayers: Readonly<Record<string, readonly string[]>>;
  readonly labEntryPoints: readonly string[];
}

// import … from '…', export … from '…', import('…'), vi.mock('…'): every way a file can reach another.
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bvi\.mock\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** parseImports returns the relative import specifiers of one file's text with their line numbers. */
export function parseImports(text: string): { readonly spec: string; readonly line: number }[] {
  const out: { spec: string; line: number }[] = [];
  for (const m of text.matchAll(IMPORT)) {
    out.push({ spec: m[2] ?? '', line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** readSourceImports walks `root` and returns every relative import of its .ts files, tests included. */
export function readSourceImports(root: string): SourceImport[] {
  const out: SourceImport[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const from = toPosix(relative(root, p));
        for (const { spec, line } of parseImports(readFileSync(p, 'utf8'))) {
          out.push({ from, to: toPosix(relative(root, resolve(dirname(p), spec))), line });
        }
      }
    }
  };
  walk(root);
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** layerOf is the top-level folder of a path relative to the root ('' for a file at the root). */
function layerOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/** sublayerOf is the longest sublayer folder that contains the file, if any. */
function sublayerOf(file: string, sublayers: Readonly<Record<string, readonly string[]>>): string | undefined {
  return Object.keys(sublayers)
    .filter((s) => file.startsWith(`${s}/`))
    .sort((a, b) => b.length - a.length)[0];
}

/** checkImports returns one message per import that points against the rules, naming the file, line and target. */
export function checkImports(imports: readonly SourceImport[], rules: LayerRules): string[] {
  const problems: string[] = [];
  for (const imp of imports) {
    const from = layerOf(imp.from);
    const to = layerOf(imp.to);
    const where = `${imp.from}:${imp.line} imports ${imp.to}`;
    if (to.startsWith('..')) {
      problems.push(`${where}: outside the source root`);
      continue;
    }
    const allowed = rules.layers[from];
    if (allowed === undefined) {
      problems.push(`${where}: folder '${from}' has no layer (add it to layers.ts)`);
      continue;
    }
    if (to === 'lab' && from !== 'lab') {
      if (!rules.labEntryPoints.includes(imp.from)) problems.push(`${where}: the product must not use the lab`);
      continue;
    }
    if (from !== to && !allowed.includes(to)) {
      problems.push(`${where}: ${from} may import only ${allowed.length === 0 ? 'itself' : allowed.join(', ')}`);
      continue;
    }
    const subFrom = sublayerOf(imp.from, rules.sublayers);
    const subTo = sublayerOf(imp.to, rules.sublayers);
    if (subFrom !== undefined && subTo !== undefined && subFrom !== subTo) {
      const subAllowed = rules.sublayers[subFrom] ?? [];
      if (!subAllowed.includes(subTo)) {
        problems.push(`${where}: ${subFrom} may import only ${subAllowed.length === 0 ? 'itself' : subAllowed.join(', ')} of its layer`);
      }
    }
  }
  return problems;
}
