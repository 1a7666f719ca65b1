import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isNotFound,
  toApiError,
  type ApiErrorCode,
} from './errors.ts';

/** statusBody is a Kubernetes Status as client-node 2.x puts it in ApiException.body: the raw response text. */
function statusBody(code: number, reason: string, message = `${reason} message`, details?: object): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });
}

function apiException(code: number, body: unknown, headers: Record<string, string> = {}): ApiException<unknown> {
  return new ApiException(code, 'Unknown API Status Code!', body, headers);
}

/** fetchFailed is how undici's fetch reports a transport error: a TypeError whose cause is the system error. */
function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code }) });
}

describe('toApiError', () => {
  const cases: Array<{
    name: string;
    err: unknown;
    wantCode: ApiErrorCode;
    wantStatus?: number;
    wantRetryable: boolean;
    wantRetryAfterMs?: number;
    wantReason?: string;
  }> = [
    { name: '404 NotFound', err: apiException(404, statusBody(404, 'NotFound')), wantCode: 'NotFound', wantStatus: 404, wantRetryable: false, wantReason: 'NotFound' },
    { name: '404 without a Status (path not served)', err: apiException(404, '404 page not found'), wantCode: 'Unknown', wantStatus: 404, wantRetryable: false },
    { name: '409 Conflict', err: apiException(409, statusBody(409, 'Conflict')), wantCode: 'Conflict', wantStatus: 409, wantRetryable: true },
    { name: '409 AlreadyExists', err: apiException(409, statusBody(409, 'AlreadyExists')), wantCode: 'AlreadyExists', wantStatus: 409, wantRetryable: false },
    { name: '409 with an object body', err: apiException(409, { kind: 'Status', reason: 'AlreadyExists' }), wantCode: 'AlreadyExists', wantRetryable: false },
    { name: '410 Expired', err: apiException(410, statusBody(410, 'Expired')), wantCode: 'Gone', wantStatus: 410, wantRetryable: true, wantReason: 'Expired' },
    { name: 'watch 410 (Error with statusCode)', err: Object.assign(new Error('Gone'), { statusCode: 410 }), wantCode: 'Gone', wantRetryable: true },
    { name: 'watch ERROR event Status object', err: { kind: 'Status', code: 410, reason: 'Expired' }, wantCode: 'Gone', wantRetryable: true },
    { name: '429 with Retry-After', err: apiException(429, statusBody(429, 'TooManyRequests'), { 'retry-after': '3' }), wantCode: 'TooManyRequests', wantRetryable: true, wantRetryAfterMs: 3000 },
    { name: '429 with details.retryAfterSeconds', err: apiException(429, statusBody(429, 'TooManyRequests', 'x', { retryAfterSeconds: 2 })), wantCode: 'TooManyRequests', wantRetryable: true, wantRetryAfterMs: 2000 },
    { name: '422 Invalid', err: apiException(422, statusBody(422, 'Invalid')), wantCode: 'Invalid', wantRetryable: false },
    { name: '400 BadRequest', err: apiException(400, statusBody(400, 'BadRequest')), wantCode: 'Invalid', wantRetryable: false },
    { name: '401 (body undefined, as generated code throws it)', err: new ApiException(401, 'Unauthorized', undefined, {}), wantCode: 'Unauthorized', wantRetryable: false },
    { name: '403 Forbidden', err: apiException(403, statusBody(403, 'Forbidden')), wantCode: 'Forbidden', wantRetryable: false },
    { name: '500 InternalError', err: apiException(500, statusBody(500, 'InternalError')), wantCode: 'ServerError', wantRetryable: true },
    { name: '500 ServerTimeout', err: apiException(500, statusBody(500, 'ServerTimeout')), wantCode: 'Timeout', wantRetryable: true },
    { name: '503 with Retry-After', err: apiException(503, 'upstream down', { 'Retry-After': '5' }), wantCode: 'Unavailable', wantRetryable: true, wantRetryAfterMs: 5000 },
    { name: '504 Timeout', err: apiException(504, statusBody(504, 'Timeout')), wantCode: 'Timeout', wantRetryable: true },
    { name: 'ECONNREFUSED', err: fetchFailed('ECONNREFUSED'), wantCode: 'Unavailable', wantRetryable: true },
    { name: 'ENOTFOUND', err: fetchFailed('ENOTFOUND'), wantCode: 'Unavailable', wantRetryable: true },
    { name: 'UND_ERR_SOCKET', err: fetchFailed('UND_ERR_SOCKET'), wantCode: 'Unavailable', wantRetryable: true },
    { name: 'ETIMEDOUT', err: fetchFailed('ETIMEDOUT'), wantCode: 'Timeout', wantRetryable: true },
    { name: 'TimeoutError', err: new DOMException('The operation was aborted due to timeout', 'TimeoutError'), wantCode: 'Timeout', wantRetryable: true },
    { name: 'AbortError', err: new DOMException('This operation was aborted', 'AbortError'), wantCode: 'Timeout', wantRetryable: true },
    { name: 'a plain bug', err: new TypeError("Cannot read properties of undefined (reading 'spec')"), wantCode: 'Unknown', wantRetryable: false },
    { name: 'a thrown string', err: 'nope', wantCode: 'Unknown', wantRetryable: false },
  ];

  it.each(cases)('$name -> $wantCode', (tc) => {
    const got = toApiError(tc.err);
    expect(got).toBeInstanceOf(ApiError);
    expect(got.code).toBe(tc.wantCode);
    expect(got.retryable).toBe(tc.wantRetryable);
    expect(got.retryAfterMs).toBe(tc.wantRetryAfterMs);
    if (tc.wantStatus !== undefined) expect(got.status).toBe(tc.wantStatus);
    if (tc.wantReason !== undefined) expect(got.reason).toBe(tc.wantReason);
    expect(got.cause).toBe(tc.err);
  });

  it('returns an ApiError unchanged', () => {
    const err = new ApiError({ code: 'Conflict', message: 'x' });
    expect(toApiError(err)).toBe(err);
  });

  it('keeps the message short: the Status message, not the whole ApiException dump', () => {
    const got = toApiError(apiException(404, statusBody(404, 'NotFound', 'trainingjobs.suanwang.io "a" not found')));
    expect(got.message).toBe('NotFound (HTTP 404): trainingjobs.suanwang.io "a" not found');
    expect(toApiError(new ApiException(401, 'Unauthorized', undefined, {})).message).toBe('Unauthorized (HTTP 401): Unauthorized');
  });
});

describe('predicates', () => {
  it('tell Conflict from AlreadyExists', () => {
    const conflict = apiException(409, statusBody(409, 'Conflict'));
    const exists = apiException(409, statusBody(409, 'AlreadyExists'));
    expect([isConflict(conflict), isAlreadyExists(conflict)]).toEqual([true, false]);
    expect([isConflict(exists), isAlreadyExists(exists)]).toEqual([false, true]);
  });

  it('never call a failed read NotFound', () => {
    expect(isNotFound(apiException(404, statusBody(404, 'NotFound')))).toBe(true);
    expect(isNotFound(fetchFailed('ECONNREFUSED'))).toBe(false);
    expect(isNotFound(apiException(500, statusBody(500, 'InternalError')))).toBe(false);
    expect(isNotFound(apiException(404, '404 page not found'))).toBe(false);
  });
});

describe('ignoreNotFound', () => {
  it('resolves the value, or undefined for NotFound', async () => {
    expect(await ignoreNotFound(Promise.resolve(42))).toBe(42);
    expect(await ignoreNotFound(Promise.reject(apiException(404, statusBody(404, 'NotFound'))))).toBeUndefined();
  });

  it('rethrows every other failure as an ApiError', async () => {
    const read = ignoreNotFound(Promise.reject(fetchFailed('ECONNREFUSED')));
    await expect(read).rejects.toBeInstanceOf(ApiError);
    await expect(read).rejects.toMatchObject({ code: 'Unavailable' });
  });
});
