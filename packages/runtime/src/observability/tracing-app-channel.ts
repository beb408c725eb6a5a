import type { BindingEvent } from '@outrigger/components-api';
import type { AppChannel, BulkTopicEventDelivery, InputBindingTarget, TopicEventDelivery } from '../app-channel/app-channel.js';
import { DelegatingAppChannel } from '../app-channel/delegating-app-channel.js';
import type { BulkEntry, DeliveryResult } from '../blocks/pubsub/delivery.js';
import { SpanKind, contextOf, endSpan, type SidecarTracing } from './tracing.js';

/**
 * The app channel with spans around the calls the sidecar starts on its own: a topic event delivery is
 * `pubsub/{topic}`, an input binding event `bindings/{name}`, as daprd names them. Each continues the
 * trace context the message brought (the CloudEvent's `traceparent`, the binding's metadata) and the app
 * gets the span's context in its place. Invocations pass through untouched: their span is the API's or
 * the internal server's, whose context is already in the request headers.
 */
export class TracingAppChannel extends DelegatingAppChannel {
  constructor(inner: AppChannel, private readonly tracing: SidecarTracing) {
    super(inner);
  }

  override async deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult> {
    const { event, traced } = this.startEventSpan(delivery.topic, delivery.event);
    const result = await this.inner.deliverTopicEvent({ ...delivery, event });
    traced(result);
    return result;
  }

  override async deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>> {
    // One span per entry, as daprd traces bulk deliveries: each entry has its own trace context.
    const finishers = new Map<string, (result: DeliveryResult | undefined) => void>();
    const entries: BulkEntry[] = delivery.entries.map((entry) => {
      if (typeof entry.event === 'string') return entry;
      const { event, traced } = this.startEventSpan(delivery.topic, entry.event);
      finishers.set(entry.entryId, traced);
      return { ...entry, event };
    });
    const results = await this.inner.deliverBulkTopicEvent({ ...delivery, entries });
    for (const [entryId, traced] of finishers) traced(results.get(entryId));
    return results;
  }

  override async deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void> {
    const metadata: Record<string, unknown> = { ...event.metadata };
    const span = this.tracing.start(`bindings/${binding.name}`, SpanKind.CLIENT, event.metadata, metadata, {
      'db.name': binding.name, 'rpc.service': 'Dapr', 'db.system': 'bindings', 'db.connection_string': binding.route,
    });
    try {
      await this.inner.deliverBindingEvent(binding, { ...event, metadata: metadata as Record<string, string> });
      endSpan(span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  /** A span for one event and a copy of the event that carries the span's trace context to the app. */
  private startEventSpan(topic: string, original: Readonly<Record<string, unknown>>): { event: Record<string, unknown>; traced: (result: DeliveryResult | undefined) => void } {
    const span = this.tracing.start(`pubsub/${topic}`, SpanKind.CLIENT, original, undefined, {
      'messaging.system': 'pubsub', 'messaging.destination.name': topic,
    });
    const { traceparent, tracestate } = contextOf(span);
    const event: Record<string, unknown> = { ...original, traceparent };
    if (tracestate !== undefined) event.tracestate = tracestate;
    return {
      event,
      traced: (result) => {
        if (span.isRecording() && result) span.setAttribute('outrigger.delivery.outcome', result.outcome);
        endSpan(span, result === undefined || result.outcome === 'retry' ? new Error(result?.detail ?? 'no result for the entry') : undefined);
      },
    };
  }
}
