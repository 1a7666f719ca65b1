/**
 * Which SiteMemberPort a Site gets, by its spec.connection.mode: Push (the default) goes through the site's
 * SiteClient; Pull goes through the agent's session, by a factory the composition root injects. An operator
 * without one refuses Pull sites with PullTransportMissingError, which a reconciler takes as "this site cannot be
 * read", never as "this site holds nothing".
 */
import type { Site } from '../api/generated/types.ts';
import { PushMemberPort } from './push-member-port.ts';
import { isPullSite, type SiteClient, type SiteClients } from './site-clients.ts';
import type { SiteMemberPort } from './site-member-port.ts';

/** PullMemberPortFactory builds (or returns the cached) pull-mode port of a Site. */
export type PullMemberPortFactory = (site: Site) => SiteMemberPort;

/** SiteMemberPortsOptions configures SiteMemberPorts. */
export interface SiteMemberPortsOptions {
  /** The push clients; forSite throws SiteClientError when a push site's connection cannot be used. */
  readonly siteClients: Pick<SiteClients, 'forSite'>;
  /** The pull transport; unset, Pull sites are refused. */
  readonly pull?: PullMemberPortFactory;
}

/** PullTransportMissingError: a Site is in Pull mode, and this operator was built without a pull transport. */
export class PullTransportMissingError extends Error {
  override readonly name = 'PullTransportMissingError';
  /** code is what errorClass shows in status and events. */
  readonly code = 'PullTransportMissing';
  readonly reason = 'PullTransportMissing';

  constructor(site: string) {
    super(`site ${site}: spec.connection.mode is Pull, and this operator has no pull transport (it reaches sites by push only)`);
  }
}

/** SiteMemberPorts hands each Site the port of its connection mode. */
export class SiteMemberPorts {
  readonly #o: SiteMemberPortsOptions;
  /** One push port per client: SiteClients replaces the client when the site's Secret changes, and so the port. */
  readonly #push = new WeakMap<Pick<SiteClient, 'site' | 'call'>, PushMemberPort>();

  constructor(options: SiteMemberPortsOptions) {
    this.#o = options;
  }

  /** forSite returns the site's port; throws when its connection cannot be used (SiteClientError, PullTransportMissingError). */
  forSite(site: Site): SiteMemberPort {
    if (isPullSite(site)) {
      if (this.#o.pull === undefined) throw new PullTransportMissingError(site.metadata.name ?? '');
      return this.#o.pull(site);
    }
    const client = this.#o.siteClients.forSite(site);
    let port = this.#push.get(client);
    if (port === undefined) this.#push.set(client, (port = new PushMemberPort(client)));
    return port;
  }
}
