import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorsMarkdown } from './errors-doc.js';
import { errorCatalogue } from './error-catalogue.js';
import { daprError } from './errors.js';

const docPath = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

it('docs/errors.md matches the error catalogue (regenerate with npm run docs:errors)', () => {
  assert.equal(readFileSync(docPath, 'utf8'), renderErrorsMarkdown());
});

it('fills message templates and adds ErrorInfo details only for rich errors', () => {
  const notFound = daprError('stateStoreNotFound', 'orders').withInfo({ appID: 'a' });
  assert.deepEqual(notFound.toJSON(), {
    errorCode: 'ERR_STATE_STORE_NOT_FOUND',
    message: 'state store orders is not found',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: { appID: 'a' }, reason: 'DAPR_STATE_NOT_FOUND' }],
  });
  assert.equal(notFound.httpStatus, 400);
  assert.deepEqual(daprError('stateGet', 'k', 's', 'boom').toJSON(), { errorCode: 'ERR_STATE_GET', message: 'fail to get k from state store s: boom' });
});

it('gives every catalogue entry an ERR_ code, an HTTP error status and a gRPC status', () => {
  for (const [kind, entry] of Object.entries(errorCatalogue)) {
    assert.match(entry.code, /^ERR_[A-Z_]+$/, kind);
    assert.ok(entry.httpStatus >= 400 && entry.httpStatus < 600, kind);
    assert.ok(entry.grpcStatus > 0 && entry.grpcStatus <= 16, kind);
  }
});
