// Dapr pub/sub over gRPC: PublishEvent, BulkPublishEvent(Alpha1) and the streaming subscription API
// SubscribeTopicEventsAlpha1 (the client opens a stream, the sidecar sends events, the client answers each).
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { daprError, errorMessage } from '@outrigger/kit';
import { topicEventRequest } from '../../app-channel/grpc/grpc-topic-events.js';
import type { PubSubApi } from '../../blocks/pubsub/pubsub-api.js';
import type { DeliveryResult, Outcome } from '../../blocks/pubsub/delivery.js';
import type { StreamHandle, StreamingSubscriptions } from '../../blocks/pubsub/streaming-subscriptions.js';
import { AsyncQueue } from './async-queue.js';
import {
  TopicEventResponse_TopicEventResponseStatus as TopicEventStatus, type SubscribeTopicEventsRequestAlpha1,
  type SubscribeTopicEventsResponseAlpha1Schema,
} from './dapr-protos.js';
import type { DaprMethods } from './dapr-service.js';

type StreamMessage = MessageInitShape<typeof SubscribeTopicEventsResponseAlpha1Schema>;

const outcomes: Readonly<Record<number, Outcome>> = {
  [TopicEventStatus.SUCCESS]: 'success',
  [TopicEventStatus.RETRY]: 'retry',
  [TopicEventStatus.DROP]: 'drop',
};

function traceHeader(context: HandlerContext, name: string): string | undefined {
  return context.requestHeader.get(name) ?? undefined;
}

/** The pub/sub block's gRPC methods over the same {@link PubSubApi} as the HTTP routes. */
export function pubsubMethods(pubsub: PubSubApi, streams: StreamingSubscriptions): DaprMethods {
  const bulkPublish: NonNullable<DaprMethods['bulkPublishEventAlpha1']> = async (request, context) => {
    pubsub.resolve(request.pubsubName, request.topic);
    const seen = new Set<string>();
    const entries = request.entries.map((entry) => {
      if (entry.entryId === '' || seen.has(entry.entryId)) {
        throw daprError('pubsubEvents', request.topic, request.pubsubName, 'entryId is duplicated or not present for entry');
      }
      seen.add(entry.entryId);
      return { entryId: entry.entryId, event: Buffer.from(entry.event), contentType: entry.contentType || undefined, metadata: entry.metadata };
    });
    const failed = await pubsub.bulkPublish(request.pubsubName, request.topic, entries, request.metadata, traceHeader(context, 'traceparent'), traceHeader(context, 'tracestate'));
    // Partial failure is an answer, not an error, as in daprd.
    return { failedEntries: failed.map((entry) => ({ entryId: entry.entryId, error: entry.error })) };
  };

  return {
    async publishEvent(request, context) {
      await pubsub.publish({
        pubsubName: request.pubsubName, topic: request.topic, body: Buffer.from(request.data),
        contentType: request.dataContentType || undefined, metadata: request.metadata,
        traceparent: traceHeader(context, 'traceparent'), tracestate: traceHeader(context, 'tracestate'),
      });
      return {};
    },
    bulkPublishEventAlpha1: bulkPublish,
    subscribeTopicEventsAlpha1: (requests, context) => subscribeTopicEvents(streams, requests, context),
  };
}

/**
 * One streaming subscription. The first request must be the initial request; the answer starts with an
 * initial response, then carries events. Each event waits for the client's `eventProcessed` with its id.
 * The subscription ends when the client half-closes or cancels, or when the sidecar stops.
 */
async function* subscribeTopicEvents(streams: StreamingSubscriptions, requests: AsyncIterable<SubscribeTopicEventsRequestAlpha1>, context: HandlerContext): AsyncIterable<StreamMessage> {
  const incoming = requests[Symbol.asyncIterator]();
  const first = await incoming.next();
  if (first.done) return;
  const initial = first.value.subscribeTopicEventsRequestType;
  if (initial.case !== 'initialRequest') throw daprError('badRequest', 'initial request is required');
  const { pubsubName, topic, metadata, deadLetterTopic } = initial.value;
  if (pubsubName === '') throw daprError('badRequest', 'pubsubName is required');
  if (topic === '') throw daprError('badRequest', 'topic is required');

  const outbox = new AsyncQueue<StreamMessage>();
  const answers = new Map<string, (result: DeliveryResult) => void>();
  let announce!: () => void;
  const announced = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const handle: StreamHandle = await streams.open({ pubsubName, topic, metadata, deadLetterTopic }, async (delivery) => {
    // Events wait for the initial response, which the client expects first.
    await announced;
    const id = typeof delivery.event.id === 'string' ? delivery.event.id : '';
    if (outbox.ended) return { outcome: 'retry', detail: 'the stream closed' };
    if (answers.has(id)) return { outcome: 'retry', detail: `event ${id} is already waiting for the client's answer` };
    let message: StreamMessage;
    try {
      message = { subscribeTopicEventsResponseType: { case: 'eventMessage', value: topicEventRequest(delivery) } };
    } catch (error) {
      // An envelope that cannot be converted (bad data_base64) is retried, as daprd does.
      return { outcome: 'retry', detail: errorMessage(error) };
    }
    const answer = new Promise<DeliveryResult>((resolve) => answers.set(id, resolve));
    outbox.push(message);
    return answer;
  });
  outbox.push({ subscribeTopicEventsResponseType: { case: 'initialResponse', value: {} } });
  announce();

  const finish = () => {
    outbox.end();
    for (const resolve of answers.values()) resolve({ outcome: 'retry', detail: 'the stream closed' });
    answers.clear();
  };
  void handle.ended.then(finish);
  context.signal.addEventListener('abort', finish, { once: true });
  void (async () => {
    try {
      for (let next = await incoming.next(); !next.done; next = await incoming.next()) {
        const processed = next.value.subscribeTopicEventsRequestType;
        if (processed.case !== 'eventProcessed') {
          outbox.fail(daprError('badRequest', 'duplicate initial request received'));
          return;
        }
        const resolve = answers.get(processed.value.id);
        answers.delete(processed.value.id);
        const outcome = outcomes[processed.value.status?.status ?? TopicEventStatus.SUCCESS] ?? 'retry';
        resolve?.({ outcome, detail: `the client answered ${TopicEventStatus[processed.value.status?.status ?? 0] ?? 'an unknown status'}` });
      }
    } catch {
      // The client went away; closing below hands unanswered events back to the broker.
    }
    finish();
  })();

  try {
    yield* outbox;
  } finally {
    finish();
    await handle.close();
  }
}
