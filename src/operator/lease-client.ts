/**
 * The LeaseClient of leader-election.ts over the real API: coordination.k8s.io/v1 Leases through @kubernetes/client-node
 * 2.0.1's CoordinationV1Api (read, create, replace). Read from its dist/ (so this module relies on it):
 * - `renewTime` and `acquireTime` are `V1MicroTime` in the types, but the generated deserializer knows no such type
 *   and hands back the JSON string; on the way out a `V1MicroTime` serialises with the six fractional digits the
 *   apiserver's MicroTime requires (a plain Date's three are refused). So times are parsed from either form here.
 * - Per-call options take "observable" middleware (`pre` returns the library's Observable); a `pre` that sets the
 *   request's AbortSignal is how a call is cut short — undici's fetch honours it.
 * Updates replace the Lease last read or written with only its spec changed, so labels and annotations someone put
 * on it survive (client-go's LeaseLock does the same).
 */
import { Observable, V1MicroTime, type CoordinationV1Api, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { toApiError } from '../runtime/errors.ts';
import type { LeaseClient, LeaseRecord, StoredLease } from './leader-election.ts';

/** LeaseApi is the part of CoordinationV1Api this client calls (tests may pass a stand-in). */
export type LeaseApi = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

/** KubernetesLeaseClient reads and writes one Lease on a cluster. Errors are thrown as ApiError. */
export class KubernetesLeaseClient implements LeaseClient {
  readonly description: string;
  readonly #api: LeaseApi;
  readonly #namespace: string;
  readonly #name: string;
  /** #last is the Lease as last read or written, the base of the next replace. */
  #last: V1Lease | undefined;

  constructor(api: LeaseApi, namespace: string, name: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#name = name;
    this.description = `${namespace}/${name}`;
  }

  async get(signal: AbortSignal): Promise<StoredLease | undefined> {
    try {
      return this.#keep(await this.#api.readNamespacedLease({ namespace: this.#namespace, name: this.#name }, abortWith(signal)));
    } catch (err: unknown) {
      const e = toApiError(err);
      if (e.code === 'NotFound') return undefined;
      throw e;
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease> {
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#name, namespace: this.#namespace }, spec: toSpec(record) };
    try {
      return this.#keep(await this.#api.createNamespacedLease({ namespace: this.#namespace, body }, abortWith(signal)));
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease> {
    const base = this.#last?.metadata?.resourceVersion === resourceVersion ? this.#last : undefined;
    const body: V1Lease = {
      ...base,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...base?.metadata, name: this.#name, namespace: this.#namespace, resourceVersion },
      spec: toSpec(record),
    };
    try {
      return this.#keep(await this.#api.replaceNamespacedLease({ namespace: this.#namespace, name: this.#name, body }, abortWith(signal)));
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  #keep(lease: V1Lease): StoredLease {
    this.#last = lease;
    return fromLease(lease);
  }
}

/** fromLease reads the leader-election record of a Lease; a missing spec reads as a released Lease. */
export function fromLease(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: timeOf(spec.acquireTime),
      renewTime: timeOf(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

/** toSpec writes a record as a Lease spec, times as MicroTime (see the file comment). */
export function toSpec(record: LeaseRecord): V1LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(record.acquireTime !== undefined && { acquireTime: new V1MicroTime(record.acquireTime) }),
    ...(record.renewTime !== undefined && { renewTime: new V1MicroTime(record.renewTime) }),
  };
}

function timeOf(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** abortWith is per-call options whose middleware hands `signal` to the request (see the file comment). */
function abortWith(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (request: RequestContext) => {
      request.setSignal(signal);
      return new Observable(Promise.resolve(request));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
