/**
 * The shell every workload reconciler shares (TrainingJob, InferenceService): key parsing, the cache miss that
 * forgets a deleted object, the finalizer that keeps member objects from outliving their hub object, and the
 * clean-up that removes it. Each kind plugs in a small adapter: how to read its object, converge it, and clean up
 * its member objects. Level-triggered: a pass never learns whether the object was added, changed or deleted.
 */
import type { Logger } from 'pino';
import type { ObjectMeta, Site } from '../../api/generated/types.ts';
import type { SiteMemberPorts } from '../../clusters/site-member-ports.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import type { Clock } from '../../runtime/clock.ts';
import { API_VERSION, FINALIZER_CLEANUP } from '../../api/names.ts';
import { isNotFound } from '../../runtime/errors.ts';
import { parseKey } from '../../runtime/key.ts';
import { TerminalError, type Reconciler, type Result } from '../../runtime/reconciler.ts';
import type { EventRecorder, EventType } from './events.ts';
import type { HubObject, HubPatcher, HubWriter } from './hub-writer.ts';
import type { PromisedCapacityTracker } from './promised-capacity.ts';

/** WorkloadOptions are what every workload reconciler takes; each kind adds its cache reader and its own knobs. */
export interface WorkloadOptions {
  /** Patches the kind on the hub (CustomObjectsApi in production). */
  readonly hub: HubPatcher;
  /** sites lists the Sites from the informer cache. */
  readonly sites: () => readonly Site[];
  /** sitePorts gives each Site's member objects, push or pull (clusters/site-member-ports.ts). */
  readonly sitePorts: Pick<SiteMemberPorts, 'forSite'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events?: EventRecorder;
  readonly placementConfig?: PlacementConfig;
  /** Shared with every controller that places on the same sites (default: a tracker of its own). */
  readonly promised?: PromisedCapacityTracker;
  /** How long a site may be not Ready before its workloads move (default 60 s; site-liveness.ts). */
  readonly siteLostGraceMs?: number;
  /**
   * How often a placed workload's member objects are read when nothing woke it (default 10 s). With the member
   * informers wired (cache/member-informers.ts) a change arrives at once; the poll is the safety net.
   */
  readonly pollIntervalMs?: number;
}

/** WorkloadPass is one reconcile of one workload: its key, name and a logger that names it. */
export interface WorkloadPass {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly log: Logger;
}

/** CleanUpOutcome: every member object is gone (or given up on), or the finalizer stays and the key comes back. */
export type CleanUpOutcome =
  | { readonly done: true; readonly message: string }
  | { readonly done: false; readonly result: Result };

/** WorkloadAdapter is what a kind tells the shell. */
export interface WorkloadAdapter<T> {
  /** kind is the hub kind (the key's first segment and the Events' involvedObject.kind). */
  readonly kind: string;
  /** read returns the object from the informer cache; undefined when it is gone. */
  read(namespace: string, name: string): T | undefined;
  /** converge brings the sites in line with a live object that carries the finalizer. */
  converge(pass: WorkloadPass, obj: T): Promise<Result>;
  /** cleanUp deletes the member objects of a deleted object wherever they may be. */
  cleanUp(pass: WorkloadPass, obj: T): Promise<CleanUpOutcome>;
  /** forget drops what the adapter remembers per key (the object is gone). */
  forget(key: string): void;
}

/** WorkloadReconcilerOptions configures a WorkloadReconciler. */
export interface WorkloadReconcilerOptions<T extends HubObject<S>, S extends object> {
  readonly adapter: WorkloadAdapter<T>;
  readonly writer: HubWriter<T, S>;
  readonly events: EventRecorder;
  readonly promised: PromisedCapacityTracker;
  /** logger, already naming the controller. */
  readonly logger: Logger;
}

/** CLEANED_UP is the reason of the event written when the finalizer is removed. */
export const CLEANED_UP = 'CleanedUp';

/** WorkloadReconciler reconciles keys `<kind>/<namespace>/<name>` through a kind's adapter. */
export class WorkloadReconciler<T extends HubObject<S>, S extends object> implements Reconciler {
  readonly #o: WorkloadReconcilerOptions<T, S>;

  constructor(options: WorkloadReconcilerOptions<T, S>) {
    this.#o = options;
  }

  async reconcile(key: string): Promise<Result> {
    const { adapter, writer } = this.#o;
    const ref = parseKey(key);
    if (ref === undefined || ref.kind !== adapter.kind) throw new TerminalError(`not a ${adapter.kind} key: ${key}`);
    const pass: WorkloadPass = { key, namespace: ref.namespace, name: ref.name, log: this.#o.logger.child({ namespace: ref.namespace, name: ref.name }) };

    const cached = adapter.read(ref.namespace, ref.name);
    if (cached === undefined) {
      this.#forget(pass);
      return {};
    }
    if (cached.metadata.deletionTimestamp !== undefined) return this.#finalize(pass, cached);
    let obj = cached;
    if (!(obj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) {
      obj = await writer.addFinalizer(obj);
      pass.log.debug('added finalizer');
    }
    return adapter.converge(pass, obj);
  }

  /** event records an event about `obj` (adapters use it too, so every event names the kind the same way). */
  event(obj: { readonly metadata: ObjectMeta }, type: EventType, reason: string, message: string): void {
    this.#o.events.record({ apiVersion: API_VERSION, kind: this.#o.adapter.kind, metadata: obj.metadata }, type, reason, message);
  }

  /** #finalize cleans up through the adapter and only then removes the finalizer. */
  async #finalize(pass: WorkloadPass, obj: T): Promise<Result> {
    if (!(obj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) return {};
    const outcome = await this.#o.adapter.cleanUp(pass, obj);
    if (!outcome.done) return outcome.result;
    this.#o.promised.release(pass.key);
    try {
      await this.#o.writer.removeFinalizer(obj);
    } catch (err: unknown) {
      // A pass that read the object before an earlier pass removed the finalizer finds it gone: nothing left to do.
      if (!isNotFound(err)) throw err;
      this.#forget(pass);
      return {};
    }
    this.event(obj, 'Normal', CLEANED_UP, outcome.message);
    this.#forget(pass);
    pass.log.info('cleaned up; finalizer removed');
    return {};
  }

  #forget(pass: WorkloadPass): void {
    this.#o.promised.release(pass.key);
    this.#o.events.forget(pass.namespace, pass.name);
    this.#o.adapter.forget(pass.key);
  }
}
