/**
 * The manifest `suanwang what-if -f` reads: one TrainingJob or InferenceService in YAML (or JSON), checked the way the
 * apiserver would check it before the operator ever saw it — the kind's structural schema from the one schema source
 * (src/api/schema), then what placement needs to parse (quantities, variants) — so that a mistake is reported with
 * the field it is in, not as a puzzling verdict. CEL rules are left to the apiserver.
 */
import { parseAllDocuments } from 'yaml';
import type { InferenceService, TrainingJob } from '../../api/generated/types.ts';
import { API_VERSION, Kind } from '../../api/names.ts';
import { validateAgainst, type CrdSchema } from '../../api/crd-validation.ts';
import { DNS1123_LABEL_PATTERN } from '../../api/schema/builders.ts';
import { KIND_DEFINITIONS } from '../../api/schema/kinds.ts';
import { openApi } from '../../api/schema/render-crd.ts';
import { inferenceWorkload, trainingWorkload, type Workload } from '../../placement/workload.ts';

/** Manifest is the workload asked about, in the namespace it would be created in. */
export type Manifest =
  | { readonly kind: typeof Kind.TrainingJob; readonly namespace: string; readonly name: string; readonly object: TrainingJob }
  | { readonly kind: typeof Kind.InferenceService; readonly namespace: string; readonly name: string; readonly object: InferenceService };

/** ManifestResult is a checked manifest with its placement view, or every problem found, each naming its field. */
export type ManifestResult =
  | { readonly ok: true; readonly manifest: Manifest; readonly workload: Workload }
  | { readonly ok: false; readonly errors: readonly string[] };

/** DEFAULT_NAMESPACE is where a manifest without a namespace goes when -n is not given, as with kubectl. */
export const DEFAULT_NAMESPACE = 'default';

const DNS1123_LABEL = new RegExp(DNS1123_LABEL_PATTERN);

/**
 * parseManifest reads the manifest's text. The namespace is -n when given (a different
 * metadata.namespace is an error, as kubectl makes it), else metadata.namespace, else "default".
 */
export function parseManifest(text: string, namespaceFlag: string | undefined): ManifestResult {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { ok: false, errors: ['the file holds no YAML document'] };
  const syntax = docs.flatMap((d) => d.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0] ?? ''}`));
  if (syntax.length > 0) return { ok: false, errors: syntax };
  const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length !== 1) return { ok: false, errors: [`the file must hold exactly one TrainingJob or InferenceService, it holds ${values.length} documents`] };
  return checkObject(values[0], namespaceFlag);
}

function checkObject(value: unknown, namespaceFlag: string | undefined): ManifestResult {
  if (!isRecord(value)) return { ok: false, errors: ['the document must be an object (a Kubernetes manifest)'] };
  const errors: string[] = [];
  if (value['apiVersion'] !== API_VERSION) errors.push(`apiVersion: must be ${API_VERSION}, got ${JSON.stringify(value['apiVersion'] ?? null)}`);
  const kind = value['kind'];
  const def = KIND_DEFINITIONS.find((d) => d.kind === kind && (kind === Kind.TrainingJob || kind === Kind.InferenceService));
  if (def === undefined) return { ok: false, errors: [...errors, `kind: must be ${Kind.TrainingJob} or ${Kind.InferenceService}, got ${JSON.stringify(kind ?? null)}`] };

  const metadata = isRecord(value['metadata']) ? value['metadata'] : {};
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    errors.push('metadata.name: is required (what-if answers for the workload by its name; generateName is not supported)');
  } else if (def.name !== undefined) {
    errors.push(...validateAgainst(name, openApi(def.name) as CrdSchema, 'metadata.name').errors);
  }
  const inFile = metadata['namespace'];
  if (inFile !== undefined && (typeof inFile !== 'string' || !DNS1123_LABEL.test(inFile))) errors.push(`metadata.namespace: ${JSON.stringify(inFile)} is not a namespace name`);
  if (namespaceFlag !== undefined && typeof inFile === 'string' && inFile !== namespaceFlag) {
    errors.push(`metadata.namespace: the manifest says ${inFile} but -n says ${namespaceFlag}`);
  }
  if (value['spec'] === undefined) errors.push('spec: is required');
  else errors.push(...validateAgainst(value['spec'], openApi(def.spec) as CrdSchema, 'spec').errors);
  if (errors.length > 0) return { ok: false, errors };

  // What-if is about a workload not created yet: the status of a manifest saved from the hub is not read.
  const namespace = namespaceFlag ?? (typeof inFile === 'string' ? inFile : DEFAULT_NAMESPACE);
  const { status: _ignored, ...rest } = value;
  const object = { ...rest, metadata: { ...metadata, namespace } };
  const manifest: Manifest =
    kind === Kind.TrainingJob
      ? { kind, namespace, name: name as string, object: object as unknown as TrainingJob }
      : { kind: Kind.InferenceService, namespace, name: name as string, object: object as unknown as InferenceService };
  const parsed = manifest.kind === Kind.TrainingJob ? trainingWorkload(manifest.object) : inferenceWorkload(manifest.object);
  if (!parsed.ok) return { ok: false, errors: [...parsed.errors] };
  return { ok: true, manifest, workload: parsed.value };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
