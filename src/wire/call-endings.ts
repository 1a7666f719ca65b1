/**
 * Why a call ended, when the server side ended it. grpc-js ends a call by itself when a message is over
 * grpc.max_receive_message_length (RESOURCE_EXHAUSTED) or cannot be decompressed, and then tells the handler only
 * 'cancelled' — the same event as an agent that went away. This server interceptor keeps the status the call was
 * ended with, keyed by the call's metadata object (the one the handler sees as `call.metadata`), so the session can
 * log the real reason.
 *
 * grpc-js calls `sendStatus` on the innermost call object for these errors, not through the interceptor chain, so the
 * interceptor wraps that object's `sendStatus` (a method of the public ServerInterceptingCallInterface). The WeakMap
 * forgets a call with its metadata.
 */
import * as grpc from '@grpc/grpc-js';

/** EndStatus is a status as a server call is ended with (grpc-js's PartialStatusObject, which it does not export). */
export type EndStatus = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/** CallEndings records the status each call was ended with by the server side. */
export class CallEndings {
  readonly #ended = new WeakMap<grpc.Metadata, { status?: EndStatus }>();

  /** interceptor goes into the grpc.Server's `interceptors` option. */
  readonly interceptor: grpc.ServerInterceptor = (_method, call) => {
    const holder: { status?: EndStatus } = {};
    const send = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      holder.status ??= status;
      send(status);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            this.#ended.set(metadata, holder);
            pass(metadata);
          },
        }),
    });
  };

  /** endedWith is the status the server side ended the call with, if it did. */
  endedWith(metadata: grpc.Metadata): EndStatus | undefined {
    return this.#ended.get(metadata)?.status;
  }
}

/**
 * describeEnding turns a status the server ended a call with into a log reason, e.g. "a message of 102415 bytes is
 * over the limit of 65536 bytes (RESOURCE_EXHAUSTED)".
 */
export function describeEnding(status: EndStatus): string {
  const name = grpc.status[status.code] ?? String(status.code);
  const details = status.details ?? '';
  // grpc-js: "Received message larger than max (102415 vs 65536)".
  const size = /larger than max \((\d+) vs\.? (\d+)\)/.exec(details);
  if (status.code === grpc.status.RESOURCE_EXHAUSTED && size) {
    return `a message of ${size[1]} bytes is larger than the limit of ${size[2]} bytes (${name})`;
  }
  return details === '' ? `ended by the server with ${name}` : `ended by the server with ${name}: ${details}`;
}
