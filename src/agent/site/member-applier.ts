/**
 * MemberApplier carries out pull mode's member syncs at the site: it keeps the agent's desired set, plans each sync
 * (member-plan.ts, pure) against the objects the site holds, and does the plan's I/O through a MemberSiteApi:
 *
 * 1. namespaces first: a missing one is created, labelled as Suanwang's (the plan only applies into namespaces the
 *    policy allows; the agent never deletes a namespace);
 * 2. applies, a few at a time, by server-side apply under the field manager `suanwang-agent`. Before creating an
 *    object the site does not hold as Suanwang's, it reads the name: an unlabelled object there is someone else's
 *    and is refused (ApplyRejected), not taken over;
 * 3. deletes, Jobs and Deployments in the foreground.
 *
 * Syncs run one at a time, in order. A refusal is kept until the member's content changes or it leaves the desired set;
 * an apply the apiserver refuses for good (validation, admission, RBAC) becomes an ApplyRejected refusal; a failure
 * that may pass (a timeout, a 5xx, a conflict) is retried with capped backoff. While `paused()` (the partition fence
 * stops the site's members) nothing is applied: the applies wait for a retry. A member deferred because its old copy
 * is still being deleted is applied once the watch says the copy is gone (`heldGone`).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from '../../runtime/backoff.ts';
import type { Cancel, Clock, Random } from '../../runtime/clock.ts';
import { toApiError } from '../../runtime/errors.ts';
import type { DesiredMemberOut, MemberRefOut, MemberSyncOut } from '../../wire/messages.ts';
import { formatMember, isManaged, MEMBER_KINDS, memberKey, type MemberId, type MemberKind } from './member-kinds.ts';
import { APPLY_REJECTED, planMemberSync, type ApplyStep, type DesiredEntry, type HeldMember, type MemberRefusal, type SyncChange } from './member-plan.ts';
import type { CheckContext, SitePolicy } from './site-policy.ts';

/** MemberSiteApi is the site's apiserver as the applier uses it (kubernetes-members.ts in production). */
export interface MemberSiteApi {
  /** read returns the object, or undefined when there is none. */
  read(id: MemberId & { readonly kind: MemberKind }): Promise<KubernetesObject | undefined>;
  /** apply server-side-applies the object under AGENT_FIELD_MANAGER, forcing ownership of its fields. */
  apply(obj: KubernetesObject): Promise<KubernetesObject>;
  /** remove deletes it (absent is no error), in the foreground when asked. */
  remove(id: MemberId & { readonly kind: MemberKind }, foreground: boolean): Promise<void>;
  /** ensureNamespace creates the namespace, labelled as Suanwang's, unless it exists. */
  ensureNamespace(name: string): Promise<void>;
}

/** DEFAULT_RETRY_BACKOFF: failed applies and deletes are tried again after 1 s, doubling to 1 min. */
export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

/** DEFAULT_APPLY_CONCURRENCY: applies in flight at once; the site's apiserver, not the agent, is the limit. */
export const DEFAULT_APPLY_CONCURRENCY = 4;

/** MemberApplierOptions configures a MemberApplier. */
export interface MemberApplierOptions {
  readonly api: MemberSiteApi;
  /** held lists the labelled member objects the site holds now (the agent's caches). */
  readonly held: () => readonly HeldMember[];
  readonly policy: SitePolicy;
  readonly context?: CheckContext;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** paused: while true, nothing is applied (the partition fence holds). */
  readonly paused?: () => boolean;
  /** changed is told the members whose refusal changed, and called after every sync (the generation moved). */
  readonly changed: (ids: readonly MemberId[]) => void;
  readonly retryBackoff?: BackoffPolicy;
  readonly concurrency?: number;
}

/** Pending is a member whose apply or delete failed in a way that may pass; it is tried again. */
interface Pending {
  readonly id: MemberId;
  readonly op: 'apply' | 'delete';
}

/** MemberApplier applies pull mode's member syncs (module comment). */
export class MemberApplier {
  readonly #o: MemberApplierOptions;
  readonly #log: Logger;
  #desired: ReadonlyMap<string, DesiredEntry> = new Map();
  readonly #refusals = new Map<string, MemberRefusal>();
  readonly #retry = new Map<string, Pending>();
  readonly #deferred = new Set<string>();
  #retryTimer: Cancel | undefined;
  #retries = 0;
  #appliedGeneration = 0;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: MemberApplierOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'member-applier' });
  }

  /** appliedGeneration is the generation of the last sync processed completely; 0 before the first. */
  get appliedGeneration(): number {
    return this.#appliedGeneration;
  }

  /** refusals are the members whose desired content the agent did not apply, by memberKey. */
  get refusals(): ReadonlyMap<string, MemberRefusal> {
    return this.#refusals;
  }

  /** desiredCount is the size of the desired set. */
  get desiredCount(): number {
    return this.#desired.size;
  }

  /** accept queues a sync; the promise settles when it (and every sync before it) has been processed. */
  accept(sync: MemberSyncOut): Promise<void> {
    const change: SyncChange = { full: sync.full ?? false, apply: sync.apply ?? [], remove: sync.remove ?? [] };
    return this.#enqueue(change, sync.generation ?? 0);
  }

  /** heldGone is the watch telling that a held object disappeared: a member deferred for it is applied now. */
  heldGone(id: MemberId): void {
    const key = memberKey(id);
    if (!this.#deferred.delete(key)) return;
    const entry = this.#desired.get(key);
    if (entry !== undefined) void this.#enqueue({ full: false, apply: [entry.member], remove: [] }, 0);
  }

  /** stop cancels the retry timer; a sync in progress finishes its current call and does nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#retryTimer?.();
    this.#retryTimer = undefined;
  }

  #enqueue(change: SyncChange, generation: number): Promise<void> {
    const run = this.#queue.then(() => this.#process(change, generation));
    this.#queue = run.catch((err: unknown) => this.#log.error({ err }, 'member sync failed'));
    return this.#queue;
  }

  async #process(change: SyncChange, generation: number): Promise<void> {
    if (this.#stopped) return;
    const plan = planMemberSync({ sync: change, desired: this.#desired, held: this.#o.held(), policy: this.#o.policy, ...(this.#o.context ? { context: this.#o.context } : {}) });
    this.#desired = plan.desired;
    const changed: MemberId[] = [];
    const setRefusal = (r: MemberRefusal): void => {
      const key = memberKey(r.id);
      const known = this.#refusals.get(key);
      if (known?.hash === r.hash && known.reason === r.reason && known.message === r.message) return;
      this.#refusals.set(key, r);
      changed.push(r.id);
    };
    const clearRefusal = (id: MemberId): void => {
      if (this.#refusals.delete(memberKey(id))) changed.push(id);
    };
    // What left the desired set takes its refusal, retry and deferral with it.
    for (const [key, r] of [...this.#refusals]) if (!plan.desired.has(key)) clearRefusal(r.id);
    for (const key of [...this.#deferred]) if (!plan.desired.has(key)) this.#deferred.delete(key);
    for (const [key, p] of [...this.#retry]) if ((p.op === 'apply') !== plan.desired.has(key)) this.#retry.delete(key);
    for (const r of plan.refuse) {
      setRefusal(r);
      this.#retry.delete(memberKey(r.id));
    }
    for (const id of plan.unchanged) {
      clearRefusal(id);
      this.#retry.delete(memberKey(id));
    }
    for (const id of plan.deferred) this.#deferred.add(memberKey(id));
    if (plan.refuse.length > 0) {
      this.#log.warn({ refused: plan.refuse.map((r) => ({ member: formatMember(r.id), reason: r.reason, message: r.message })) }, 'site policy refused members');
    }

    if (this.#o.paused?.() === true && plan.apply.length > 0) {
      this.#log.warn({ applies: plan.apply.length }, 'not applying members while the partition fence holds; trying again later');
      for (const step of plan.apply) this.#retry.set(memberKey(step.id), { id: step.id, op: 'apply' });
    } else {
      await this.#applyAll(plan.namespaces, plan.apply, setRefusal, clearRefusal);
    }
    for (const id of plan.delete) await this.#delete(id);

    if (generation > 0) this.#appliedGeneration = generation;
    if (plan.apply.length + plan.delete.length + plan.refuse.length > 0 || generation > 0) {
      this.#log.info(
        { generation, full: change.full, applied: plan.apply.length, unchanged: plan.unchanged.length, deferred: plan.deferred.length, refused: plan.refuse.length, deleted: plan.delete.length },
        'member sync processed',
      );
    }
    this.#armRetry();
    this.#o.changed(changed);
  }

  async #applyAll(namespaces: readonly string[], steps: readonly ApplyStep[], refuse: (r: MemberRefusal) => void, accept: (id: MemberId) => void): Promise<void> {
    const failedNamespaces = new Set<string>();
    for (const ns of namespaces) {
      if (this.#stopped) return;
      try {
        await this.#o.api.ensureNamespace(ns);
      } catch (err: unknown) {
        failedNamespaces.add(ns);
        this.#log.warn({ err, namespace: ns }, 'could not make sure the namespace exists; its members wait');
      }
    }
    const queue = [...steps];
    const worker = async (): Promise<void> => {
      for (let step = queue.shift(); step !== undefined && !this.#stopped; step = queue.shift()) {
        if (failedNamespaces.has(step.id.namespace)) {
          this.#retry.set(memberKey(step.id), { id: step.id, op: 'apply' });
          continue;
        }
        await this.#apply(step, refuse, accept);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#o.concurrency ?? DEFAULT_APPLY_CONCURRENCY) }, worker));
  }

  async #apply(step: ApplyStep, refuse: (r: MemberRefusal) => void, accept: (id: MemberId) => void): Promise<void> {
    const key = memberKey(step.id);
    try {
      if (!step.held) {
        const existing = await this.#o.api.read(step.id);
        if (existing !== undefined && !isManaged(existing)) {
          this.#retry.delete(key);
          return refuse({
            id: step.id,
            hash: step.hash,
            reason: APPLY_REJECTED,
            message: `${formatMember(step.id)}: the site already has an object of this name that is not Suanwang's (no label app.kubernetes.io/managed-by=suanwang); the agent does not take it over`,
          });
        }
      }
      await this.#o.api.apply(step.object);
      this.#retry.delete(key);
      accept(step.id);
      this.#log.debug({ member: formatMember(step.id), hash: step.hash }, 'member applied');
    } catch (err: unknown) {
      const e = toApiError(err);
      if (e.retryable) {
        this.#retry.set(key, { id: step.id, op: 'apply' });
        this.#log.warn({ member: formatMember(step.id), code: e.code, err: e.message }, 'apply failed; trying again');
        return;
      }
      this.#retry.delete(key);
      refuse({ id: step.id, hash: step.hash, reason: APPLY_REJECTED, message: `${formatMember(step.id)}: the site's apiserver refused it (${e.code}${e.status === undefined ? '' : ` ${e.status}`}): ${e.message}` });
    }
  }

  async #delete(id: MemberId & { readonly kind: MemberKind }): Promise<void> {
    if (this.#stopped) return;
    const key = memberKey(id);
    try {
      await this.#o.api.remove(id, MEMBER_KINDS[id.kind].foregroundDelete);
      this.#retry.delete(key);
      this.#log.info({ member: formatMember(id) }, 'member deleted');
    } catch (err: unknown) {
      const e = toApiError(err);
      if (e.retryable) this.#retry.set(key, { id, op: 'delete' });
      else this.#retry.delete(key);
      this.#log.warn({ member: formatMember(id), code: e.code, err: e.message, retrying: e.retryable }, 'delete failed');
    }
  }

  /** armRetry sets the retry timer when something waits for one; the delay grows while retries keep failing. */
  #armRetry(): void {
    if (this.#retry.size === 0) {
      this.#retries = 0;
      return;
    }
    if (this.#retryTimer !== undefined || this.#stopped) return;
    const delay = backoffDelay(this.#o.retryBackoff ?? DEFAULT_RETRY_BACKOFF, this.#retries, this.#o.random());
    this.#retries += 1;
    this.#retryTimer = this.#o.clock.after(delay, () => {
      this.#retryTimer = undefined;
      const pending = [...this.#retry.values()];
      this.#retry.clear();
      const apply: DesiredMemberOut[] = [];
      const remove: MemberRefOut[] = [];
      for (const p of pending) {
        const entry = this.#desired.get(memberKey(p.id));
        if (p.op === 'apply' && entry !== undefined) apply.push(entry.member);
        else if (p.op === 'delete' && entry === undefined) remove.push({ kind: p.id.kind, namespace: p.id.namespace, name: p.id.name });
      }
      void this.#enqueue({ full: false, apply, remove }, 0);
    });
  }
}
