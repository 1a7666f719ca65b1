/**
 * The site policy document, as the agent chart passes it (YAML or JSON; docs/site-policy.md):
 *
 *   namespaces: ["*"]            # exact names, "<prefix>*" patterns, "*"; [] allows none
 *   images: ["*"]                # "*", or registries / repository paths; [] allows none
 *   maxDevicesPerWorkload: 16    # absent or null: no limit; 0: no accelerator work at all
 *   pods: { privileged: false, hostPath: false, hostNamespaces: false, hostPorts: false, capabilities: [] }
 *
 * A field left out takes its DEFAULT_SITE_POLICY value. Every bad field is reported with its file and line, all at
 * once, so the agent refuses to start on a policy it would read differently from what the site operator meant.
 */
import { DNS1123_LABEL, FieldReader, type Obj } from '../../api/field-reader.ts';
import { YamlSource } from '../../api/yaml-source.ts';
import { parseImagePrefix, type ImagePrefix } from './image-reference.ts';
import { DEFAULT_SITE_POLICY, normaliseCapability, type PodSecurityLimits, type SitePolicy } from './site-policy.ts';

const TOP_FIELDS = ['namespaces', 'images', 'maxDevicesPerWorkload', 'pods'] as const;
const POD_FLAGS = ['privileged', 'hostPath', 'hostNamespaces', 'hostPorts'] as const;
const POD_FIELDS = [...POD_FLAGS, 'capabilities'] as const;
/** A namespace pattern's prefix: the start of a DNS-1123 label (it may end in '-', as `team-*` does). */
const NAMESPACE_PREFIX = /^[a-z0-9][-a-z0-9]{0,61}$/;
const CAPABILITY = /^(?:CAP_)?[A-Z][A-Z0-9_]*$/i;

/** parseSitePolicy reads a policy document; every problem throws together as one ConfigError naming file and line. */
export function parseSitePolicy(yamlText: string, file: string): SitePolicy {
  const src = YamlSource.parse(file, yamlText);
  const r = new FieldReader(src);
  const top = r.object(src.value, [], TOP_FIELDS);
  r.throwIfIssues();
  if (top === undefined) throw new Error('unreachable: object() reported the issue');
  const policy: SitePolicy = {
    namespaces: top['namespaces'] === undefined ? DEFAULT_SITE_POLICY.namespaces : namespaces(r, top),
    images: top['images'] === undefined ? DEFAULT_SITE_POLICY.images : images(r, top),
    maxDevicesPerWorkload: r.int(top, 'maxDevicesPerWorkload', [], { min: 0 }),
    pods: top['pods'] === undefined ? DEFAULT_SITE_POLICY.pods : pods(r, top['pods']),
  };
  r.throwIfIssues();
  return policy;
}

function namespaces(r: FieldReader, top: Obj): string[] {
  const out: string[] = [];
  r.stringList(top, 'namespaces', []).forEach((ns, i) => {
    const path = ['namespaces', i];
    const ok = ns === '*' || (ns.endsWith('*') ? NAMESPACE_PREFIX.test(ns.slice(0, -1)) : DNS1123_LABEL.test(ns) && ns.length <= 63);
    if (!ok) return r.fail(path, `"${ns}" is not a namespace name, a "<prefix>*" pattern or "*"`);
    if (out.includes(ns)) return r.fail(path, `"${ns}" is listed twice`);
    out.push(ns);
  });
  return out;
}

function images(r: FieldReader, top: Obj): 'any' | ImagePrefix[] {
  const out: ImagePrefix[] = [];
  let any = false;
  r.stringList(top, 'images', []).forEach((text, i) => {
    if (text === '*') {
      any = true;
      return;
    }
    const p = parseImagePrefix(text);
    if (!p.ok) return r.fail(['images', i], `"${text}" ${p.error}`);
    out.push(p.value);
  });
  return any ? 'any' : out;
}

function pods(r: FieldReader, value: unknown): PodSecurityLimits {
  const path = ['pods'];
  const o = r.object(value, path, POD_FIELDS);
  if (o === undefined) return DEFAULT_SITE_POLICY.pods;
  const flag = (key: (typeof POD_FLAGS)[number]): boolean => {
    const v = o[key];
    if (v === undefined || v === null) return DEFAULT_SITE_POLICY.pods[key];
    if (typeof v === 'boolean') return v;
    r.fail([...path, key], `must be true or false, got ${JSON.stringify(v)}`);
    return DEFAULT_SITE_POLICY.pods[key];
  };
  const capabilities = r.stringList(o, 'capabilities', path).flatMap((cap, i) => {
    if (CAPABILITY.test(cap)) return [normaliseCapability(cap)];
    r.fail([...path, 'capabilities', i], `"${cap}" is not a Linux capability name such as NET_ADMIN (or ALL)`);
    return [];
  });
  return { privileged: flag('privileged'), hostPath: flag('hostPath'), hostNamespaces: flag('hostNamespaces'), hostPorts: flag('hostPorts'), capabilities };
}
