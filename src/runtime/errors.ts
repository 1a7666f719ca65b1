/**
 * The one place where errors from the Kubernetes API (and the network under it) become typed values. Everything
 * else asks `isNotFound(err)` or reads `ApiError.code`; nothing else looks at HTTP status numbers.
 *
 * What @kubernetes/client-node 2.0.1 throws, as read from its dist/ (so this module relies on it):
 * - Generated APIs and `KubernetesObjectApi` throw `ApiException` (gen/apis/exception.js) with a numeric `code` (the
 *   HTTP status), `body` and `headers`. The body is the raw response text (`ResponseContext.getBodyAsAny()` returns
 *   `body.text()`), i.e. a JSON `Status` as a string; for 401 the generated code passes `undefined`. Header names
 *   are lower-case (copied from undici's `Headers.forEach`).
 * - `Watch.watch` (watch.js) fails a non-200 response with a plain `Error(statusText)` carrying `statusCode`.
 * - Network failures come from undici's fetch: `TypeError('fetch failed')` whose `cause` holds the system error
 *   (`code: 'ECONNREFUSED'`, `'ENOTFOUND'`, `'UND_ERR_SOCKET'`, ...); timeouts are a `DOMException` named
 *   `TimeoutError`, aborts one named `AbortError`.
 *
 * 409 means two different things and only the Status body's `reason` tells them apart: `AlreadyExists` (a create
 * hit an existing name; the caller usually reads and adopts it) and `Conflict` (a stale resourceVersion; re-read
 * and retry).
 */

/** API_ERROR_CODES lists every `ApiError.code`. */
export const API_ERROR_CODES = [
  'NotFound',
  'Conflict',
  'AlreadyExists',
  'Gone',
  'TooManyRequests',
  'Invalid',
  'Forbidden',
  'Unauthorized',
  'ServerError',
  'Unavailable',
  'Timeout',
  'Unknown',
] as const;

/** ApiErrorCode is the class of an API failure, independent of how it reached us. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * RETRYABLE says whether repeating the same request unchanged may succeed. Conflict counts: re-reading and
 * retrying is the expected answer. Unknown does not: it is as likely a bug as a blip, so call sites should not
 * loop on it (the work queue still retries every failed reconcile with backoff).
 */
const RETRYABLE: Readonly<Record<ApiErrorCode, boolean>> = {
  NotFound: false,
  Conflict: true,
  AlreadyExists: false,
  Gone: true,
  TooManyRequests: true,
  Invalid: false,
  Forbidden: false,
  Unauthorized: false,
  ServerError: true,
  Unavailable: true,
  Timeout: true,
  Unknown: false,
};

/** ApiErrorInit is what `ApiError` is built from. */
export interface ApiErrorInit {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** HTTP status, when the server answered at all. */
  readonly status?: number;
  /** The `reason` of the server's Status body (e.g. `AlreadyExists`, `Expired`), verbatim. */
  readonly reason?: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** ApiError is a classified failure of a call to a Kubernetes API server; `cause` holds the original error. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly retryable: boolean;
  /** How long the server asked us to wait (Retry-After or Status `details.retryAfterSeconds`), if it did. */
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message, { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.reason = init.reason;
    this.retryable = RETRYABLE[init.code];
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The parts of a Kubernetes `Status` body this module reads. */
interface StatusBody {
  readonly message: string | undefined;
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;
}

/**
 * toApiError classifies any thrown value. An `ApiError` is returned as is; anything it cannot place becomes
 * `Unknown` — never `NotFound`, so a failed read can't be mistaken for a missing object.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const status = httpStatusOf(err);
  if (status !== undefined) return fromHttpStatus(err, status);
  return fromTransport(err);
}

/** isNotFound is true only when the server said the object does not exist (404 with a Status body). */
export function isNotFound(err: unknown): boolean {
  return toApiError(err).code === 'NotFound';
}

/** isConflict is true for a 409 caused by a stale resourceVersion; false for AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return toApiError(err).code === 'Conflict';
}

/** isAlreadyExists is true for a create that hit an existing name (409, reason AlreadyExists). */
export function isAlreadyExists(err: unknown): boolean {
  return toApiError(err).code === 'AlreadyExists';
}

/**
 * ignoreNotFound resolves to `undefined` when the call failed with NotFound, the way controller-runtime's
 * `client.IgnoreNotFound` is used for reads. Every other failure is rethrown as an `ApiError`.
 */
export async function ignoreNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err: unknown) {
    const apiErr = toApiError(err);
    if (apiErr.code === 'NotFound') return undefined;
    throw apiErr;
  }
}

function fromHttpStatus(err: unknown, status: number): ApiError {
  const body = statusBodyOf(err);
  const code = classifyStatus(status, body);
  const retryAfterMs = retryAfterMsOf(err, body);
  const detail = body?.message ?? (err instanceof Error ? shortMessage(err.message) : undefined);
  return new ApiError({
    code,
    status,
    message: `${code} (HTTP ${status})${detail ? `: ${detail}` : ''}`,
    ...(body?.reason !== undefined && { reason: body.reason }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    cause: err,
  });
}

/**
 * classifyStatus maps an HTTP status (plus the Status reason where the status alone is ambiguous) to a code.
 * A 404 without a Status body is not NotFound: it comes from a path the server does not serve (a CRD that is not
 * installed, a wrong group/version), which says nothing about whether the object exists.
 */
function classifyStatus(status: number, body: StatusBody | undefined): ApiErrorCode {
  switch (status) {
    case 400:
    case 405:
    case 406:
    case 413:
    case 415:
    case 422:
      return 'Invalid';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return body === undefined ? 'Unknown' : 'NotFound';
    case 408:
      return 'Timeout';
    case 409:
      return body?.reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
    case 410:
      return 'Gone';
    case 429:
      return 'TooManyRequests';
    case 500:
      // The apiserver answers a request it gave up on with 500 + reason ServerTimeout ("try again later").
      return body?.reason === 'ServerTimeout' ? 'Timeout' : 'ServerError';
    case 502:
    case 503:
      return 'Unavailable';
    case 504:
      return 'Timeout';
    default:
      return status >= 500 ? 'ServerError' : 'Unknown';
  }
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** fromTransport classifies failures where no HTTP response arrived, looking through the `cause` chain. */
function fromTransport(err: unknown): ApiError {
  for (const e of causeChain(err)) {
    const name = typeof e['name'] === 'string' ? e['name'] : undefined;
    const sysCode = typeof e['code'] === 'string' ? e['code'] : undefined;
    // An abort is how client-node and our own deadlines cut a request short; either way no answer came in time.
    if (name === 'TimeoutError' || name === 'AbortError' || (sysCode && TIMEOUT_CODES.has(sysCode))) {
      return new ApiError({ code: 'Timeout', message: `Timeout: ${describe(err, sysCode ?? name)}`, cause: err });
    }
    if (sysCode && UNAVAILABLE_CODES.has(sysCode)) {
      return new ApiError({ code: 'Unavailable', message: `Unavailable: ${describe(err, sysCode)}`, cause: err });
    }
  }
  return new ApiError({ code: 'Unknown', message: `Unknown: ${describe(err, undefined)}`, cause: err });
}

/** causeChain yields `err` and its causes (and an AggregateError's first error), bounded against cycles. */
function* causeChain(err: unknown): Generator<Record<string, unknown>> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && isRecord(current); depth++) {
    yield current;
    const errors = current['errors'];
    if (Array.isArray(errors) && errors.length > 0 && isRecord(errors[0])) yield errors[0];
    current = current['cause'];
  }
}

function httpStatusOf(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  // ApiException carries `code`; Watch errors carry `statusCode`. A string `code` is a system error, not HTTP.
  for (const candidate of [err['code'], err['statusCode']]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599) {
      return candidate;
    }
  }
  return undefined;
}

/** statusBodyOf reads the Status from `err.body` (JSON text or an object), or from `err` itself if it is one. */
function statusBodyOf(err: unknown): StatusBody | undefined {
  if (!isRecord(err)) return undefined;
  let body: unknown = err['body'];
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined; // "404 page not found" and other non-Status text
    }
  }
  if (body === undefined && err['kind'] === 'Status') body = err; // a watch ERROR event's object
  if (!isRecord(body) || (body['kind'] !== 'Status' && typeof body['reason'] !== 'string')) return undefined;
  const details = isRecord(body['details']) ? body['details'] : {};
  const retryAfterSeconds = details['retryAfterSeconds'];
  return {
    message: typeof body['message'] === 'string' ? body['message'] : undefined,
    reason: typeof body['reason'] === 'string' && body['reason'] !== '' ? body['reason'] : undefined,
    retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined,
  };
}

/**
 * retryAfterMsOf reads Retry-After (delta-seconds, which is what the apiserver sends; an HTTP-date form would
 * need the clock and is ignored), else the Status `details.retryAfterSeconds`.
 */
function retryAfterMsOf(err: unknown, body: StatusBody | undefined): number | undefined {
  const headers = isRecord(err) && isRecord(err['headers']) ? err['headers'] : undefined;
  if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== 'retry-after' || typeof value !== 'string') continue;
      const seconds = Number(value.trim());
      if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    }
  }
  return body?.retryAfterSeconds !== undefined && body.retryAfterSeconds >= 0
    ? body.retryAfterSeconds * 1000
    : undefined;
}

function describe(err: unknown, code: string | undefined): string {
  const message = err instanceof Error ? shortMessage(err.message) : String(err);
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * shortMessage keeps log lines short. ApiException's message is "HTTP-Code: …\nMessage: …\nBody: …\nHeaders: …";
 * only its Message line is worth repeating (the body's own message is preferred when there is one).
 */
function shortMessage(message: string): string {
  const lines = message.split('\n');
  const fromApiException = lines.find((l) => l.startsWith('Message: '));
  return fromApiException !== undefined ? fromApiException.slice('Message: '.length) : (lines[0] ?? message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * errorClass names the kind of a failure for status, events and logs that others read: an ApiError's code, a typed
 * error's `code` (SiteConnectionInvalid, ECONNREFUSED), else Unknown. Never the message, which may quote what a
 * site sent or what a Secret holds.
 */
export function errorClass(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Za-z_]{1,40}$/.test(code) ? code : 'Unknown';
}
