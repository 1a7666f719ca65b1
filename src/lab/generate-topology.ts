/**
 * A lab topology of K sites made from a template topology (by default examples/lab/default.yaml): the template's sites
 * are taken in turn, the first round under their own names and later rounds as `<name>-2`, `<name>-3`, ... — so a
 * 12-site lab has four of each kind of centre the template describes, pull sites and site policies included. The
 * result is a document in the topology format; `suanwang lab generate` prints it and bench/lab-scale.bench.ts starts
 * labs from it to find how many sites this machine holds with real control planes.
 */
import { dump, load } from 'js-yaml';

/** MAX_GENERATED_SITES bounds K: each site is a whole control plane (about 0.5 GiB), far beyond any one machine. */
export const MAX_GENERATED_SITES = 200;

/** TopologyDocument is the part of a topology document the generator reads; the rest is kept as written. */
interface TopologyDocument {
  readonly sites?: unknown;
  readonly [key: string]: unknown;
}

/**
 * generateTopology returns `template` (topology YAML text) with `sites` sites (module comment), as YAML text headed by
 * `header` comment lines. Throws when the template has no sites or `sites` is out of range; the lab's reader checks
 * the result like any file it starts.
 */
export function generateTopology(template: string, sites: number, header: readonly string[] = []): string {
  if (!Number.isInteger(sites) || sites < 1 || sites > MAX_GENERATED_SITES) {
    throw new Error(`the number of sites must be a whole number from 1 to ${MAX_GENERATED_SITES}, not ${sites}`);
  }
  const doc = load(template) as TopologyDocument | null;
  const base = doc?.sites;
  if (doc === null || typeof doc !== 'object' || !Array.isArray(base) || base.length === 0) {
    throw new Error('the template topology has no sites to repeat');
  }
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < sites; i++) {
    const site = base[i % base.length] as Record<string, unknown>;
    const round = Math.floor(i / base.length) + 1;
    out.push(round === 1 ? site : { ...site, name: `${String(site.name)}-${round}` });
  }
  const body = dump({ ...doc, sites: out }, { lineWidth: 120, noRefs: true });
  return `${header.map((h) => `# ${h}`.trimEnd()).join('\n')}${header.length > 0 ? '\n' : ''}${body}`;
}
