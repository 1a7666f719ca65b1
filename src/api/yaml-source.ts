/**
 * Config files (lab topology, agent and operator configuration) are read through this module so that every error
 * names the file, the line and the field: `examples/lab/default.yaml:14: sites[0].pools[1].nodes: must be ...`.
 * It uses the `yaml` package because it keeps source positions for every node, which js-yaml does not expose.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';

/** ConfigIssue is one problem found in a config file. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number | undefined;
  readonly path: string;
  readonly message: string;
}

/** ConfigError carries every issue found, formatted one per line. */
export class ConfigError extends Error {
  readonly code = 'InvalidConfig';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** formatIssue renders `file:line: path: message`. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  return i.path ? `${where}: ${i.path}: ${i.message}` : `${where}: ${i.message}`;
}

export type PathSegment = string | number;

/** pathString renders ['sites', 1, 'name'] as `sites[1].name`. */
export function pathString(path: readonly PathSegment[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

/** YamlSource is a parsed YAML file that can tell the line of any path in it. */
export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  private constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
    this.value = doc.toJS({ maxAliasCount: 100 });
  }

  /** parse reads YAML text; syntax errors (with their lines) throw a ConfigError. */
  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        doc.errors.map((e) => ({
          file,
          line: e.linePos?.[0]?.line,
          path: '',
          message: `invalid YAML: ${(e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')}`,
        })),
      );
    }
    return new YamlSource(file, doc, lines);
  }

  /** read loads and parses a file; a missing or unreadable file throws a ConfigError naming it. */
  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConfigError([{ file, line: undefined, path: '', message: `cannot read file: ${reason}` }]);
    }
    return YamlSource.parse(file, text);
  }

  /** lineOf returns the 1-based line where the value at path starts (or its nearest existing parent). */
  lineOf(path: readonly PathSegment[]): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.#lines.linePos(range[0]).line;
    }
    return undefined;
  }

  /** issue builds a ConfigIssue for path in this file. */
  issue(path: readonly PathSegment[], message: string): ConfigIssue {
    return { file: this.file, line: this.lineOf(path), path: pathString(path), message };
  }
}
