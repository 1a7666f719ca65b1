/**
 * FieldReader validates a plain value parsed from a config file, field by field, collecting every issue with its
 * path and line instead of stopping at the first, so one run shows the user everything to fix.
 */
import { parseQuantity } from './quantity.ts';
import { ConfigError, type ConfigIssue, type PathSegment, type YamlSource } from './yaml-source.ts';

/** Obj is a parsed YAML mapping. */
export type Obj = Record<string, unknown>;
type Path = readonly PathSegment[];

/** DNS1123_LABEL is the Kubernetes name rule for labels and most object names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** FieldReader reads typed fields out of one YamlSource and collects an issue per bad field (see the module comment). */
export class FieldReader {
  readonly issues: ConfigIssue[] = [];
  readonly #src: YamlSource;

  constructor(src: YamlSource) {
    this.#src = src;
  }

  fail(path: Path, message: string): undefined {
    this.issues.push(this.#src.issue(path, message));
    return undefined;
  }

  /** throwIfIssues ends validation with a ConfigError listing every issue. */
  throwIfIssues(): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues);
  }

  /** object checks value is a mapping with no keys outside allowed. */
  object(value: unknown, path: Path, allowed: readonly string[]): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(path, `must be a mapping, got ${describe(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail([...path, key], `unknown field (allowed: ${allowed.join(', ')})`);
    }
    return value as Obj;
  }

  string(obj: Obj, key: string, path: Path, opts: { required?: boolean; pattern?: RegExp; hint?: string; oneOf?: readonly string[] } = {}): string | undefined {
    const v = obj[key];
    const p = [...path, key];
    if (v === undefined || v === null) return opts.required ? this.fail(p, 'is required') : undefined;
    if (typeof v !== 'string' || v === '') return this.fail(p, `must be a non-empty string, got ${describe(v)}`);
    if (opts.oneOf && !opts.oneOf.includes(v)) return this.fail(p, `must be one of ${opts.oneOf.join(', ')}, got "${v}"`);
    if (opts.pattern && !opts.pattern.test(v)) return this.fail(p, `"${v}" is not valid: ${opts.hint ?? `must match ${opts.pattern}`}`);
    return v;
  }

  int(obj: Obj, key: string, path: Path, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = obj[key];
    const p = [...path, key];
    if (v === undefined || v === null) return opts.required ? this.fail(p, 'is required') : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(p, `must be a whole number, got ${describe(v)}`);
    if (opts.min !== undefined && v < opts.min) return this.fail(p, `must be at least ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) return this.fail(p, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  number(obj: Obj, key: string, path: Path, opts: { required?: boolean; min?: number } = {}): number | undefined {
    const v = obj[key];
    const p = [...path, key];
    if (v === undefined || v === null) return opts.required ? this.fail(p, 'is required') : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(p, `must be a number, got ${describe(v)}`);
    if (opts.min !== undefined && v < opts.min) return this.fail(p, `must be at least ${opts.min}, got ${v}`);
    return v;
  }

  /** quantity reads a Kubernetes quantity ("96", "500m", "1Ti") and returns its value. */
  quantity(obj: Obj, key: string, path: Path, opts: { required?: boolean; min?: number } = {}): number | undefined {
    const v = obj[key];
    const p = [...path, key];
    if (v === undefined || v === null) return opts.required ? this.fail(p, 'is required') : undefined;
    const n = typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined;
    if (n === undefined) return this.fail(p, `must be a Kubernetes quantity such as "96", "500m" or "512Gi", got ${describe(v)}`);
    if (opts.min !== undefined && n < opts.min) return this.fail(p, `must be at least ${opts.min}, got ${String(v)}`);
    return n;
  }

  array(obj: Obj, key: string, path: Path, opts: { required?: boolean; nonEmpty?: boolean } = {}): unknown[] | undefined {
    const v = obj[key];
    const p = [...path, key];
    if (v === undefined || v === null) return opts.required ? this.fail(p, 'is required') : undefined;
    if (!Array.isArray(v)) return this.fail(p, `must be a list, got ${describe(v)}`);
    if (opts.nonEmpty && v.length === 0) return this.fail(p, 'must not be empty');
    return v;
  }

  stringList(obj: Obj, key: string, path: Path): string[] {
    const list = this.array(obj, key, path) ?? [];
    return list.flatMap((v, i) => (typeof v === 'string' && v !== '' ? [v] : (this.fail([...path, key, i], `must be a non-empty string, got ${describe(v)}`), [])));
  }

  /** stringMap reads a map of string to string, as Kubernetes labels are. */
  stringMap(obj: Obj, key: string, path: Path): Record<string, string> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    const m = this.object(v, [...path, key], Object.keys(v as object));
    if (!m) return {};
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(m)) {
      if (typeof val === 'string') out[k] = val;
      else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
      else this.fail([...path, key, k], `must be a string, got ${describe(val)}`);
    }
    return out;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v}"`;
  return `${typeof v} ${String(v)}`;
}
