/**
 * Helpers shared by the runtime's unit tests (not used by production code).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { SourceHandlers, SourceInformer } from './informer-supervisor.ts';

/**
 * flush lets every pending promise continuation run. The runtime does no real I/O under FakeClock, so all pending
 * work is microtasks, and one macrotask turn drains them all.
 */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Deferred is a promise with its resolve/reject exposed, to hold a reconcile open while a test acts. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** deferred creates a `Deferred`. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** FakeInformer stands in for one client-node informer instance; the test emits its events by hand. */
export class FakeInformer implements SourceInformer {
  readonly handlers: SourceHandlers<KubernetesObject>;
  started = false;
  stopped = false;
  startError: unknown = undefined;

  constructor(handlers: SourceHandlers<KubernetesObject>) {
    this.handlers = handlers;
  }

  start(): Promise<void> {
    this.started = true;
    return this.startError === undefined ? Promise.resolve() : Promise.reject(this.startError);
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

