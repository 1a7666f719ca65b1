/**
 * What an agent reports, checked against the Site CRD before it reaches the hub. An agent is another party's
 * software: one value the apiserver refuses — a node label `suanwang.io/pool=GPU_Pool` (a valid label value, not a
 * valid pool name), a 129th pool, a count beyond int32 — fails the whole status write, and with it the liveness
 * conditions in the same write, so a site that then dies stays Ready and nothing fails over. So every reported value
 * is checked here, and a bad part is dropped or clamped, never written raw; each problem is counted and the first
 * few are named in the Site's ReportAccepted condition (site-status.ts).
 *
 * The bounds are read from the schema source the CRD is generated from (src/api/schema/site.ts), not restated:
 * a pool's fields are checked by walking the NodePool schema node, so a new field or a changed bound is checked
 * without touching this file, and site-status.test.ts validates the result against the generated CRD in crds/.
 * What is dropped: a value of the wrong type, outside an enum, over maxLength, not matching a pattern, a quantity that
 * is not finite or not below 2^63 (the CRD's pattern alone lets `1e400` through, and placement would read Infinity),
 * a map entry beyond maxProperties or whose key is no resource name, a list item beyond maxItems or repeating a key;
 * an object losing a required field goes with it. What is clamped: an integer outside its minimum/maximum or its
 * int32/int64 format. Stricter than the CRD in two places, on purpose: resource-name keys and quantity strings of at
 * most 64 characters, as Kubernetes itself only ever writes.
 *
 * Cost stays bounded however much is sent: pools are chosen by name with a bounded selection before any is mapped,
 * and only the first few problems are kept (with a count), so a report of 50,000 pools maps 128 of them; likewise a
 * pool's free shape is cut to the CRD's bucket bound before it is mapped (pool-status.ts). A shape bucket that loses a
 * value is dropped whole, and counts are only ever clamped down to int32: what is written may under-state free
 * capacity, never over-state it (placement fits gangs against it).
 */
import type { NodePool } from '../../api/generated/types.ts';
import { Reason } from '../../api/names.ts';
import { parseQuantity } from '../../api/quantity.ts';
import type { Schema } from '../../api/schema/builders.ts';
import { SITE } from '../../api/schema/site.ts';
import type { NodePoolOut } from '../../wire/messages.ts';
import { nodePoolStatus } from './pool-status.ts';

/** ProblemReason is the class of a problem: the ReportAccepted reason when it comes first. */
export type ProblemReason =
  | typeof Reason.InvalidPoolName
  | typeof Reason.TooManyPools
  | typeof Reason.ValueTooLong
  | typeof Reason.ValueOutOfRange
  | typeof Reason.InvalidQuantity
  | typeof Reason.InvalidValue;

/** RANK orders problems: a dropped pool first, then what went missing from kept ones. */
const RANK: readonly ProblemReason[] = [
  Reason.InvalidPoolName,
  Reason.TooManyPools,
  Reason.ValueTooLong,
  Reason.ValueOutOfRange,
  Reason.InvalidQuantity,
  Reason.InvalidValue,
];

/** ReportProblem is one thing dropped or clamped: where, and what was done. */
export interface ReportProblem {
  readonly reason: ProblemReason;
  /** path into the status, e.g. `nodePools[h100].capacity.cpu`. */
  readonly path: string;
  readonly detail: string;
}

/**
 * ReportProblems counts problems and keeps the first `keep` in a fixed order (class, then path): the same report
 * gives the same message, whatever order the agent sent it in, in memory bounded by `keep`.
 */
export class ReportProblems {
  readonly #keep: number;
  readonly #first: ReportProblem[] = [];
  #count = 0;

  constructor(keep = 5) {
    this.#keep = keep;
  }

  add(reason: ProblemReason, path: string, detail: string): void {
    this.#count++;
    insertBounded(this.#first, { reason, path, detail }, this.#keep, compareProblems);
  }

  /** count is every problem added. */
  get count(): number {
    return this.#count;
  }

  /** first are the first problems in order, at most `keep`. */
  get first(): readonly ReportProblem[] {
    return this.#first;
  }
}

/** CheckedReport is the report as it may be written, and what was done to it. */
export interface CheckedReport {
  readonly nodePools: NodePool[];
  readonly problems: ReportProblems;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`report-check: the Site schema has no ${what}; the report checks read their bounds from it`);
  return v;
}

const STATUS = SITE.status;
const POOLS = need(STATUS.properties?.['nodePools'], 'status.nodePools');
const POOL = need(POOLS.items, 'status.nodePools items');
const POOL_NAME = need(POOL.properties?.['name'], 'status.nodePools[].name');
const FREE_SHAPE = need(POOL.properties?.['freeShape'], 'status.nodePools[].freeShape');
/** MAX_SHAPE_BUCKETS is the CRD's maxItems for a pool's freeShape; pool-status.ts maps no more than that. */
const MAX_SHAPE_BUCKETS = need(FREE_SHAPE.maxItems, 'status.nodePools[].freeShape maxItems');
const AGENT_VERSION = need(STATUS.properties?.['agentVersion'], 'status.agentVersion');
/** MAX_POOLS is the CRD's maxItems for status.nodePools. */
export const MAX_POOLS = need(POOLS.maxItems, 'status.nodePools maxItems');

const INT32_MAX = 2 ** 31 - 1;
/** 2^63: the first value beyond int64 (2^63 − 1 itself is not a double). */
const INT64_LIMIT = 2 ** 63;
const QUANTITY_MAX_LENGTH = 64;
/** A Kubernetes resource name: an optional DNS-subdomain prefix and "/", then a name (cpu, nvidia.com/gpu). */
const RESOURCE_NAME = /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const RESOURCE_NAME_MAX = 253 + 1 + 63;

/**
 * checkPools turns the reported pools into what may be written: pools whose name is no valid pool name are dropped,
 * at most MAX_POOLS are kept (the first in name order), each is mapped (pool-status.ts) and its fields checked.
 * The result is in name order.
 */
export function checkPools(pools: Iterable<NodePoolOut>, problems: ReportProblems): NodePool[] {
  const kept: NodePoolOut[] = [];
  const byName = (a: NodePoolOut, b: NodePoolOut): number => compareStrings(a.name ?? '', b.name ?? '');
  const names = new Set<string>();
  let valid = 0;
  for (const p of pools) {
    const name = p.name ?? '';
    if (name === '') continue; // nameless pools were always dropped silently: there is nothing to name
    const bad = stringProblem(name, POOL_NAME);
    if (bad !== undefined) {
      const rule = `a pool name is a DNS-1123 label: lower case, digits and "-", at most ${POOL_NAME.maxLength ?? 63} characters`;
      problems.add(Reason.InvalidPoolName, `nodePools[${quote(name)}]`, `the name ${bad.detail} (${rule}): dropped`);
      continue;
    }
    if (names.has(name)) {
      problems.add(Reason.InvalidValue, `nodePools[${name}]`, `pool ${name} reported twice: the first kept`);
      continue;
    }
    names.add(name);
    valid++;
    const evicted = insertBounded(kept, p, MAX_POOLS, byName);
    if (evicted !== undefined) names.delete(evicted.name ?? '');
  }
  if (valid > MAX_POOLS) {
    problems.add(Reason.TooManyPools, 'nodePools', `${valid} pools reported, at most ${MAX_POOLS} are kept (the first by name): ${valid - MAX_POOLS} dropped`);
  }
  const out: NodePool[] = [];
  for (const p of kept) {
    const mapped = nodePoolStatus(p);
    if (mapped === undefined) continue;
    const buckets = p.freeShape?.buckets?.length ?? 0;
    if (buckets > MAX_SHAPE_BUCKETS) {
      // pool-status.ts kept the first ones; the rest is free capacity not offered, never capacity invented.
      problems.add(Reason.ValueOutOfRange, `nodePools[${mapped.name}].freeShape`, `${buckets} buckets, at most ${MAX_SHAPE_BUCKETS} kept (the first)`);
    }
    const checked = sanitize(mapped, POOL, `nodePools[${mapped.name}]`, problems);
    if (checked !== undefined) out.push(checked as NodePool);
  }
  return out;
}

/** checkAgentVersion returns the version if the CRD takes it, else undefined (and a problem). */
export function checkAgentVersion(version: string, problems: ReportProblems): string | undefined {
  return sanitize(version, AGENT_VERSION, 'agentVersion', problems) as string | undefined;
}

/**
 * sanitize returns `value` with every part that `s` refuses dropped or clamped, or undefined when the value itself
 * is dropped; each problem is added to `problems`.
 */
function sanitize(value: unknown, s: Schema, path: string, problems: ReportProblems): unknown {
  if (s['x-kubernetes-int-or-string'] === true) return quantity(value, s, path, problems);
  switch (s.type) {
    case 'object':
      return object(value, s, path, problems);
    case 'array':
      return array(value, s, path, problems);
    case 'string': {
      if (typeof value !== 'string') return drop(problems, Reason.InvalidValue, path, `not a string`);
      const bad = stringProblem(value, s);
      return bad === undefined ? value : drop(problems, bad.reason, path, `${quote(value)} ${bad.detail}`);
    }
    case 'integer':
    case 'number':
      return numeric(value, s, path, problems);
    case 'boolean':
      return typeof value === 'boolean' ? value : drop(problems, Reason.InvalidValue, path, 'not a boolean');
    default:
      return drop(problems, Reason.InvalidValue, path, 'has no schema');
  }
}

function object(value: unknown, s: Schema, path: string, problems: ReportProblems): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return drop(problems, Reason.InvalidValue, path, 'not an object');
  const out: Record<string, unknown> = {};
  let entries = 0;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const at = `${path}.${k}`;
    const child = s.properties?.[k] ?? s.additionalProperties;
    if (child === undefined) {
      problems.add(Reason.InvalidValue, at, 'not a field of the Site status: dropped');
      continue;
    }
    if (s.properties?.[k] === undefined) {
      // A map entry (a resource list): the key is data too.
      if (k.length > RESOURCE_NAME_MAX || !RESOURCE_NAME.test(k)) {
        problems.add(Reason.InvalidValue, `${path}[${quote(k)}]`, 'not a resource name: dropped');
        continue;
      }
      if (s.maxProperties !== undefined && entries >= s.maxProperties) {
        problems.add(Reason.ValueOutOfRange, at, `beyond the ${s.maxProperties} entries kept: dropped`);
        continue;
      }
    }
    const checked = sanitize(v, child, at, problems);
    if (checked === undefined) continue;
    out[k] = checked;
    entries++;
  }
  for (const r of s.required ?? []) {
    if (out[r] === undefined) return drop(problems, Reason.InvalidValue, path, `lost its required ${r}`);
  }
  if (s.additionalProperties !== undefined && s.properties === undefined && entries === 0 && Object.keys(value).length > 0) {
    // Every entry was refused: an empty map would claim "reported, and nothing" where nothing usable was reported.
    return undefined;
  }
  return out;
}

function array(value: unknown, s: Schema, path: string, problems: ReportProblems): unknown[] | undefined {
  if (!Array.isArray(value)) return drop(problems, Reason.InvalidValue, path, 'not a list');
  const out: unknown[] = [];
  const keys = new Set<string>();
  const listType = s['x-kubernetes-list-type'];
  for (let i = 0; i < value.length; i++) {
    const at = `${path}[${i}]`;
    if (s.maxItems !== undefined && out.length >= s.maxItems) {
      problems.add(Reason.ValueOutOfRange, path, `${value.length} items, at most ${s.maxItems} kept`);
      break;
    }
    const item = s.items === undefined ? undefined : sanitize(value[i], s.items, at, problems);
    if (item === undefined) continue;
    if (listType === 'set' || listType === 'map') {
      const key = listType === 'set' ? JSON.stringify(item) : JSON.stringify((s['x-kubernetes-list-map-keys'] ?? []).map((k) => (item as Record<string, unknown>)[k]));
      if (keys.has(key)) {
        problems.add(Reason.InvalidValue, at, 'repeats an earlier item: dropped');
        continue;
      }
      keys.add(key);
    }
    out.push(item);
  }
  if (s.minItems !== undefined && out.length < s.minItems) return drop(problems, Reason.InvalidValue, path, `fewer than ${s.minItems} items`);
  return out;
}

function numeric(value: unknown, s: Schema, path: string, problems: ReportProblems): number | undefined {
  const integer = s.type === 'integer';
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return drop(problems, Reason.InvalidValue, path, `${String(value)} is not ${integer ? 'an integer' : 'a finite number'}`);
  }
  const formatMax = s.format === 'int32' ? INT32_MAX : s.format === 'int64' || integer ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE;
  const lo = Math.max(s.minimum ?? -formatMax, -formatMax - (s.format === 'int32' ? 1 : 0));
  const hi = Math.min(s.maximum ?? formatMax, formatMax);
  if (value >= lo && value <= hi) return value;
  const clamped = value < lo ? lo : hi;
  problems.add(Reason.ValueOutOfRange, path, `${value} is outside [${lo}, ${hi}]: clamped to ${clamped}`);
  return clamped;
}

function quantity(value: unknown, s: Schema, path: string, problems: ReportProblems): string | number | undefined {
  const minimum = s.minimum ?? 0;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= minimum) return value;
    return drop(problems, Reason.InvalidQuantity, path, `${value} is not a whole number from ${minimum} to 2^53`);
  }
  if (typeof value !== 'string') return drop(problems, Reason.InvalidQuantity, path, 'not a quantity');
  if (value.length > QUANTITY_MAX_LENGTH) return drop(problems, Reason.ValueTooLong, path, `a quantity of ${value.length} characters, at most ${QUANTITY_MAX_LENGTH}`);
  const n = parseQuantity(value);
  const shaped = s.pattern === undefined || pattern(s.pattern).test(value);
  if (!shaped || n === undefined || !Number.isFinite(n) || n < minimum || n >= INT64_LIMIT) {
    return drop(problems, Reason.InvalidQuantity, path, `${quote(value)} is not a finite quantity from ${minimum} to below 2^63`);
  }
  return value;
}

/** stringProblem says why the CRD would refuse `value` for `s`, or undefined when it would take it. */
function stringProblem(value: string, s: Schema): { reason: ProblemReason; detail: string } | undefined {
  const length = codePoints(value);
  if (s.maxLength !== undefined && length > s.maxLength) return { reason: Reason.ValueTooLong, detail: `has ${length} characters, at most ${s.maxLength}` };
  if (s.minLength !== undefined && length < s.minLength) return { reason: Reason.InvalidValue, detail: `has fewer than ${s.minLength} characters` };
  if (s.enum !== undefined && !s.enum.includes(value)) return { reason: Reason.InvalidValue, detail: `is not one of ${s.enum.join(', ')}` };
  if (s.pattern !== undefined && !pattern(s.pattern).test(value)) return { reason: Reason.InvalidValue, detail: 'has characters the API does not allow there' };
  return undefined;
}

/** codePoints counts as the apiserver does (characters, not UTF-16 units), without building an array. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

const PATTERNS = new Map<string, RegExp>();

/** pattern compiles a schema pattern once: a report may hold tens of thousands of values to test. */
function pattern(source: string): RegExp {
  let re = PATTERNS.get(source);
  if (re === undefined) {
    re = new RegExp(source, 'u');
    PATTERNS.set(source, re);
  }
  return re;
}

function drop(problems: ReportProblems, reason: ProblemReason, path: string, detail: string): undefined {
  problems.add(reason, path, `${detail}: dropped`);
  return undefined;
}

/** quote shows an agent's string in a message: JSON-escaped, and cut to 40 characters (it may be huge). */
function quote(s: string): string {
  const chars = [...s];
  return JSON.stringify(chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : s);
}

function compareProblems(a: ReportProblem, b: ReportProblem): number {
  return RANK.indexOf(a.reason) - RANK.indexOf(b.reason) || compareStrings(a.path, b.path) || compareStrings(a.detail, b.detail);
}

/** Code-unit order, not localeCompare: the same input gives the same bytes on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * insertBounded inserts `item` into the sorted `list`, keeping at most `k` items; returns the item that fell off the
 * end (possibly `item` itself), if any. Binary search: O(log k) comparisons, so keeping the k smallest of n costs
 * O(n log k) rather than a sort of all n.
 */
function insertBounded<T>(list: T[], item: T, k: number, compare: (a: T, b: T) => number): T | undefined {
  if (k <= 0) return item;
  const last = list[list.length - 1];
  if (list.length >= k && last !== undefined && compare(item, last) >= 0) return item;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid] as T, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
  return list.length > k ? list.pop() : undefined;
}
