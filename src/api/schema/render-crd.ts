/**
 * Renders a KindDefinition as an apiextensions.k8s.io/v1 CustomResourceDefinition object: structural schema with
 * the TypeScript-only fields removed, status subresource, printer columns, short names and the suanwang category.
 */
import { CATEGORY, GROUP, VERSION } from '../names.ts';
import type { Schema } from './builders.ts';
import type { KindDefinition } from './kind-definition.ts';

/** JsonObject is a plain JSON mapping, as the CRD object is made of. */
export type JsonObject = { [key: string]: unknown };

/** openApi returns the schema as the apiserver takes it: without tsName and tsType, recursively. */
export function openApi(s: Schema): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'tsName' || key === 'tsType' || value === undefined) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, openApi(child)]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = openApi(value as Schema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** rootSchema is the openAPIV3Schema of a kind: apiVersion, kind, metadata, spec and status. */
export function rootSchema(def: KindDefinition): JsonObject {
  return {
    description: def.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'Versioned schema of this representation of an object; servers convert recognized schemas to the latest internal value. See https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
        type: 'string',
      },
      kind: {
        description:
          'REST resource this object represents, in CamelCase. See https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
        type: 'string',
      },
      // The apiserver owns metadata; a CRD may only restrict name and generateName, and may not describe it.
      metadata: def.name === undefined ? { type: 'object' } : { type: 'object', properties: { name: openApi(def.name) } },
      spec: openApi(def.spec),
      status: openApi(def.status),
    },
    ...(def.rules && def.rules.length > 0 ? { 'x-kubernetes-validations': def.rules } : {}),
  };
}

/** renderCrd returns the CustomResourceDefinition of a kind. */
export function renderCrd(def: KindDefinition): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'suanwang' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: rootSchema(def) },
        },
      ],
    },
  };
}
