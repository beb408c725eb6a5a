import { Code, ConnectError } from '@connectrpc/connect';
import type { Logger } from '@outrigger/kit';
import type { TopicEventBulkResponse } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import type { DeliveryResult } from '../../blocks/pubsub/delivery.js';
import { appCallback } from './app-callback-methods.js';
import { outcomeOfStatus } from './grpc-topic-events.js';

/** The two bulk methods: the stable one daprd tries first and the Alpha1 one SDKs implement (the JS SDK only that). */
export type BulkMethod = typeof appCallback.onBulkTopicEvent | typeof appCallback.onBulkTopicEventAlpha1;

/**
 * Sends one bulk request as daprd does: `AppCallback/OnBulkTopicEvent` first and, when the app answers
 * UNIMPLEMENTED, `AppCallbackAlpha/OnBulkTopicEventAlpha1` (asked again for every batch, as daprd does,
 * so an app that gains the stable method is used through it). Outcomes per entry: the app's status;
 * an entry missing from the answer retries; UNIMPLEMENTED from both methods drops the whole batch;
 * any other error retries it.
 * @param send makes the call with the given method
 * @param entryIds the entries in the request
 */
export async function deliverBulkWithFallback(
  send: (method: BulkMethod) => Promise<TopicEventBulkResponse>, entryIds: readonly string[], logger?: Logger,
): Promise<Map<string, DeliveryResult>> {
  const results = new Map<string, DeliveryResult>();
  const all = (result: DeliveryResult) => {
    for (const entryId of entryIds) results.set(entryId, result);
    return results;
  };
  if (entryIds.length === 0) return results;
  let response: TopicEventBulkResponse;
  try {
    response = await sendWithFallback(send, logger);
  } catch (error) {
    const failure = ConnectError.from(error);
    if (failure.code === Code.Unimplemented) return all({ outcome: 'drop', detail: `the app implements no bulk topic event method: ${failure.rawMessage}` });
    return all({ outcome: 'retry', detail: `the app answered ${Code[failure.code]}: ${failure.rawMessage}` });
  }
  const wanted = new Set(entryIds);
  for (const status of response.statuses) {
    if (!wanted.has(status.entryId)) {
      logger?.warn(`the app answered for unknown bulk entry id ${status.entryId}`);
      continue;
    }
    results.set(status.entryId, outcomeOfStatus(status.status));
  }
  for (const entryId of entryIds) {
    if (!results.has(entryId)) results.set(entryId, { outcome: 'retry', detail: 'the app gave no status for the entry' });
  }
  return results;
}

async function sendWithFallback(send: (method: BulkMethod) => Promise<TopicEventBulkResponse>, logger: Logger | undefined): Promise<TopicEventBulkResponse> {
  try {
    return await send(appCallback.onBulkTopicEvent);
  } catch (error) {
    const failure = ConnectError.from(error);
    if (failure.code !== Code.Unimplemented) throw failure;
    logger?.debug(`falling back to OnBulkTopicEventAlpha1: ${failure.message}`);
    return send(appCallback.onBulkTopicEventAlpha1);
  }
}
