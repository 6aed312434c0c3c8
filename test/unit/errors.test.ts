// Error classification: codes from API statuses and network failures, causes kept, no headers in messages.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { OperatorError, TerminalError, fromUnknown, isTerminal, orAbsent } from '../../src/errors.js';

function apiError(code: number, reason: string, message: string): ApiException<string> {
  return new ApiException(code, 'failed', JSON.stringify({ kind: 'Status', reason, message, code }), { authorization: 'Bearer s3cr3t' });
}

describe('runtime: errors', () => {
  it('classifies Kubernetes API statuses', () => {
    assert.equal(fromUnknown(apiError(409, 'Conflict', 'the object has been modified')).code, 'conflict');
    assert.equal(fromUnknown(apiError(404, 'NotFound', 'not found')).code, 'not-found');
    assert.equal(fromUnknown(apiError(429, 'TooManyRequests', 'slow down')).code, 'throttled');
    assert.equal(fromUnknown(apiError(422, 'Invalid', 'spec.x: Invalid value')).code, 'terminal');
    assert.equal(fromUnknown(apiError(503, 'ServiceUnavailable', 'down')).code, 'transient');
    assert.equal(fromUnknown(apiError(403, 'Forbidden', 'no')).code, 'transient');
  });

  it('keeps the cause and the status reason, and never the response headers in the message', () => {
    const raw = apiError(409, 'Conflict', 'the object has been modified');
    const e = fromUnknown(raw);
    assert.equal(e.cause, raw);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.httpStatus, 409);
    assert.match(e.message, /the object has been modified/);
    assert.doesNotMatch(e.message, /s3cr3t/);
    assert.doesNotMatch(JSON.stringify(e.toLogFields()), /s3cr3t/);
  });

  it('treats dropped connections and timeouts as transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    assert.equal(fromUnknown(refused).code, 'transient');
    // client-node 2.x: undici's fetch wraps the socket error.
    const viaFetch = new TypeError('fetch failed', { cause: refused });
    assert.equal(fromUnknown(viaFetch).message, 'Connection failed (ECONNREFUSED)');
    assert.equal(fromUnknown(Object.assign(new Error('x'), { name: 'AbortError' })).code, 'transient');
    assert.equal(fromUnknown(Object.assign(new Error('Gone'), { statusCode: 410 })).code, 'transient');
    assert.equal(fromUnknown(Object.assign(new Error('Bad Request'), { statusCode: 400 })).code, 'terminal');
  });

  it('passes OperatorErrors through and wraps anything else as transient', () => {
    const t = new TerminalError('spec.schemas is empty');
    assert.equal(fromUnknown(t), t);
    assert.ok(isTerminal(t));
    assert.equal(t.retryable, false);
    assert.ok(t instanceof OperatorError);
    const odd = fromUnknown('a string');
    assert.equal(odd.code, 'transient');
    assert.equal(odd.cause, 'a string');
    assert.ok(odd.retryable);
  });

  it('reads a 404 as absent and throws every other error', async () => {
    assert.equal(await orAbsent(Promise.resolve('there')), 'there');
    assert.equal(await orAbsent(Promise.reject(apiError(404, 'NotFound', 'not found'))), undefined);
    await assert.rejects(orAbsent(Promise.reject(apiError(409, 'Conflict', 'modified'))), /failed/);
  });
});
