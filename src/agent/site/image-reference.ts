/**
 * Container image references, normalised the way the container runtime resolves them, so that a site's list of
 * allowed registries can be matched against what a pod will really pull: `nginx` is `docker.io/library/nginx`,
 * `index.docker.io/x/y` is `docker.io/x/y`, a tag or digest does not change where the image comes from.
 *
 * The grammar follows the reference format of the distribution project (facts: the first path component is a registry
 * when it has a dot, a port or is `localhost`; repository components are lowercase; a tag is at most 128 characters;
 * the name at most 255). Anything outside it is refused rather than guessed at: an image the policy cannot read is an
 * image the policy cannot allow.
 */

/** DOCKER_HUB is the registry a reference without one resolves to. */
export const DOCKER_HUB = 'docker.io';

/** ImageReference is a parsed image reference: where it comes from (registry and path) and which version. */
export interface ImageReference {
  /** registry is the lowercased host, with its port when it has one: `docker.io`, `registry.example:5000`. */
  readonly registry: string;
  /** path is the repository inside the registry: `library/nginx`, `team/app`. */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** ImagePrefix is an allowed source of images: a whole registry (empty path) or a repository path within one. */
export interface ImagePrefix {
  readonly registry: string;
  readonly path: string;
}

/** ParseResult is a parsed value or why the text is not one. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const MAX_NAME = 255;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const REGISTRY = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
/** Known digest algorithms and their hex length; an unknown algorithm only has to look like one. */
const DIGEST_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** parseImageReference normalises an image as a pod spec names it (see the module comment). */
export function parseImageReference(text: string): ParseResult<ImageReference> {
  if (text === '') return { ok: false, error: 'is empty' };
  if (text.trim() !== text) return { ok: false, error: 'has surrounding spaces' };
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const bad = digestProblem(digest);
    if (bad !== undefined) return { ok: false, error: bad };
  }
  // The tag is after the last ':' that follows the last '/': a ':' before it belongs to the registry's port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, error: `has an invalid tag "${tag}"` };
  }
  const name = parseName(rest, { bareRegistry: false });
  return name.ok ? { ok: true, value: { ...name.value, tag, digest } } : name;
}

/**
 * parseImagePrefix reads an allowed-images entry: a registry (`registry.example`, `localhost:5000`, `docker.io`) or a
 * repository path (`registry.example/team`, `nginx`). Unlike an image, one component with a dot or a port names a
 * registry, since nobody lists a Docker Hub repository called `registry.example`. Tags and digests are refused: an
 * entry says where images may come from, not which version.
 */
export function parseImagePrefix(text: string): ParseResult<ImagePrefix> {
  if (text.includes('@') || hasTag(text)) {
    return { ok: false, error: 'names a tag or digest; an entry names a registry or a repository path only' };
  }
  if (text.endsWith('*')) {
    return { ok: false, error: 'a prefix already covers everything under it: drop the "*" (or write "*" alone for any image)' };
  }
  return parseName(text, { bareRegistry: true });
}

/**
 * imageMatchesPrefix says whether an image comes from under a prefix: the same registry and either the whole
 * registry or a path equal to the prefix or below it at a '/' boundary (`team` covers `team/app`, not `team-evil`).
 */
export function imageMatchesPrefix(image: ImageReference, prefix: ImagePrefix): boolean {
  if (image.registry !== prefix.registry) return false;
  return prefix.path === '' || image.path === prefix.path || image.path.startsWith(`${prefix.path}/`);
}

/** formatImagePrefix renders a prefix in its normalised form, as messages show it. */
export function formatImagePrefix(prefix: ImagePrefix): string {
  return prefix.path === '' ? prefix.registry : `${prefix.registry}/${prefix.path}`;
}

/** formatImageName renders an image's normalised registry and path, without tag or digest. */
export function formatImageName(image: ImageReference): string {
  return `${image.registry}/${image.path}`;
}

function parseName(text: string, opts: { readonly bareRegistry: boolean }): ParseResult<ImagePrefix> {
  if (text === '') return { ok: false, error: 'has no repository name' };
  if (text.length > MAX_NAME) return { ok: false, error: `is longer than ${MAX_NAME} characters` };
  const parts = text.split('/');
  const first = parts[0] ?? '';
  // The runtime's rule for "is the first component a registry"; before a '/', an uppercase one can only be a host.
  const upperBeforeSlash = parts.length > 1 && first !== first.toLowerCase();
  const looksLikeRegistry = first.includes('.') || first.includes(':') || first === 'localhost' || upperBeforeSlash;
  const explicitRegistry = looksLikeRegistry && (parts.length > 1 || opts.bareRegistry);
  let registry: string;
  let path: string[];
  if (explicitRegistry) {
    if (!REGISTRY.test(first)) return { ok: false, error: `has an invalid registry "${first}"` };
    registry = first.toLowerCase();
    path = parts.slice(1);
  } else {
    registry = DOCKER_HUB;
    path = parts;
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  for (const c of path) {
    if (!PATH_COMPONENT.test(c)) {
      return { ok: false, error: c === '' ? 'has an empty path component' : `has an invalid path component "${c}" (lowercase letters, digits and single separators only)` };
    }
  }
  // Official images live under library/ on Docker Hub: the image `nginx` (or `docker.io/nginx`) is
  // docker.io/library/nginx. A prefix that names its registry is taken as written, so `docker.io/library` and the
  // organisation `docker.io/team` mean what they say; a bare prefix `nginx` reads as the image would.
  if (registry === DOCKER_HUB && path.length === 1 && !(opts.bareRegistry && explicitRegistry)) path = ['library', ...path];
  return { ok: true, value: { registry, path: path.join('/') } };
}

/** hasTag: a ':' after the last '/' is a tag, except in a lone `host:port` (`localhost:5000`, `[::1]:5000`). */
function hasTag(text: string): boolean {
  const colon = text.lastIndexOf(':');
  if (colon <= text.lastIndexOf('/')) return false;
  if (text.includes('/')) return true;
  return !text.startsWith('[') && !/^[0-9]+$/.test(text.slice(colon + 1));
}

function digestProblem(digest: string): string | undefined {
  const m = DIGEST.exec(digest);
  if (!m) return `has an invalid digest "${digest}"`;
  const want = DIGEST_HEX[m[1] ?? ''];
  if (want !== undefined && !new RegExp(`^[a-f0-9]{${want}}$`).test(m[2] ?? '')) {
    return `has an invalid ${m[1]} digest (want ${want} lowercase hex digits)`;
  }
  return undefined;
}
