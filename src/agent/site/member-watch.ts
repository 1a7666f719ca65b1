/**
 * MemberWatch turns what happens to the site's member objects into member reports (pull mode). It listens to the
 * watches of the labelled Jobs, Services and Deployments, to the worker pods and their nodes (observed-objects.ts,
 * reported read-only beside the members), and to the applier (refusals, the processed generation),
 * gathers the members that changed for a short while (the first change starts the wait; later ones do not extend it,
 * as in site-agent.ts), and sends one report of the states that differ from the last ones sent, and of the members
 * that are gone. The full report the session sends after every snapshot comes from `fullReport()`, which also resets
 * what counts as sent, so later reports are differences from it.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Cancel, Clock } from '../../runtime/clock.ts';
import type { MemberReport, MemberRef, MemberState } from '../../wire/messages.ts';
import { isMemberKind, isObservedKind, MEMBER_KIND_NAMES, memberIdOf, memberIdOfObject, memberKey, type MemberId, type MemberKind } from './member-kinds.ts';
import type { MemberRefusal } from './member-plan.ts';
import { memberRef, memberState, type MemberCacheView } from './member-report.ts';
import type { ObservedObjects, ObservedReader } from './observed-objects.ts';

/** DEFAULT_REPORT_DEBOUNCE_MS is how long changes are gathered into one report. */
export const DEFAULT_REPORT_DEBOUNCE_MS = 500;

/** MemberWatchOptions configures a MemberWatch. */
export interface MemberWatchOptions {
  readonly caches: MemberCacheView;
  /** refusals are the applier's, by memberKey. */
  readonly refusals: () => ReadonlyMap<string, MemberRefusal>;
  readonly appliedGeneration: () => number;
  /** gone is told when a held object disappears (the applier applies what waited for it). */
  readonly gone?: (id: MemberId) => void;
  /** observed are the worker pods and their nodes, reported read-only; without them the reports hold members only. */
  readonly observed?: ObservedObjects;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly debounceMs?: number;
}

/** MemberWatch sends member reports as members change (module comment). */
export class MemberWatch {
  readonly #o: MemberWatchOptions;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #dirty = new Map<string, MemberId>();
  /** What the operator was last told of each member, as a fingerprint; a member it was told nothing of is absent. */
  readonly #told = new Map<string, string>();
  #toldGeneration = 0;
  #send: ((report: MemberReport) => void) | undefined;
  #timer: Cancel | undefined;
  #stopped = false;

  constructor(options: MemberWatchOptions) {
    this.#o = options;
  }

  /** start listens to the caches (start them separately). */
  start(): void {
    for (const kind of MEMBER_KIND_NAMES) {
      const cache = this.#o.caches[kind];
      this.#unsubscribe.push(cache.onChange((obj) => this.#cacheChanged(kind, obj)));
    }
    if (this.#o.observed !== undefined) this.#unsubscribe.push(this.#o.observed.subscribe((ids) => this.changed(ids)));
  }

  /** attach gives the watch its way to the operator: the session's sendMemberReport. */
  attach(send: (report: MemberReport) => void): void {
    this.#send = send;
  }

  /** changed marks members whose state may have changed (the applier's refusals); a report follows. */
  changed(ids: readonly MemberId[]): void {
    for (const id of ids) this.#dirty.set(memberKey(id), id);
    this.#schedule();
  }

  /** fullReport is every member the agent holds or refused and every observed object (the session sends it after a snapshot). */
  fullReport(): Omit<MemberReport, 'full'> {
    const refusals = this.#o.refusals();
    const states: MemberState[] = [];
    this.#told.clear();
    this.#dirty.clear();
    const add = (key: string, state: MemberState | undefined): void => {
      if (state === undefined || this.#told.has(key)) return;
      states.push(state);
      this.#told.set(key, fingerprint(state));
    };
    for (const kind of MEMBER_KIND_NAMES) {
      for (const obj of this.#o.caches[kind].list()) {
        const id = memberIdOfObject(kind, obj);
        const key = memberKey(id);
        add(key, memberState(id, obj, refusals.get(key)));
      }
    }
    for (const [key, r] of refusals) add(key, memberState(r.id, undefined, r));
    for (const state of this.#o.observed?.reader().all() ?? []) add(memberKey(memberIdOf(state.ref ?? undefined)), state);
    this.#toldGeneration = this.#o.appliedGeneration();
    return { states, gone: [], appliedGeneration: this.#toldGeneration };
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.();
    this.#timer = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  #cacheChanged(kind: MemberKind, obj: KubernetesObject): void {
    const id = memberIdOfObject(kind, obj);
    if (this.#o.caches[kind].get(id.namespace, id.name) === undefined) this.#o.gone?.(id);
    this.changed([id]);
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = this.#o.clock.after(this.#o.debounceMs ?? DEFAULT_REPORT_DEBOUNCE_MS, () => {
      this.#timer = undefined;
      if (!this.#stopped) this.#flush();
    });
  }

  /** flush sends what changed since the operator was last told, if anything did. */
  #flush(): void {
    const send = this.#send;
    if (send === undefined) return; // the full report that follows the session's first snapshot tells it all
    const refusals = this.#o.refusals();
    const states: MemberState[] = [];
    const gone: MemberRef[] = [];
    let observed: ObservedReader | undefined;
    for (const [key, id] of this.#dirty) {
      const refusal = refusals.get(key);
      let state: MemberState | undefined;
      if (refusal === undefined && isObservedKind(id.kind)) {
        observed ??= this.#o.observed?.reader();
        state = observed?.state(id);
      } else {
        const held = isMemberKind(id.kind) ? this.#o.caches[id.kind].get(id.namespace, id.name) : undefined;
        state = memberState(id, held, refusal);
      }
      if (state === undefined) {
        if (this.#told.delete(key)) gone.push(memberRef(id));
        continue;
      }
      const fp = fingerprint(state);
      if (this.#told.get(key) === fp) continue;
      this.#told.set(key, fp);
      states.push(state);
    }
    this.#dirty.clear();
    const generation = this.#o.appliedGeneration();
    if (states.length === 0 && gone.length === 0 && generation === this.#toldGeneration) return;
    this.#toldGeneration = generation;
    send({ full: false, states, gone, appliedGeneration: generation });
    this.#o.logger.debug({ states: states.length, gone: gone.length, appliedGeneration: generation }, 'member report sent');
  }
}

/** fingerprint stands for a state in memory: the report repeats a member only when this changes. */
function fingerprint(state: MemberState): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('base64');
}
