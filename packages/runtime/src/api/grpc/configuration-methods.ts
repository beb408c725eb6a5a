// Dapr configuration API over gRPC: GetConfiguration, SubscribeConfiguration (a server stream whose first
// message carries the subscription id) and UnsubscribeConfiguration, each under its Alpha1 name too.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { daprError, errorMessage } from '@outrigger/kit';
import type { ConfigurationItems } from '@outrigger/components-api';
import type { ConfigurationApi } from '../../blocks/configuration/configuration-api.js';
import { AsyncQueue } from './async-queue.js';
import type { SubscribeConfigurationRequest, SubscribeConfigurationResponseSchema } from './dapr-protos.js';
import type { DaprMethods } from './dapr-service.js';

type UpdateMessage = MessageInitShape<typeof SubscribeConfigurationResponseSchema>;

function wireItems(items: ConfigurationItems): UpdateMessage['items'] {
  return Object.fromEntries(Object.entries(items).map(([key, item]) => [key, { value: item.value, version: item.version, metadata: { ...item.metadata } }]));
}

/** The configuration block's gRPC methods over the same {@link ConfigurationApi} as the HTTP routes. */
export function configurationMethods(configuration: ConfigurationApi): DaprMethods {
  const get: NonNullable<DaprMethods['getConfiguration']> = async (request) => ({
    items: wireItems(await configuration.get(request.storeName, request.keys, request.metadata)),
  });
  const subscribe: NonNullable<DaprMethods['subscribeConfiguration']> = (request, context) => subscribeStream(configuration, request, context);
  // daprd answers an unknown id with ok=false and a message, not with an error.
  const unsubscribe: NonNullable<DaprMethods['unsubscribeConfiguration']> = async (request) => {
    try {
      if (await configuration.unsubscribeById(request.id)) return { ok: true };
      return { ok: false, message: daprError('configurationUnsubscribe', request.id, 'subscription does not exist').message };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  };
  return {
    getConfiguration: get, getConfigurationAlpha1: get,
    subscribeConfiguration: subscribe, subscribeConfigurationAlpha1: subscribe,
    unsubscribeConfiguration: unsubscribe, unsubscribeConfigurationAlpha1: unsubscribe,
  };
}

/**
 * Opens a store subscription whose updates go down this stream. The first message is `{id}` alone, then
 * one message per update. The stream ends when the client cancels it (the subscription is closed), when
 * UnsubscribeConfiguration names its id, or when the sidecar stops.
 */
async function* subscribeStream(configuration: ConfigurationApi, request: SubscribeConfigurationRequest, context: HandlerContext): AsyncIterable<UpdateMessage> {
  const outbox = new AsyncQueue<UpdateMessage>();
  const keys = [...request.keys].sort();
  let announce!: () => void;
  const announced = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const id = await configuration.subscribeWith(request.storeName, keys, request.metadata, async (update) => {
    // Updates wait for the id message, which clients read first.
    await announced;
    outbox.push({ id: update.id, items: wireItems(update.items) });
  }, () => outbox.end());
  outbox.push({ id, items: {} });
  announce();
  const cancel = () => outbox.end();
  context.signal.addEventListener('abort', cancel, { once: true });
  try {
    yield* outbox;
  } finally {
    context.signal.removeEventListener('abort', cancel);
    await configuration.unsubscribeById(id).catch(() => false);
  }
}
