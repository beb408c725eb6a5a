import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { createLogger, daprError } from '@outrigger/kit';
import { Dapr } from './dapr-protos.js';
import { routeDaprService, type DaprMethods } from './dapr-service.js';

const logger = createLogger({ scope: 'test', appId: 'test', level: 'fatal', json: true, version: 'test' });

function clientFor(methods: DaprMethods) {
  return createClient(Dapr, createRouterTransport((router) => routeDaprService(router, methods, logger)));
}

async function failure(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('the call succeeded');
}

/** The ErrorInfo (reason = 1, domain = 2) of a ConnectError's first detail. */
function errorInfo(error: ConnectError): { reason: string; domain: string } {
  const detail = error.details[0];
  assert.ok(detail && 'type' in detail, 'an ErrorInfo detail');
  assert.equal(detail.type, 'google.rpc.ErrorInfo');
  const reader = new BinaryReader(detail.value);
  const info = { reason: '', domain: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) info.reason = reader.string();
    else if (field === 2) info.domain = reader.string();
    else reader.skip(wireType);
  }
  return info;
}

describe('the Dapr gRPC service', () => {
  it('answers methods of missing building blocks UNIMPLEMENTED, naming the block, for unary and streaming methods', async () => {
    const client = clientFor({});
    const actor = await failure(() => client.invokeActor({ actorType: 't', actorId: 'i', method: 'm' }));
    assert.equal(actor.code, Code.Unimplemented);
    assert.match(actor.rawMessage, /^this API is currently not implemented: InvokeActor \(the actors building block/);
    assert.deepEqual(errorInfo(actor), { reason: 'ERR_API_UNIMPLEMENTED', domain: 'dapr.io' });
    const crypto = await failure(async () => {
      for await (const message of client.encryptAlpha1((async function* () { /* no requests */ })())) void message;
    });
    assert.equal(crypto.code, Code.Unimplemented);
    assert.match(crypto.rawMessage, /EncryptAlpha1 \(the cryptography building block/);
  });

  it('turns a DaprError into the catalogue status with ErrorInfo (rich reason, else the ERR_ code)', async () => {
    const client = clientFor({
      async getState() { throw daprError('stateStoreNotFound', 'nope'); },
      async getSecret() { throw daprError('secretStoreNotFound', 'nope'); },
    });
    const state = await failure(() => client.getState({ storeName: 'nope', key: 'k' }));
    assert.deepEqual([state.code, state.rawMessage], [Code.InvalidArgument, 'state store nope is not found']);
    assert.deepEqual(errorInfo(state), { reason: 'DAPR_STATE_NOT_FOUND', domain: 'dapr.io' });
    const secret = await failure(() => client.getSecret({ storeName: 'nope', key: 'k' }));
    assert.deepEqual(errorInfo(secret), { reason: 'ERR_SECRET_STORE_NOT_FOUND', domain: 'dapr.io' });
  });

  it('turns an unexpected error into ERR_INTERNAL rather than UNKNOWN', async () => {
    const client = clientFor({ async getMetadata() { throw new TypeError('boom'); } });
    const error = await failure(() => client.getMetadata({}));
    assert.deepEqual([error.code, error.rawMessage, errorInfo(error).reason], [Code.Internal, 'boom', 'ERR_INTERNAL']);
  });

  it('serves BulkPublishEvent under its stable name with the Alpha1 handler', async () => {
    const seen: string[] = [];
    const transport = createRouterTransport((router) => routeDaprService(router, {
      async bulkPublishEventAlpha1(request) {
        seen.push(request.topic);
        return { failedEntries: [] };
      },
    }, logger));
    const stable = { ...Dapr.method.bulkPublishEventAlpha1, name: 'BulkPublishEvent', localName: 'bulkPublishEvent' };
    const answer = await transport.unary(stable, undefined, undefined, undefined, { pubsubName: 'p', topic: 'stable', entries: [] }, undefined);
    assert.deepEqual(answer.message.failedEntries, []);
    assert.deepEqual(seen, ['stable']);
  });
});
