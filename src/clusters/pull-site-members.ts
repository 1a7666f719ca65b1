/**
 * The operator's side of pull mode's member objects: per site, what the controllers want there (the desired set) and
 * what the agent last said the site holds (the reported set). Controllers reach it through `port(site)`, the same
 * SiteMemberPort they use in push mode; the operator feeds it the agent's reports and tells it when a session opens.
 *
 * - Writes go out as syncs only when content changes (the DesiredMember hash), so a reconcile that re-applies every
 *   member sends nothing. A sync that finds no session makes the next one full, sent from `sessionOpened`.
 * - A delete is a remove that is repeated in every full sync until the agent reports the key gone; the object stays
 *   readable, as reported (with its deletionTimestamp), until then, which is what foreground deletion promises.
 * - A member the agent refuses with the content desired now leaves the desired set, so no full sync sends it to be
 *   refused again; its refusal stands, whatever the agent says later, until the key is applied with other content
 *   or deleted (or the site reports the refused content applied after all). An apply of the very content refused
 *   sends nothing: the site has answered it.
 * - Reads come only from reports, and throw until the site's first full report since this operator started. Beside
 *   the members the agent reports the pods of the member Jobs and the Nodes under them (OBSERVED_KINDS), read-only:
 *   `pods` and `node` answer from those, and listeners are not told of them.
 *
 * Pure: no logging, no timers, no I/O; the clock only stamps report times for `stats`.
 */
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../runtime/clock.ts';
import { canonicalHash, desiredMemberOf } from './pull-desired-member.ts';
import { LABEL_WORKLOAD } from '../api/names.ts';
import { matchesLabels, parseEqualityLabelSelector } from './pull-label-selector.ts';
import { PullMemberPort } from './pull-member-port.ts';
import { isObservedKey, type DesiredMember, type MemberReport, type MemberSync, type ReportedKey, type SendMemberSync } from './pull-member-messages.ts';
import { siteNotReporting } from './pull-site-not-reporting.ts';
import { WorkloadIndex } from './workload-index.ts';
import type { MemberKey, MemberKind, MemberRefusal, SiteMemberPort } from './site-member-port.ts';

/**
 * MemberChangeListener hears of every change the agent reports: `object` is the member as the site now holds it
 * (undefined: gone, or never created because refused); `labels` are its labels as best known (the reported object,
 * else the copy reported before, else the desired object), so the operator can wake the owning workload.
 */
export type MemberChangeListener = (site: string, key: MemberKey, object: KubernetesObject | undefined, labels: Readonly<Record<string, string>>) => void;

/** PullSiteStats describes one site's state, for metrics and status. */
export interface PullSiteStats {
  /** desired counts the members the controllers want at the site. */
  readonly desired: number;
  /** reported counts the members the site holds, as last reported. */
  readonly reported: number;
  /** refused counts the members whose refusal stands (refusal() says why). */
  readonly refused: number;
  /** observed counts the pods and nodes the agent reports beside the members. */
  readonly observed: number;
  /** removing counts the members deleted here and not yet reported gone. */
  readonly removing: number;
  /** reporting is true once the agent sent a full report since this operator started (reads work). */
  readonly reporting: boolean;
  /** lastReportAt is when the last report (full or not) arrived, in clock milliseconds. */
  readonly lastReportAt: number | undefined;
  /** fullSyncPending is true while changes wait for a session (sent in full from sessionOpened). */
  readonly fullSyncPending: boolean;
}

/** PullSiteMembersOptions are the store's dependencies. */
export interface PullSiteMembersOptions {
  readonly send: SendMemberSync;
  readonly clock: Pick<Clock, 'now'>;
}

/** ReportedEntry is an object the site holds, as last reported; fingerprint tells a real change from a repeat. */
interface ReportedEntry {
  readonly key: MemberKey;
  readonly object: KubernetesObject;
  readonly appliedHash: string | undefined;
  readonly fingerprint: string;
}

/**
 * StandingRefusal is the site's refusal of content the operator wanted (`hash`; undefined when the agent did not name
 * it), with the labels of the refused object, to name its owner to the listeners.
 */
interface StandingRefusal {
  readonly hash: string | undefined;
  readonly refusal: MemberRefusal;
  readonly labels: Readonly<Record<string, string>>;
}

/** SiteState is everything the store keeps about one site; maps are keyed by memberId. */
interface SiteState {
  readonly desired: Map<string, DesiredMember>;
  readonly removing: Map<string, MemberKey>;
  readonly reported: Map<string, ReportedEntry>;
  /** refused keys are never in `desired` (an apply of other content takes the key out of here first). */
  readonly refused: Map<string, StandingRefusal>;
  /** observed are the pods and nodes reported beside the members, by memberId. */
  readonly observed: Map<string, KubernetesObject>;
  reporting: boolean;
  lastReportAt: number | undefined;
  /** A fresh store has sent nothing, so its first sync must be full as well. */
  fullSyncPending: boolean;
  /** byWorkload indexes desired and reported ids by their LABEL_WORKLOAD (workload-index.ts). */
  readonly byWorkload: WorkloadIndex;
}

/** ReportedChange is one member whose reported object or refusal changed within a report, with its owner's labels. */
interface ReportedChange {
  readonly key: MemberKey;
  readonly object: KubernetesObject | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** PullSiteMembers holds, per pull-mode site, the desired and the reported member objects. */
export class PullSiteMembers {
  readonly #send: SendMemberSync;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #sites = new Map<string, SiteState>();
  readonly #listeners = new Set<MemberChangeListener>();

  constructor(options: PullSiteMembersOptions) {
    this.#send = options.send;
    this.#clock = options.clock;
  }

  /** port is the controllers' view of `site`. */
  port(site: string): SiteMemberPort {
    return new PullMemberPort(this, site);
  }

  /**
   * read returns a copy of the member as the site has it: as last reported, or, while the agent has not reported an
   * object the operator asked for, the desired object (without status) — as a push-mode read right after an apply
   * finds what was applied. Undefined when neither (a refused create: refusal() says why). Throws until the site's
   * first full report.
   */
  read(site: string, key: MemberKey): KubernetesObject | undefined {
    const state = this.#reportingState(site);
    const object = visible(state, memberId(key));
    return object === undefined ? undefined : structuredClone(object);
  }

  /**
   * list returns copies of the members of `kind` in `namespace` ('' for every namespace, as in Kubernetes) whose
   * labels match `labelSelector` (equality terms only), as read() sees each; throws until the site's first full
   * report.
   */
  list(site: string, kind: MemberKind, namespace: string, labelSelector: string): KubernetesObject[] {
    const selector = parseEqualityLabelSelector(labelSelector);
    const state = this.#reportingState(site);
    const out: KubernetesObject[] = [];
    // A selector naming a workload reads that workload's ids only: training's rediscovery lists one workload's members
    // at every pull site before each placement, and a scan of every member there took a fifth of the operator's CPU
    // at 10,000 jobs over 100 sites.
    const workload = selector.find(([key]) => key === LABEL_WORKLOAD)?.[1];
    const ids = workload === undefined ? new Set([...state.reported.keys(), ...state.desired.keys()]) : state.byWorkload.ids(workload);
    for (const id of ids) {
      const object = visible(state, id);
      if (object === undefined || object.kind !== kind) continue;
      if (namespace !== '' && object.metadata?.namespace !== namespace) continue;
      if (matchesLabels(selector, object.metadata?.labels)) out.push(structuredClone(object));
    }
    return out;
  }

  /**
   * apply makes `obj` the desired content of its key and sends it when the content changed; content the site refused
   * (and still refuses, as far as the store knows) is neither desired nor sent again. It returns the reported copy
   * when the agent applied this very content, else the desired object (without status).
   */
  apply(site: string, obj: KubernetesObject): KubernetesObject {
    const state = this.#state(site);
    const member = desiredMemberOf(obj);
    const id = memberId(member.key);
    const reported = state.reported.get(id);
    const current = reported !== undefined && reported.appliedHash === member.hash ? reported.object : member.object;
    const refused = state.refused.get(id);
    if (refused !== undefined && refused.hash === member.hash) return structuredClone(current);
    state.refused.delete(id); // applied anew: the site has not answered this content yet
    const changed = state.desired.get(id)?.hash !== member.hash;
    state.desired.set(id, member);
    state.byWorkload.add(id, member.object);
    state.removing.delete(id); // wanted again: the desired content, sent below, supersedes the remove
    if (changed) this.#sync(site, state, { full: false, apply: [member], remove: [] });
    return structuredClone(current);
  }

  /**
   * delete takes the key out of the desired set, forgets its refusal, and sends a remove (once; full syncs repeat it
   * until the agent reports the key gone). The reported copy stays readable until then.
   */
  delete(site: string, key: MemberKey): void {
    const state = this.#state(site);
    const id = memberId(key);
    state.desired.delete(id);
    state.byWorkload.dropUnless(id, state.reported.has(id));
    state.refused.delete(id);
    if (state.removing.has(id)) return;
    state.removing.set(id, { kind: key.kind, namespace: key.namespace, name: key.name });
    this.#sync(site, state, { full: false, apply: [], remove: [key] });
  }

  /** refusal returns why the site refused the member, while that refusal stands (module comment), or undefined. */
  refusal(site: string, key: MemberKey): MemberRefusal | undefined {
    return this.#sites.get(site)?.refused.get(memberId(key))?.refusal;
  }

  /**
   * pods returns copies of the pods the agent reports in `namespace` ('' for every namespace) whose labels match
   * `labelSelector` (equality terms only): the unfinished pods of the member Jobs, trimmed (OBSERVED_KINDS). Throws
   * until the site's first full report.
   */
  pods(site: string, namespace: string, labelSelector: string): V1Pod[] {
    const selector = parseEqualityLabelSelector(labelSelector);
    const state = this.#reportingState(site);
    const out: V1Pod[] = [];
    for (const object of state.observed.values()) {
      if (object.kind !== 'Pod') continue;
      if (namespace !== '' && object.metadata?.namespace !== namespace) continue;
      if (matchesLabels(selector, object.metadata?.labels)) out.push(structuredClone(object) as V1Pod);
    }
    return out;
  }

  /**
   * node returns a copy of the Node named `name` as the agent reports it (name and AcceleratorHealthy only), or
   * undefined: the agent reports the nodes under the pods it reports, and no other. Throws until the site's first
   * full report.
   */
  node(site: string, name: string): V1Node | undefined {
    const object = this.#reportingState(site).observed.get(memberId({ kind: 'Node', namespace: '', name }));
    return object === undefined ? undefined : (structuredClone(object) as V1Node);
  }

  /** sessionOpened sends `site` a full sync: its whole desired set, and every remove not yet reported done. */
  sessionOpened(site: string): void {
    const state = this.#state(site);
    const sync: MemberSync = { full: true, apply: [...state.desired.values()], remove: [...state.removing.values()] };
    state.fullSyncPending = !this.#send(site, sync);
  }

  /**
   * report takes in what the agent says the site holds (pull-member-messages.ts) and tells the listeners which members
   * changed. A refusal state says nothing of the object (the site may still hold an older copy), so the copy known
   * stays; a gone key takes the reported copy with it, never a standing refusal.
   */
  report(site: string, report: MemberReport): void {
    const state = this.#state(site);
    const changes: ReportedChange[] = [];
    const seen = new Set<string>();
    const gone = new Map<string, MemberKey>();
    for (const member of report.states) {
      const id = memberId(member.key);
      seen.add(id);
      const { key } = member;
      if (isObservedKey(key)) {
        if (member.object === undefined) state.observed.delete(id);
        else state.observed.set(id, member.object);
        continue;
      }
      if (member.refusal !== undefined) {
        const change = this.#refused(state, id, key, member.appliedHash, member.refusal);
        if (change !== undefined) changes.push(change);
        continue;
      }
      if (member.object === undefined) {
        gone.set(id, key);
        continue;
      }
      const before = state.reported.get(id);
      const after = entryOf(key, member.object, member.appliedHash);
      state.reported.set(id, after);
      state.byWorkload.add(id, after.object);
      // The refused content at the site after all (another sync of its workload applied it): nothing to refuse now.
      const refused = state.refused.get(id);
      if (refused !== undefined && refused.hash !== undefined && refused.hash === member.appliedHash) state.refused.delete(id);
      if (before?.fingerprint !== after.fingerprint) changes.push({ key, object: after.object, labels: after.object.metadata?.labels ?? NO_LABELS });
    }
    for (const key of report.gone) {
      if (isObservedKey(key)) state.observed.delete(memberId(key));
      else gone.set(memberId(key), key);
    }
    if (report.full) {
      for (const [id, entry] of state.reported) if (!seen.has(id)) gone.set(id, entry.key);
      for (const id of [...state.observed.keys()]) if (!seen.has(id)) state.observed.delete(id);
    }
    for (const [id, key] of gone) {
      const before = state.reported.get(id);
      state.reported.delete(id);
      state.byWorkload.dropUnless(id, state.desired.has(id));
      state.removing.delete(id);
      if (before !== undefined) changes.push({ key, object: undefined, labels: before.object.metadata?.labels ?? state.refused.get(id)?.labels ?? NO_LABELS });
    }
    if (report.full) {
      // A remove of a key the site does not hold is done, whether or not the agent ever named it.
      for (const id of state.removing.keys()) if (!state.reported.has(id)) state.removing.delete(id);
      state.reporting = true;
    }
    state.lastReportAt = this.#clock.now();
    this.#notify(site, changes);
  }

  /** onChange subscribes `listener` to reported changes; the returned function unsubscribes it. */
  onChange(listener: MemberChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** stats describes `site` (all zero for a site the store has not heard of). */
  stats(site: string): PullSiteStats {
    const state = this.#sites.get(site);
    return {
      desired: state?.desired.size ?? 0,
      reported: state?.reported.size ?? 0,
      refused: state?.refused.size ?? 0,
      observed: state?.observed.size ?? 0,
      removing: state?.removing.size ?? 0,
      reporting: state?.reporting ?? false,
      lastReportAt: state?.lastReportAt,
      fullSyncPending: state?.fullSyncPending ?? true,
    };
  }

  /** sites lists the sites the store holds state for. */
  sites(): string[] {
    return [...this.#sites.keys()];
  }

  /** forgetSite drops everything about `site` (its Site was deleted, or it left pull mode). */
  forgetSite(site: string): void {
    this.#sites.delete(site);
  }

  #state(site: string): SiteState {
    let state = this.#sites.get(site);
    if (state === undefined) {
      state = { desired: new Map(), removing: new Map(), reported: new Map(), refused: new Map(), observed: new Map(), reporting: false, lastReportAt: undefined, fullSyncPending: true, byWorkload: new WorkloadIndex() };
      this.#sites.set(site, state);
    }
    return state;
  }

  /** reportingState is the site's state for a read; a site without a full report cannot say what it holds. */
  #reportingState(site: string): SiteState {
    const state = this.#sites.get(site);
    if (state === undefined || !state.reporting) throw siteNotReporting(site);
    return state;
  }

  /**
   * sync sends an incremental change, unless a full sync is owed: then nothing goes out until sessionOpened, whose full
   * sync carries this change too (trying a full sync per change while no session would cost the whole set each time).
   */
  #sync(site: string, state: SiteState, change: MemberSync): void {
    if (state.fullSyncPending) return;
    if (!this.#send(site, change)) state.fullSyncPending = true;
  }

  /**
   * refused takes in a refusal state (module comment): a refusal of the content desired now (or, the agent naming no
   * hash, of whatever is desired), or of a member nothing is desired for (an earlier operator asked), stands and takes
   * the key out of the desired set; one of content no longer wanted, or of a member being removed, is an answer to a
   * question nobody asks any more. Returns the change to tell, when the standing refusal is new or different.
   */
  #refused(state: SiteState, id: string, key: MemberKey, hash: string | undefined, refusal: MemberRefusal): ReportedChange | undefined {
    if (state.removing.has(id)) return undefined;
    const wanted = state.desired.get(id);
    if (wanted !== undefined && hash !== undefined && hash !== wanted.hash) return undefined;
    const before = state.refused.get(id);
    const object = state.reported.get(id)?.object;
    const after: StandingRefusal = {
      hash: hash ?? wanted?.hash,
      refusal: { reason: refusal.reason, message: refusal.message },
      labels: wanted?.object.metadata?.labels ?? before?.labels ?? object?.metadata?.labels ?? NO_LABELS,
    };
    state.desired.delete(id);
    state.byWorkload.dropUnless(id, state.reported.has(id));
    state.refused.set(id, after);
    const same = before !== undefined && before.hash === after.hash && before.refusal.reason === after.refusal.reason && before.refusal.message === after.refusal.message;
    return same ? undefined : { key, object, labels: after.labels };
  }

  /** notify calls every listener for every change; one listener's throw does not keep the others from hearing. */
  #notify(site: string, changes: readonly ReportedChange[]): void {
    if (changes.length === 0 || this.#listeners.size === 0) return;
    const errors: unknown[] = [];
    for (const change of changes) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(site, change.key, change.object, change.labels);
        } catch (err: unknown) {
          errors.push(err);
        }
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} member change listeners of site ${site} threw`);
  }
}

/** visible is what read() shows for one member id (its comment): the reported copy, else the desired one. */
function visible(state: SiteState, id: string): KubernetesObject | undefined {
  return state.reported.get(id)?.object ?? state.desired.get(id)?.object;
}

/** memberId is the map key of a reported key: kinds, namespaces and names hold no '/'. */
function memberId(key: ReportedKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

function entryOf(key: MemberKey, object: KubernetesObject, appliedHash: string | undefined): ReportedEntry {
  const ownKey: MemberKey = { kind: key.kind, namespace: key.namespace, name: key.name };
  return { key: ownKey, object, appliedHash, fingerprint: canonicalHash({ object, appliedHash }) };
}
