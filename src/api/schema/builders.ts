/**
 * Builders for the OpenAPI v3 structural schemas of the Suanwang CRDs. Every builder takes a description first, so
 * no property can be left undocumented (`kubectl explain` prints them), and objects take the name of the TypeScript
 * interface generated for them. The schema modules beside this file are the one source of truth: crds/*.yaml and
 * src/api/generated/types.ts are both rendered from them by src/api/generate.ts.
 */
import { MAX_QUANTITY } from '../quantity.ts';

/** CelRule is one `x-kubernetes-validations` entry. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** fieldPath points the error at a field below the node carrying the rule, e.g. `.max`. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/**
 * Schema is a JSONSchemaProps node as apiextensions.k8s.io/v1 takes it, plus `tsName`/`tsType`, which only the
 * TypeScript renderer reads and the CRD renderer leaves out.
 */
export interface Schema {
  readonly description: string;
  readonly type?: SchemaType;
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly items?: Schema;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: Schema;
  readonly anyOf?: readonly { readonly type: SchemaType }[];
  readonly 'x-kubernetes-int-or-string'?: true;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  /** tsName names the TypeScript interface generated for an object node. */
  readonly tsName?: string;
  /** tsType overrides the TypeScript type of a node (e.g. `Quantity`). */
  readonly tsType?: string;
}

/** DNS1123_LABEL_PATTERN is the Kubernetes rule for most object names and label values that name objects. */
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS1035_LABEL_PATTERN is a DNS-1123 label that starts with a letter, as Service names must. */
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/** LABEL_VALUE_PATTERN is the Kubernetes rule for a non-empty label value (at most 63 characters). */
export const LABEL_VALUE_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
/**
 * LABEL_KEY_PATTERN is the Kubernetes rule for a label key: an optional DNS-subdomain prefix and "/", then a name.
 * Written with character classes instead of backslashes so it can sit inside a CEL string literal unescaped.
 */
export const LABEL_KEY_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
/**
 * QUANTITY_PATTERN accepts non-negative Kubernetes quantities: "8", "500m", "1.5", "512Gi", "2e9", bounded so that
 * every value it accepts is a finite number far from overflowing (below 1e38):
 * - at most 19 integer digits (int64's maximum has 19) and 9 decimals (Kubernetes keeps nano precision; it rounds
 *   finer values up);
 * - an exponent of at most 18 (`e18`, the size of the largest SI suffix E), written with at most two digits.
 * Kubernetes' own resource.Quantity takes any exponent that fits an int64 and truncates it to int32, so "1e400" is a
 * valid Kubernetes quantity whose value is Infinity as a double — this pattern refuses it. The int64 bound itself
 * is enforced where a value is read (parseQuantity in ../quantity.ts), as a regular expression cannot compare values.
 */
export const QUANTITY_PATTERN =
  '^[+]?([0-9]{1,19}([.][0-9]{0,9})?|[.][0-9]{1,9})([KMGTPE]i|[numkMGTPE]|[eE][+]?(1[0-8]|0?[0-9]))?$';

interface Common {
  readonly default?: unknown;
  readonly rules?: readonly CelRule[];
}

function withDefault(description: string, value: unknown): string {
  // An empty object default only makes the apiserver fill in the defaults below it; it is not worth a sentence.
  if (value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
    return description;
  }
  const shown = JSON.stringify(value);
  return `${description} Defaults to ${shown}.`;
}

function common(description: string, opts: Common): Pick<Schema, 'description' | 'default' | 'x-kubernetes-validations'> {
  return {
    description: withDefault(description, opts.default),
    ...(opts.default === undefined ? {} : { default: opts.default }),
    ...(opts.rules && opts.rules.length > 0 ? { 'x-kubernetes-validations': opts.rules } : {}),
  };
}

/** str builds a string property. */
export function str(
  description: string,
  opts: Common & { pattern?: string; minLength?: number; maxLength?: number; format?: string } = {},
): Schema {
  return {
    ...common(description, opts),
    type: 'string',
    ...(opts.format === undefined ? {} : { format: opts.format }),
    ...(opts.minLength === undefined ? {} : { minLength: opts.minLength }),
    ...(opts.maxLength === undefined ? {} : { maxLength: opts.maxLength }),
    ...(opts.pattern === undefined ? {} : { pattern: opts.pattern }),
  };
}

/** oneOf builds a string property restricted to values. */
export function oneOf(description: string, values: readonly string[], opts: Common = {}): Schema {
  return { ...common(description, opts), type: 'string', enum: values };
}

/** dns1123Label builds a string property holding an object name or another DNS-1123 label. */
export function dns1123Label(description: string, opts: Common = {}): Schema {
  return str(description, { ...opts, minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN });
}

/** dateTime builds an RFC 3339 timestamp property. */
export function dateTime(description: string): Schema {
  return { description, type: 'string', format: 'date-time' };
}

/** int builds an integer property (int32 unless told otherwise). */
export function int(
  description: string,
  opts: Common & { minimum?: number; maximum?: number; format?: 'int32' | 'int64' } = {},
): Schema {
  return {
    ...common(description, opts),
    type: 'integer',
    format: opts.format ?? 'int32',
    ...(opts.minimum === undefined ? {} : { minimum: opts.minimum }),
    ...(opts.maximum === undefined ? {} : { maximum: opts.maximum }),
  };
}

/** num builds a floating-point property (prices). */
export function num(description: string, opts: Common & { minimum?: number; maximum?: number } = {}): Schema {
  return {
    ...common(description, opts),
    type: 'number',
    ...(opts.minimum === undefined ? {} : { minimum: opts.minimum }),
    ...(opts.maximum === undefined ? {} : { maximum: opts.maximum }),
  };
}

/** bool builds a boolean property. */
export function bool(description: string, opts: Common = {}): Schema {
  return { ...common(description, opts), type: 'boolean' };
}

/**
 * quantity builds a Kubernetes resource quantity ("96", "500m", "512Gi"): an integer or a string, shaped as
 * controller-gen shapes resource.Quantity so kubectl and server-side apply treat it the same way.
 */
export function quantity(description: string, opts: Common = {}): Schema {
  return {
    ...common(description, opts),
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    // pattern holds strings to bounded non-negative quantities; minimum and maximum hold integers to int64's range.
    pattern: QUANTITY_PATTERN,
    minimum: 0,
    maximum: MAX_QUANTITY,
    'x-kubernetes-int-or-string': true,
    tsType: 'Quantity',
  };
}

/** obj builds an object with named properties; tsName is the TypeScript interface generated for it. */
export function obj(
  tsName: string,
  description: string,
  properties: Record<string, Schema>,
  opts: Common & { required?: readonly string[]; atomic?: boolean } = {},
): Schema {
  for (const r of opts.required ?? []) {
    if (!(r in properties)) throw new Error(`schema ${tsName}: required property "${r}" is not defined`);
  }
  return {
    ...common(description, opts),
    type: 'object',
    tsName,
    properties,
    ...(opts.required && opts.required.length > 0 ? { required: opts.required } : {}),
    ...(opts.atomic ? { 'x-kubernetes-map-type': 'atomic' as const } : {}),
  };
}

/** map builds an object whose keys are free and whose values all share one schema (labels, resource lists). */
export function map(description: string, values: Schema, opts: Common & { maxProperties?: number } = {}): Schema {
  return {
    ...common(description, opts),
    type: 'object',
    additionalProperties: values,
    ...(opts.maxProperties === undefined ? {} : { maxProperties: opts.maxProperties }),
  };
}

interface ListOpts extends Common {
  readonly minItems?: number;
  readonly maxItems: number;
}

function list(description: string, items: Schema, opts: ListOpts, extra: Partial<Schema>): Schema {
  return {
    ...common(description, opts),
    type: 'array',
    items,
    ...(opts.minItems === undefined ? {} : { minItems: opts.minItems }),
    maxItems: opts.maxItems,
    ...extra,
  };
}

/** atomicList builds a list replaced as a whole by server-side apply (command lines, history). */
export function atomicList(description: string, items: Schema, opts: ListOpts): Schema {
  return list(description, items, opts, { 'x-kubernetes-list-type': 'atomic' });
}

/** setList builds a list of unique scalars; the apiserver rejects duplicates. */
export function setList(description: string, items: Schema, opts: ListOpts): Schema {
  return list(description, items, opts, { 'x-kubernetes-list-type': 'set' });
}

/** mapList builds a list of objects keyed by keys; the apiserver rejects two items with the same keys. */
export function mapList(description: string, items: Schema, keys: readonly string[], opts: ListOpts): Schema {
  for (const k of keys) {
    if (!items.required?.includes(k) && items.properties?.[k]?.default === undefined) {
      throw new Error(`list-map key "${k}" of ${items.tsName ?? 'items'} must be required or defaulted`);
    }
  }
  return list(description, items, opts, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}

/** rule builds a CEL validation rule; fieldPath (e.g. `.max`) names the field the error is about. */
export function rule(expression: string, message: string, fieldPath?: string): CelRule {
  return fieldPath === undefined ? { rule: expression, message } : { rule: expression, message, fieldPath };
}

/** celList renders strings as a CEL list literal: ['a', 'b']. */
export function celList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}
