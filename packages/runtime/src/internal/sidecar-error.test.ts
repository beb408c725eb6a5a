import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daprError } from '@outrigger/kit';
import { sidecarErrorHeader, sidecarErrorOf, takeSidecarError } from './sidecar-error.js';

describe('sidecar errors between sidecars', () => {
  it('leaves an answer without the marker as it is', () => {
    const answer = { status: 500, headers: { 'content-type': 'text/plain' }, body: Buffer.from('app failed') };
    assert.equal(takeSidecarError(answer), answer);
  });

  it('takes the marker off the headers and names the kind', () => {
    const answer = takeSidecarError({ status: 500, headers: { 'content-type': 'application/json', [sidecarErrorHeader]: 'directInvoke' }, body: Buffer.alloc(0) });
    assert.equal(answer.sidecarError, 'directInvoke');
    assert.deepEqual(answer.headers, { 'content-type': 'application/json' });
  });

  it('rebuilds the called sidecar\'s error with its code, status and message', () => {
    const sent = daprError('directInvoke', 'callee', 'error invoking app channel: connect ECONNREFUSED');
    const rebuilt = sidecarErrorOf('directInvoke', sent.httpStatus, Buffer.from(JSON.stringify(sent)));
    assert.ok(rebuilt);
    assert.equal(rebuilt.errorCode, 'ERR_DIRECT_INVOKE');
    assert.equal(rebuilt.grpcStatus, 13);
    assert.equal(rebuilt.httpStatus, 500);
    assert.equal(rebuilt.message, sent.message);
  });

  it('keeps the HTTP status the called sidecar answered with', () => {
    assert.equal(sidecarErrorOf('directInvoke', 503, Buffer.from('{"errorCode":"ERR_DIRECT_INVOKE","message":"m"}'))?.httpStatus, 503);
  });

  it('takes a body that is not Dapr\'s JSON as the message', () => {
    assert.equal(sidecarErrorOf('internal', 500, Buffer.from('plain words'))?.message, 'plain words');
  });

  it('knows no error for a kind this build has not heard of, nor for inherited names', () => {
    assert.equal(sidecarErrorOf('somethingNewer', 500, Buffer.from('{}')), undefined);
    assert.equal(sidecarErrorOf('toString', 500, Buffer.from('{}')), undefined);
  });
});
