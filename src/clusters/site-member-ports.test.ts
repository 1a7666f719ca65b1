import { describe, expect, it } from 'vitest';
import type { Site } from '../api/generated/types.ts';
import { Reason } from '../api/names.ts';
import { errorClass } from '../runtime/errors.ts';
import { PushMemberPort } from './push-member-port.ts';
import { SiteClientError, type SiteClient } from './site-clients.ts';
import type { SiteMemberPort } from './site-member-port.ts';
import { PullTransportMissingError, SiteMemberPorts } from './site-member-ports.ts';

function site(name: string, mode?: 'Push' | 'Pull'): Site {
  // The generated type may not list Pull yet; a Site from the apiserver carries whatever the CRD admits.
  const connection = { kubeconfigSecretRef: { name: `site-${name}-kubeconfig` }, ...(mode !== undefined && { mode }) } as Site['spec']['connection'];
  return { apiVersion: 'suanwang.io/v1alpha1', kind: 'Site', metadata: { name }, spec: { region: 'cn-east', connection } };
}

/** clients hands out one fake client per site name, counting the calls. */
function clients(): { forSite: (s: Site) => SiteClient; asked: string[]; swap: (name: string) => void } {
  const made = new Map<string, SiteClient>();
  const asked: string[] = [];
  const make = (name: string): SiteClient => ({ site: name, call: async () => undefined }) as unknown as SiteClient;
  return {
    asked,
    forSite: (s) => {
      const name = s.metadata.name ?? '';
      asked.push(name);
      let c = made.get(name);
      if (c === undefined) made.set(name, (c = make(name)));
      return c;
    },
    swap: (name) => made.set(name, make(name)),
  };
}

/** pullPort is a pull-mode port in name only: SiteMemberPorts must hand it out as the factory made it. */
function pullPort(name: string): SiteMemberPort {
  return {
    site: name,
    mode: 'Pull',
    read: async () => undefined,
    list: async () => [],
    apply: async (obj) => obj,
    delete: async () => {},
    ensureNamespace: async () => {},
    refusal: () => undefined,
  };
}

describe('SiteMemberPorts', () => {
  it('gives a Push site, or one that names no mode, a push port over its client', () => {
    const c = clients();
    const ports = new SiteMemberPorts({ siteClients: c });
    for (const s of [site('shanghai', 'Push'), site('guizhou')]) {
      const port = ports.forSite(s);
      expect(port).toBeInstanceOf(PushMemberPort);
      expect(port).toMatchObject({ site: s.metadata.name, mode: 'Push' });
      expect(port.refusal({ kind: 'Job', namespace: 'default', name: 'x' })).toBeUndefined();
    }
    expect(c.asked).toEqual(['shanghai', 'guizhou']);
  });

  it('keeps one push port per client, and a new one when the client was rebuilt', () => {
    const c = clients();
    const ports = new SiteMemberPorts({ siteClients: c });
    const first = ports.forSite(site('shanghai'));
    expect(ports.forSite(site('shanghai'))).toBe(first);
    c.swap('shanghai'); // the kubeconfig Secret changed
    expect(ports.forSite(site('shanghai'))).not.toBe(first);
  });

  it('passes on why a push site’s connection cannot be used', () => {
    const refused = new SiteClientError(Reason.KubeconfigMissing, 'site shanghai: Secret suanwang-system/x not found');
    const ports = new SiteMemberPorts({
      siteClients: {
        forSite: () => {
          throw refused;
        },
      },
    });
    expect(() => ports.forSite(site('shanghai'))).toThrow(refused);
  });

  it('gives a Pull site the port of the pull factory, never asking for a push client', () => {
    const c = clients();
    const made: string[] = [];
    const ports = new SiteMemberPorts({
      siteClients: c,
      pull: (s) => {
        made.push(s.metadata.name ?? '');
        return pullPort(s.metadata.name ?? '');
      },
    });
    expect(ports.forSite(site('edge-1', 'Pull'))).toMatchObject({ site: 'edge-1', mode: 'Pull' });
    expect(made).toEqual(['edge-1']);
    expect(c.asked).toEqual([]);
  });

  it('refuses a Pull site when the operator has no pull transport, saying so', () => {
    const c = clients();
    const ports = new SiteMemberPorts({ siteClients: c });
    let thrown: unknown;
    try {
      ports.forSite(site('edge-1', 'Pull'));
    } catch (err: unknown) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PullTransportMissingError);
    expect((thrown as Error).message).toBe(
      'site edge-1: spec.connection.mode is Pull, and this operator has no pull transport (it reaches sites by push only)',
    );
    expect(errorClass(thrown)).toBe('PullTransportMissing');
    expect(c.asked).toEqual([]);
  });
});
