import type { BindingEvent } from '@outrigger/components-api';
import type { DeliveryResult } from '../blocks/pubsub/delivery.js';
import type {
  AppChannel, AppInvokeRequest, AppInvokeResponse, AppSubscriptions, BulkTopicEventDelivery, InputBindingTarget, TopicEventDelivery,
} from './app-channel.js';

/**
 * An app channel that hands every call to another one. Decorators (metrics, tracing) extend it and
 * override only the calls they observe, so a method added to AppChannel is passed on everywhere.
 */
export class DelegatingAppChannel implements AppChannel {
  readonly healthProbe: AppChannel['healthProbe'];

  constructor(protected readonly inner: AppChannel) {
    this.healthProbe = inner.healthProbe;
  }

  get protocol(): AppChannel['protocol'] {
    return this.inner.protocol;
  }

  get inFlight(): number {
    return this.inner.inFlight;
  }

  invokeMethod(request: AppInvokeRequest): Promise<AppInvokeResponse> {
    return this.inner.invokeMethod(request);
  }

  deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult> {
    return this.inner.deliverTopicEvent(delivery);
  }

  deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>> {
    return this.inner.deliverBulkTopicEvent(delivery);
  }

  listSubscriptions(): Promise<AppSubscriptions> {
    return this.inner.listSubscriptions();
  }

  isSubscribedToBinding(binding: InputBindingTarget, signal: AbortSignal): Promise<boolean> {
    return this.inner.isSubscribedToBinding(binding, signal);
  }

  deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void> {
    return this.inner.deliverBindingEvent(binding, event);
  }

  waitUntilReachable(signal: AbortSignal): Promise<void> {
    return this.inner.waitUntilReachable(signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
