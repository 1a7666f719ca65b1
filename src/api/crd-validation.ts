/**
 * The structural part of the apiserver's validation of a custom object against its CRD's openAPIV3Schema, for tests
 * that prove what the operator writes is accepted: they read the generated CRD from crds/ (not the schema source),
 * so a drift between the two, or between a normaliser and the CRD, fails a unit test instead of a status write.
 *
 * Checked: type, enum, pattern, minLength/maxLength, minimum/maximum, integer formats int32/int64, minItems/maxItems,
 * minProperties/maxProperties, required, unknown properties (the apiserver prunes them; here they are errors, since
 * a pruned field is a silently lost one), int-or-string (`anyOf` integer/string), and the uniqueness of `set` and
 * `map` lists. CEL rules (x-kubernetes-validations) are not evaluated: each one met is reported in `unevaluated`, so
 * a caller can insist there are none where it relies on this check alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

/** CrdSchema is an openAPIV3Schema node as crds/*.yaml hold it. */
export interface CrdSchema {
  readonly type?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, CrdSchema>>;
  readonly additionalProperties?: CrdSchema | boolean;
  readonly items?: CrdSchema;
  readonly anyOf?: readonly CrdSchema[];
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-validations'?: readonly unknown[];
}

/** CrdCheck is what validateAgainst found: violations, and the paths of CEL rules it could not evaluate. */
export interface CrdCheck {
  readonly errors: string[];
  readonly unevaluated: string[];
}

const INT32 = 2 ** 31 - 1;
/** The largest double not above int64's maximum (2^63 − 1 is not representable; 2^63 is already too big). */
const INT64 = 2 ** 63 - 1024;

/** readCrdSchema returns the openAPIV3Schema of crds/<plural>.suanwang.io.yaml under `root`, its one version. */
export function readCrdSchema(root: string, plural: string): CrdSchema {
  const crd = load(readFileSync(join(root, 'crds', `${plural}.suanwang.io.yaml`), 'utf8')) as {
    spec: { versions: Array<{ schema: { openAPIV3Schema: CrdSchema } }> };
  };
  const v = crd.spec.versions[0];
  if (v === undefined) throw new Error(`crds/${plural}.suanwang.io.yaml has no version`);
  return v.schema.openAPIV3Schema;
}

/** validateAgainst checks `value` against `schema`; paths in messages start at `path`. */
export function validateAgainst(value: unknown, schema: CrdSchema, path = ''): CrdCheck {
  const out: CrdCheck = { errors: [], unevaluated: [] };
  visit(value, schema, path, out);
  return out;
}

function visit(value: unknown, s: CrdSchema, path: string, out: CrdCheck): void {
  const err = (m: string): void => void out.errors.push(`${path || '<root>'}: ${m}`);
  if ((s['x-kubernetes-validations']?.length ?? 0) > 0) out.unevaluated.push(path || '<root>');
  if (s['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'string') return scalar(value, s, err);
    if (typeof value === 'number' && Number.isInteger(value)) return scalar(value, s, err);
    return err(`must be an integer or a string, got ${kind(value)}`);
  }
  switch (s.type) {
    case 'object':
      if (!isObject(value)) return err(`must be an object, got ${kind(value)}`);
      return object(value, s, path, out, err);
    case 'array':
      if (!Array.isArray(value)) return err(`must be an array, got ${kind(value)}`);
      return array(value, s, path, out, err);
    case 'string':
      if (typeof value !== 'string') return err(`must be a string, got ${kind(value)}`);
      return scalar(value, s, err);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return err(`must be an integer, got ${kind(value)}`);
      return scalar(value, s, err);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return err(`must be a finite number, got ${kind(value)}`);
      return scalar(value, s, err);
    case 'boolean':
      if (typeof value !== 'boolean') err(`must be a boolean, got ${kind(value)}`);
      return;
    default:
      if (s['x-kubernetes-preserve-unknown-fields'] !== true) err(`schema node has no type`);
  }
}

function object(value: Record<string, unknown>, s: CrdSchema, path: string, out: CrdCheck, err: (m: string) => void): void {
  const keys = Object.keys(value);
  for (const r of s.required ?? []) if (value[r] === undefined) err(`${r} is required`);
  if (s.minProperties !== undefined && keys.length < s.minProperties) err(`must have at least ${s.minProperties} properties`);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) err(`must have at most ${s.maxProperties} properties, has ${keys.length}`);
  for (const k of keys) {
    const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    const at = path === '' ? k : `${path}.${k}`;
    if (child !== undefined) visit(value[k], child, at, out);
    else if (s['x-kubernetes-preserve-unknown-fields'] !== true) out.errors.push(`${at}: unknown field (the apiserver would prune it)`);
  }
}

function array(value: unknown[], s: CrdSchema, path: string, out: CrdCheck, err: (m: string) => void): void {
  if (s.minItems !== undefined && value.length < s.minItems) err(`must have at least ${s.minItems} items`);
  if (s.maxItems !== undefined && value.length > s.maxItems) err(`must have at most ${s.maxItems} items, has ${value.length}`);
  value.forEach((item, i) => {
    if (s.items !== undefined) visit(item, s.items, `${path}[${i}]`, out);
  });
  const type = s['x-kubernetes-list-type'];
  if (type !== 'set' && type !== 'map') return;
  const keyOf = (item: unknown): string => {
    if (type === 'set') return JSON.stringify(item);
    const rec = isObject(item) ? item : {};
    return JSON.stringify((s['x-kubernetes-list-map-keys'] ?? []).map((k) => rec[k]));
  };
  const seen = new Set<string>();
  for (const item of value) {
    const k = keyOf(item);
    if (seen.has(k)) err(`duplicate ${type === 'set' ? 'value' : 'key'} ${k}`);
    seen.add(k);
  }
}

function scalar(value: string | number, s: CrdSchema, err: (m: string) => void): void {
  if (s.enum !== undefined && !s.enum.includes(value)) err(`must be one of ${s.enum.join(', ')}`);
  if (typeof value === 'string') {
    const n = [...value].length;
    if (s.minLength !== undefined && n < s.minLength) err(`must be at least ${s.minLength} characters`);
    if (s.maxLength !== undefined && n > s.maxLength) err(`must be at most ${s.maxLength} characters, has ${n}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) err(`must match ${s.pattern}`);
    if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) err('must be an RFC 3339 time');
    return;
  }
  if (s.minimum !== undefined && value < s.minimum) err(`must be at least ${s.minimum}, got ${value}`);
  if (s.maximum !== undefined && value > s.maximum) err(`must be at most ${s.maximum}, got ${value}`);
  if (s.format === 'int32' && Math.abs(value) > INT32) err(`must fit in int32, got ${value}`);
  if (s.format === 'int64' && Math.abs(value) > INT64) err(`must fit in int64, got ${value}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}
