/**
 * The operator's side of pull mode's member objects: per site, what the controllers want there (the desired set) and
 * what the agent last said the site holds (the reported set). Controllers reach it through `port(site)`, the same
 * SiteMemberPort they use in push mode; the operator feeds it the agent's reports and tells it when a session opens.
 *
 * - Writes go out as syncs only when content changes (the DesiredMember hash), so a reconcile that re-applies every
 *   member sends nothing. A sync that finds no session makes the next one full, sent from `sessionOpened`.
 * - A delete is a remove that is repeated in every full sync until the agent reports the key gone; the object stays
 *   readable, as reported (with its deletionTimestamp), until then, which is what foreground deletion promises.
 * - Reads come only from reports, and throw until the site's first full report since this operator started.
 *
 * Pure: no logging, no timers, no I/O; the clock only stamps report times for `stats`.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../runtime/clock.ts';
import { canonicalHash, desiredMemberOf } from './pull-desired-member.ts';
import { matchesLabels, parseEqualityLabelSelector } from './pull-label-selector.ts';
import { PullMemberPort } from './pull-member-port.ts';
import type { DesiredMember, MemberReport, MemberSync, SendMemberSync } from './pull-member-messages.ts';
import { siteNotReporting } from './pull-site-not-reporting.ts';
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
  /** refused counts the members whose last report carries a refusal. */
  readonly refused: number;
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

/** ReportedEntry is the agent's last word on one key; fingerprint tells a real change from a repeat. */
interface ReportedEntry {
  readonly key: MemberKey;
  readonly object: KubernetesObject | undefined;
  readonly appliedHash: string | undefined;
  readonly refusal: MemberRefusal | undefined;
  readonly fingerprint: string;
}

/** SiteState is everything the store keeps about one site; maps are keyed by memberId. */
interface SiteState {
  readonly desired: Map<string, DesiredMember>;
  readonly removing: Map<string, MemberKey>;
  readonly reported: Map<string, ReportedEntry>;
  reporting: boolean;
  lastReportAt: number | undefined;
  /** A fresh store has sent nothing, so its first sync must be full as well. */
  fullSyncPending: boolean;
}

/** ReportedChange is one key whose reported entry changed within a report. */
interface ReportedChange {
  readonly id: string;
  readonly key: MemberKey;
  readonly before: ReportedEntry | undefined;
  readonly after: ReportedEntry | undefined;
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
   * finds what was applied. Undefined when neither, or when the site refused it (refusal() says why). Throws until
   * the site's first full report.
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
    for (const id of new Set([...state.reported.keys(), ...state.desired.keys()])) {
      const object = visible(state, id);
      if (object === undefined || object.kind !== kind) continue;
      if (namespace !== '' && object.metadata?.namespace !== namespace) continue;
      if (matchesLabels(selector, object.metadata?.labels)) out.push(structuredClone(object));
    }
    return out;
  }

  /**
   * apply makes `obj` the desired content of its key and sends it when the content changed. It returns the reported
   * copy when the agent applied this very content, else the desired object (without status).
   */
  apply(site: string, obj: KubernetesObject): KubernetesObject {
    const state = this.#state(site);
    const member = desiredMemberOf(obj);
    const id = memberId(member.key);
    const changed = state.desired.get(id)?.hash !== member.hash;
    state.desired.set(id, member);
    state.removing.delete(id); // wanted again: the desired content, sent below, supersedes the remove
    if (changed) this.#sync(site, state, { full: false, apply: [member], remove: [] });
    const reported = state.reported.get(id);
    const current = reported?.object !== undefined && reported.appliedHash === member.hash ? reported.object : member.object;
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
    const reported = state.reported.get(id);
    if (reported?.refusal !== undefined) {
      if (reported.object === undefined) state.reported.delete(id);
      else state.reported.set(id, entryOf(reported.key, reported.object, reported.appliedHash, undefined));
    }
    if (state.removing.has(id)) return;
    state.removing.set(id, { kind: key.kind, namespace: key.namespace, name: key.name });
    this.#sync(site, state, { full: false, apply: [], remove: [key] });
  }

  /** refusal returns why the site last refused the member, or undefined. */
  refusal(site: string, key: MemberKey): MemberRefusal | undefined {
    return this.#sites.get(site)?.reported.get(memberId(key))?.refusal;
  }

  /** sessionOpened sends `site` a full sync: its whole desired set, and every remove not yet reported done. */
  sessionOpened(site: string): void {
    const state = this.#state(site);
    const sync: MemberSync = { full: true, apply: [...state.desired.values()], remove: [...state.removing.values()] };
    state.fullSyncPending = !this.#send(site, sync);
  }

  /** report takes in what the agent says the site holds (pull-member-messages.ts) and tells the listeners what changed. */
  report(site: string, report: MemberReport): void {
    const state = this.#state(site);
    const changes: ReportedChange[] = [];
    const seen = new Set<string>();
    const gone = new Map<string, MemberKey>();
    for (const member of report.states) {
      const id = memberId(member.key);
      seen.add(id);
      if (member.object === undefined && member.refusal === undefined) {
        gone.set(id, member.key);
        continue;
      }
      const before = state.reported.get(id);
      // A state that shows content applied clears an old refusal; one that says nothing of it keeps it.
      const refusal = member.refusal ?? (member.appliedHash !== undefined ? undefined : before?.refusal);
      const after = entryOf(member.key, member.object, member.appliedHash, refusal);
      state.reported.set(id, after);
      if (before?.fingerprint !== after.fingerprint) changes.push({ id, key: member.key, before, after });
    }
    for (const key of report.gone) gone.set(memberId(key), key);
    if (report.full) {
      for (const [id, entry] of state.reported) if (!seen.has(id)) gone.set(id, entry.key);
    }
    for (const [id, key] of gone) {
      const before = state.reported.get(id);
      state.reported.delete(id);
      state.removing.delete(id);
      if (before !== undefined) changes.push({ id, key, before, after: undefined });
    }
    if (report.full) {
      // A remove of a key the site does not hold is done, whether or not the agent ever named it.
      for (const id of state.removing.keys()) if (!state.reported.has(id)) state.removing.delete(id);
      state.reporting = true;
    }
    state.lastReportAt = this.#clock.now();
    this.#notify(site, state, changes);
  }

  /** onChange subscribes `listener` to reported changes; the returned function unsubscribes it. */
  onChange(listener: MemberChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** stats describes `site` (all zero for a site the store has not heard of). */
  stats(site: string): PullSiteStats {
    const state = this.#sites.get(site);
    let reported = 0;
    let refused = 0;
    for (const entry of state?.reported.values() ?? []) {
      if (entry.object !== undefined) reported++;
      if (entry.refusal !== undefined) refused++;
    }
    return {
      desired: state?.desired.size ?? 0,
      reported,
      refused,
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
      state = { desired: new Map(), removing: new Map(), reported: new Map(), reporting: false, lastReportAt: undefined, fullSyncPending: true };
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

  /** notify calls every listener for every change; one listener's throw does not keep the others from hearing. */
  #notify(site: string, state: SiteState, changes: readonly ReportedChange[]): void {
    if (changes.length === 0 || this.#listeners.size === 0) return;
    const errors: unknown[] = [];
    for (const change of changes) {
      const labels = change.after?.object?.metadata?.labels ?? change.before?.object?.metadata?.labels ?? state.desired.get(change.id)?.object.metadata?.labels ?? NO_LABELS;
      for (const listener of [...this.#listeners]) {
        try {
          listener(site, change.key, change.after?.object, labels);
        } catch (err: unknown) {
          errors.push(err);
        }
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} member change listeners of site ${site} threw`);
  }
}

/** visible is what read() shows for one member id (its comment): the reported copy, else a desired one not refused. */
function visible(state: SiteState, id: string): KubernetesObject | undefined {
  const reported = state.reported.get(id);
  if (reported?.object !== undefined) return reported.object;
  if (reported?.refusal !== undefined) return undefined;
  return state.desired.get(id)?.object;
}

/** memberId is the map key of a MemberKey: kinds, namespaces and names hold no '/'. */
function memberId(key: MemberKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

function entryOf(key: MemberKey, object: KubernetesObject | undefined, appliedHash: string | undefined, refusal: MemberRefusal | undefined): ReportedEntry {
  const ownKey: MemberKey = { kind: key.kind, namespace: key.namespace, name: key.name };
  return { key: ownKey, object, appliedHash, refusal, fingerprint: canonicalHash({ object, appliedHash, refusal }) };
}
