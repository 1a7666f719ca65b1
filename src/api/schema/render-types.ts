/**
 * Renders the TypeScript types of every kind from the same schemas the CRDs come from: one interface per named
 * object, JSDoc taken from the descriptions, optional exactly where the schema does not require a field.
 */
import { API_VERSION } from '../names.ts';
import type { Schema } from './builders.ts';
import type { KindDefinition } from './kind-definition.ts';

const WIDTH = 118;

const PRELUDE = `/** Quantity is a Kubernetes resource quantity: "96", "500m", "512Gi", or a plain integer. */
export type Quantity = string | number;

/** OwnerReference points from an object to the object that owns it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta is the part of metav1.ObjectMeta that Suanwang reads and writes, as the apiserver returns it (JSON). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** ListMeta is metav1.ListMeta. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}
`;

/** jsDoc renders text as a JSDoc comment indented by indent, wrapped to the line width. */
export function jsDoc(text: string, indent: string): string {
  const safe = text.replace(/\*\//g, '*\\/');
  const width = WIDTH - indent.length - 3;
  const lines: string[] = [];
  let line = '';
  for (const word of safe.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length === 1 && indent.length + 7 + (lines[0] ?? '').length <= WIDTH) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}\n`).join('')}${indent} */\n`;
}

interface Named {
  readonly name: string;
  readonly schema: Schema;
  /** shape is the interface body without comments, to tell two different schemas that share a name. */
  readonly shape: string;
}

/** shapeOf is the structure of an object schema (keys, optionality, nested shapes), descriptions left out. */
function shapeOf(s: Schema): string {
  if (s.tsType !== undefined) return s.tsType;
  if (s.enum !== undefined) return s.enum.join('|');
  if (s.items !== undefined) return `[${shapeOf(s.items)}]`;
  if (s.additionalProperties !== undefined) return `{*:${shapeOf(s.additionalProperties)}}`;
  if (s.properties !== undefined) {
    const fields = Object.entries(s.properties).map(
      ([k, child]) => `${k}${(s.required ?? []).includes(k) ? '' : '?'}:${shapeOf(child)}`,
    );
    return `${s.tsName ?? ''}{${fields.join(',')}}`;
  }
  return s.type ?? 'unknown';
}

class TypeCollector {
  readonly named = new Map<string, Named>();

  /** typeOf returns the TypeScript type of s, registering the named objects it reaches. */
  typeOf(s: Schema): string {
    if (s.tsType !== undefined) return s.tsType;
    if (s.enum !== undefined) return s.enum.map((v) => `'${v}'`).join(' | ');
    switch (s.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (s.items === undefined) return 'unknown[]';
        const item = this.typeOf(s.items);
        return item.includes(' ') ? `Array<${item}>` : `${item}[]`;
      }
      case 'object':
        if (s.properties !== undefined) return this.add(s);
        if (s.additionalProperties !== undefined) return `Record<string, ${this.typeOf(s.additionalProperties)}>`;
        return 'Record<string, unknown>';
      default:
        return 'unknown';
    }
  }

  /** add registers a named object before the objects below it, so interfaces read top-down. */
  add(s: Schema): string {
    const name = s.tsName;
    if (name === undefined) throw new Error(`object schema "${s.description}" has no tsName`);
    const seen = this.named.get(name);
    const shape = shapeOf(s);
    if (seen !== undefined) {
      if (seen.shape !== shape) throw new Error(`two different object schemas are both named ${name}`);
      return name;
    }
    this.named.set(name, { name, schema: s, shape });
    for (const child of Object.values(s.properties ?? {})) this.typeOf(child);
    return name;
  }

  render(n: Named): string {
    const body = Object.entries(n.schema.properties ?? {})
      .map(([key, child]) => {
        const optional = !(n.schema.required ?? []).includes(key);
        return `${jsDoc(child.description, '  ')}  ${key}${optional ? '?' : ''}: ${this.typeOf(child)};\n`;
      })
      .join('');
    return `${jsDoc(`${n.name}: ${n.schema.description}`, '')}export interface ${n.name} {\n${body}}\n`;
  }
}

/** renderTypes returns the contents of src/api/generated/types.ts. */
export function renderTypes(defs: readonly KindDefinition[], header: string): string {
  const collector = new TypeCollector();
  const kinds: string[] = [];
  for (const def of defs) {
    const spec = collector.typeOf(def.spec);
    const status = collector.typeOf(def.status);
    kinds.push(
      `${jsDoc(def.description, '')}export interface ${def.kind} {\n` +
        `  apiVersion: '${API_VERSION}';\n  kind: '${def.kind}';\n  metadata: ObjectMeta;\n` +
        `  spec: ${spec};\n  status?: ${status};\n}\n\n` +
        `${jsDoc(`${def.kind}List is a list of ${def.kind} objects, as a list call returns it.`, '')}` +
        `export interface ${def.kind}List {\n  apiVersion: '${API_VERSION}';\n  kind: '${def.kind}List';\n` +
        `  metadata: ListMeta;\n  items: ${def.kind}[];\n}\n`,
    );
  }
  const interfaces = [...collector.named.values()].map((n) => collector.render(n));
  return [header, PRELUDE, ...kinds, ...interfaces].join('\n');
}
