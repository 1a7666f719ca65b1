import { describe, expect, it } from 'vitest';
import { formatImagePrefix, imageMatchesPrefix, parseImagePrefix, parseImageReference } from './image-reference.ts';

const SHA = 'a'.repeat(64);

describe('parseImageReference', () => {
  it.each([
    { image: 'nginx', want: 'docker.io/library/nginx', wantTag: undefined, wantDigest: undefined },
    { image: 'nginx:1.25', want: 'docker.io/library/nginx', wantTag: '1.25', wantDigest: undefined },
    { image: `nginx@sha256:${SHA}`, want: 'docker.io/library/nginx', wantTag: undefined, wantDigest: `sha256:${SHA}` },
    { image: `nginx:1.25@sha256:${SHA}`, want: 'docker.io/library/nginx', wantTag: '1.25', wantDigest: `sha256:${SHA}` },
    { image: 'docker.io/nginx', want: 'docker.io/library/nginx', wantTag: undefined, wantDigest: undefined },
    { image: 'index.docker.io/library/nginx', want: 'docker.io/library/nginx', wantTag: undefined, wantDigest: undefined },
    { image: 'team/app', want: 'docker.io/team/app', wantTag: undefined, wantDigest: undefined },
    { image: 'localhost/team/app', want: 'localhost/team/app', wantTag: undefined, wantDigest: undefined },
    { image: 'localhost:5000/app:v1', want: 'localhost:5000/app', wantTag: 'v1', wantDigest: undefined },
    { image: 'Registry.Example/team/app', want: 'registry.example/team/app', wantTag: undefined, wantDigest: undefined },
    { image: 'Registry/team/app', want: 'registry/team/app', wantTag: undefined, wantDigest: undefined },
    { image: 'registry.example:5000/a/b/c:1.0-rc_1', want: 'registry.example:5000/a/b/c', wantTag: '1.0-rc_1', wantDigest: undefined },
    { image: '[::1]:5000/team/app', want: '[::1]:5000/team/app', wantTag: undefined, wantDigest: undefined },
    { image: 'registry.example/my__team/app.v2', want: 'registry.example/my__team/app.v2', wantTag: undefined, wantDigest: undefined },
  ])('normalises $image', ({ image, want, wantTag, wantDigest }) => {
    const r = parseImageReference(image);
    expect(r).toMatchObject({ ok: true });
    if (!r.ok) return;
    expect(`${r.value.registry}/${r.value.path}`).toBe(want);
    expect(r.value.tag).toBe(wantTag);
    expect(r.value.digest).toBe(wantDigest);
  });

  it.each([
    { image: '', wantError: 'is empty' },
    { image: 'Nginx', wantError: 'invalid path component "Nginx"' },
    { image: ':v1', wantError: 'no repository name' },
    { image: ' nginx', wantError: 'surrounding spaces' },
    { image: 'registry.example/Team/app', wantError: 'invalid path component "Team"' },
    { image: 'registry.example/team/../evil', wantError: 'invalid path component ".."' },
    { image: 'registry.example/team//app', wantError: 'empty path component' },
    { image: 'registry.example/team/app:', wantError: 'invalid tag ""' },
    { image: 'registry.example/team/app:-x', wantError: 'invalid tag "-x"' },
    { image: `registry.example/team/app:${'t'.repeat(129)}`, wantError: 'invalid tag' },
    { image: 'registry.example/team/app@sha256:abc', wantError: 'invalid sha256 digest' },
    { image: `registry.example/team/app@sha256:${'A'.repeat(64)}`, wantError: 'invalid sha256 digest' },
    { image: 'registry.example/team/app@latest', wantError: 'invalid digest "latest"' },
    { image: 'bad_host.example/app', wantError: 'invalid registry "bad_host.example"' },
    { image: `registry.example/${'a'.repeat(250)}`, wantError: 'longer than 255' },
  ])('refuses $image', ({ image, wantError }) => {
    const r = parseImageReference(image);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(wantError);
  });
});

describe('parseImagePrefix', () => {
  it.each([
    { entry: 'nginx', want: 'docker.io/library/nginx' },
    { entry: 'library/nginx', want: 'docker.io/library/nginx' },
    { entry: 'docker.io', want: 'docker.io' },
    { entry: 'docker.io/library', want: 'docker.io/library' },
    { entry: 'registry.example', want: 'registry.example' },
    { entry: 'localhost', want: 'localhost' },
    { entry: 'localhost:5000', want: 'localhost:5000' },
    { entry: '[::1]', want: '[::1]' },
    { entry: 'registry.example/team', want: 'registry.example/team' },
    { entry: 'index.docker.io/team', want: 'docker.io/team' },
    { entry: 'docker.io/team', want: 'docker.io/team' },
    { entry: 'team/app', want: 'docker.io/team/app' },
  ])('reads $entry as $want', ({ entry, want }) => {
    const r = parseImagePrefix(entry);
    expect(r.ok && formatImagePrefix(r.value)).toBe(want);
  });

  it.each([
    { entry: 'nginx:1.25', wantError: 'names a tag or digest' },
    { entry: 'registry.example/team/app:v1', wantError: 'names a tag or digest' },
    { entry: `nginx@sha256:${SHA}`, wantError: 'names a tag or digest' },
    { entry: 'registry.example/team/*', wantError: 'drop the "*"' },
    { entry: 'registry.example/team/', wantError: 'empty path component' },
    { entry: 'registry.example/Team', wantError: 'invalid path component "Team"' },
    { entry: 'Nginx', wantError: 'invalid path component "Nginx"' },
  ])('refuses $entry', ({ entry, wantError }) => {
    const r = parseImagePrefix(entry);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(wantError);
  });
});

describe('imageMatchesPrefix', () => {
  it.each([
    { image: 'nginx', prefix: 'nginx', want: true },
    { image: 'nginx:1.25', prefix: 'docker.io/library/nginx', want: true },
    { image: `docker.io/library/nginx@sha256:${SHA}`, prefix: 'nginx', want: true },
    { image: 'nginx', prefix: 'docker.io/library', want: true },
    { image: 'nginx', prefix: 'docker.io', want: true },
    { image: 'nginx-evil', prefix: 'nginx', want: false },
    { image: 'nginx', prefix: 'ngin', want: false },
    { image: 'team/app', prefix: 'docker.io/library', want: false },
    { image: 'team/app:v1', prefix: 'docker.io/team', want: true },
    // A prefix naming its registry is literal: docker.io/nginx is the organisation, not the official image.
    { image: 'docker.io/nginx', prefix: 'docker.io/nginx', want: false },
    { image: 'docker.io/nginx/unit', prefix: 'docker.io/nginx', want: true },
    { image: 'registry.example/team/app:v1', prefix: 'registry.example/team', want: true },
    { image: 'registry.example/team', prefix: 'registry.example/team', want: true },
    { image: 'registry.example/team/sub/app', prefix: 'registry.example/team', want: true },
    { image: 'registry.example/team-evil/x', prefix: 'registry.example/team', want: false },
    { image: 'registry.example/teamx', prefix: 'registry.example/team', want: false },
    { image: 'registry.example:5000/team/app', prefix: 'registry.example/team', want: false },
    { image: 'registry.example.evil.io/team/app', prefix: 'registry.example', want: false },
    { image: 'evil.io/registry.example/team/app', prefix: 'registry.example/team', want: false },
    { image: 'REGISTRY.example/team/app', prefix: 'registry.example', want: true },
    { image: 'registry.example/app', prefix: 'registry.example', want: true },
  ])('$image under $prefix: $want', ({ image, prefix, want }) => {
    const i = parseImageReference(image);
    const p = parseImagePrefix(prefix);
    if (!i.ok || !p.ok) throw new Error(`fixture does not parse: ${image} / ${prefix}`);
    expect(imageMatchesPrefix(i.value, p.value)).toBe(want);
  });
});
