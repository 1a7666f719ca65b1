/**
 * The controllers' SiteMemberPort for a pull-mode site: a thin view of one site in PullSiteMembers, which holds the
 * desired set, the agent's reports and the rules (pull-site-members.ts). Nothing here dials the site.
 */
import type { KubernetesObject, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { PullSiteMembers } from './pull-site-members.ts';
import type { MemberKey, MemberKind, MemberRefusal, SiteMemberPort } from './site-member-port.ts';

/** PullMemberPort is `site`'s members as PullSiteMembers knows them. Build it with PullSiteMembers.port. */
export class PullMemberPort implements SiteMemberPort {
  readonly site: string;
  readonly mode = 'Pull' as const;
  readonly #members: PullSiteMembers;

  constructor(members: PullSiteMembers, site: string) {
    this.#members = members;
    this.site = site;
  }

  async read<T extends KubernetesObject>(key: MemberKey): Promise<T | undefined> {
    return this.#members.read(this.site, key) as T | undefined;
  }

  async list<T extends KubernetesObject>(kind: MemberKind, namespace: string, labelSelector: string): Promise<T[]> {
    return this.#members.list(this.site, kind, namespace, labelSelector) as T[];
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.#members.apply(this.site, obj) as T;
  }

  async delete(key: MemberKey): Promise<void> {
    this.#members.delete(this.site, key);
  }

  /** ensureNamespace does nothing: the agent creates the namespaces its site's policy allows, and refuses the rest. */
  async ensureNamespace(_namespace: V1Namespace): Promise<void> {}

  refusal(key: MemberKey): MemberRefusal | undefined {
    return this.#members.refusal(this.site, key);
  }

  // Fields, not methods, as in push mode: callers test them for presence and may call them detached. Both answer from
  // what the agent reports (the member Jobs' unfinished pods, the Nodes under them), trimmed to what decisions use.
  readonly pods = async (namespace: string, labelSelector: string): Promise<V1Pod[]> => this.#members.pods(this.site, namespace, labelSelector);

  readonly node = async (name: string): Promise<V1Node | undefined> => this.#members.node(this.site, name);
}
