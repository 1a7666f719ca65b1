import { describe, expect, it } from 'vitest';
import { parseSiteName, parseSubjectAltNames, siteDnsName, siteFromSubjectAltNames, siteOfCaller, siteSpiffeId, type SiteName } from './identity.ts';

describe('parseSubjectAltNames', () => {
  const cases: { name: string; input: string; want: { kind: string; value: string }[] | undefined }[] = [
    { name: 'one entry', input: 'DNS:localhost', want: [{ kind: 'DNS', value: 'localhost' }] },
    {
      name: 'mixed kinds as Node prints them',
      input: 'DNS:localhost, IP Address:127.0.0.1, URI:spiffe://suanwang.io/site/a',
      want: [
        { kind: 'DNS', value: 'localhost' },
        { kind: 'IP Address', value: '127.0.0.1' },
        { kind: 'URI', value: 'spiffe://suanwang.io/site/a' },
      ],
    },
    {
      // Node quotes values with special characters so that a comma inside cannot fake a second entry.
      name: 'a quoted value containing ", URI:"',
      input: 'URI:"spiffe://evil, URI:spiffe://suanwang.io/site/a", DNS:x',
      want: [
        { kind: 'URI', value: 'spiffe://evil, URI:spiffe://suanwang.io/site/a' },
        { kind: 'DNS', value: 'x' },
      ],
    },
    { name: 'escaped quote inside a quoted value', input: 'URI:"a\\"b"', want: [{ kind: 'URI', value: 'a"b' }] },
    { name: 'unterminated quote', input: 'URI:"abc', want: undefined },
    { name: 'no kind', input: 'localhost', want: undefined },
    { name: 'garbage after a quoted value', input: 'URI:"a"x', want: undefined },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(parseSubjectAltNames(input)).toEqual(want);
  });
});

describe('siteFromSubjectAltNames', () => {
  const cases: { name: string; san: string | undefined; wantSite?: string; wantReason?: RegExp }[] = [
    { name: 'SPIFFE URI SAN', san: 'URI:spiffe://suanwang.io/site/beijing-1', wantSite: 'beijing-1' },
    { name: 'DNS SAN', san: 'DNS:shanghai.site.suanwang.io', wantSite: 'shanghai' },
    { name: 'DNS SAN in upper case with a trailing dot', san: 'DNS:Shanghai.Site.Suanwang.IO.', wantSite: 'shanghai' },
    { name: 'URI and DNS SAN naming the same site', san: 'URI:spiffe://suanwang.io/site/a, DNS:a.site.suanwang.io', wantSite: 'a' },
    { name: 'unrelated SANs around the identity', san: 'DNS:node1.example.com, IP Address:10.0.0.1, URI:spiffe://suanwang.io/site/a', wantSite: 'a' },
    { name: 'no SAN at all', san: undefined, wantReason: /no subjectAltName/ },
    { name: 'empty SAN', san: '', wantReason: /no subjectAltName/ },
    { name: 'only unrelated SANs (e.g. the server certificate)', san: 'DNS:localhost, IP Address:127.0.0.1', wantReason: /names no Suanwang site/ },
    { name: 'another trust domain', san: 'URI:spiffe://example.org/site/a', wantReason: /names no Suanwang site/ },
    { name: 'two different sites', san: 'URI:spiffe://suanwang.io/site/a, URI:spiffe://suanwang.io/site/b', wantReason: /several sites/ },
    { name: 'URI and DNS disagreeing', san: 'URI:spiffe://suanwang.io/site/a, DNS:b.site.suanwang.io', wantReason: /several sites/ },
    { name: 'extra path segment', san: 'URI:spiffe://suanwang.io/site/a/b', wantReason: /malformed site URI/ },
    { name: 'upper-case site in the URI path', san: 'URI:spiffe://suanwang.io/site/Alpha', wantReason: /malformed site URI/ },
    { name: 'empty site name', san: 'URI:spiffe://suanwang.io/site/', wantReason: /malformed site URI/ },
    { name: 'nested DNS label', san: 'DNS:a.b.site.suanwang.io', wantReason: /malformed site DNS/ },
    { name: 'quoted value hiding an identity', san: 'URI:"x, URI:spiffe://suanwang.io/site/a"', wantReason: /names no Suanwang site/ },
  ];
  it.each(cases)('$name', ({ san, wantSite, wantReason }) => {
    const got = siteFromSubjectAltNames(san);
    if (wantSite !== undefined) expect(got).toEqual({ ok: true, site: wantSite });
    else {
      expect(got.ok).toBe(false);
      expect(got.ok ? '' : got.reason).toMatch(wantReason ?? /./);
    }
  });
});

describe('site names', () => {
  it('accepts DNS-1123 labels only', () => {
    expect(parseSiteName('beijing-1')).toBe('beijing-1');
    expect(parseSiteName('a'.repeat(63))).toBeDefined();
    for (const bad of ['', 'A', 'a_b', '-a', 'a-', 'a.b', 'a'.repeat(64)]) expect(parseSiteName(bad)).toBeUndefined();
  });

  it('builds the SANs the parser reads back', () => {
    const s = 'wuhan' as SiteName;
    expect(siteSpiffeId(s)).toBe('spiffe://suanwang.io/site/wuhan');
    expect(siteFromSubjectAltNames(`URI:${siteSpiffeId(s)}`)).toEqual({ ok: true, site: 'wuhan' });
    expect(siteFromSubjectAltNames(`DNS:${siteDnsName(s)}`)).toEqual({ ok: true, site: 'wuhan' });
  });
});

describe('siteOfCaller', () => {
  it('requires a TLS connection', () => {
    expect(siteOfCaller({ getAuthContext: () => ({}) })).toEqual({ ok: false, reason: 'connection is not TLS' });
  });
  it('reads the peer certificate of a TLS call', () => {
    const call = { getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: { subjectaltname: 'URI:spiffe://suanwang.io/site/a' } as never }) };
    expect(siteOfCaller(call)).toEqual({ ok: true, site: 'a' });
  });
});
