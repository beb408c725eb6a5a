import type { BindingEvent } from '@outrigger/components-api';
import type { AppChannel, BulkTopicEventDelivery, InputBindingTarget, TopicEventDelivery } from '../app-channel/app-channel.js';
import { DelegatingAppChannel } from '../app-channel/delegating-app-channel.js';
import type { DeliveryResult } from '../blocks/pubsub/delivery.js';
import type { ComponentMetricsRecorder } from './metrics-components.js';

/**
 * The app channel with daprd's inbound component metrics: every topic event handed to the app counts in
 * `dapr_component_pubsub_ingress_*` with what became of it (success, retry, drop; a call that failed
 * is a retry), every input binding event in `dapr_component_input_binding_*`. Each delivery attempt
 * counts, as in daprd. Entries of a bulk delivery count one by one, with the batch's latency.
 */
export class MetricsAppChannel extends DelegatingAppChannel {
  constructor(inner: AppChannel, private readonly metrics: ComponentMetricsRecorder) {
    super(inner);
  }

  override async deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult> {
    const started = performance.now();
    try {
      const result = await this.inner.deliverTopicEvent(delivery);
      this.metrics.pubsubIngress(delivery.pubsubName, delivery.topic, result.outcome, performance.now() - started);
      return result;
    } catch (error) {
      this.metrics.pubsubIngress(delivery.pubsubName, delivery.topic, 'retry', performance.now() - started);
      throw error;
    }
  }

  override async deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>> {
    const started = performance.now();
    const record = (outcome: DeliveryResult['outcome']) => this.metrics.pubsubIngress(delivery.pubsubName, delivery.topic, outcome, performance.now() - started);
    try {
      const results = await this.inner.deliverBulkTopicEvent(delivery);
      for (const entry of delivery.entries) record(results.get(entry.entryId)?.outcome ?? 'retry');
      return results;
    } catch (error) {
      for (let index = 0; index < delivery.entries.length; index++) record('retry');
      throw error;
    }
  }

  override async deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void> {
    const started = performance.now();
    try {
      await this.inner.deliverBindingEvent(binding, event);
      this.metrics.inputBinding(binding.name, true, performance.now() - started);
    } catch (error) {
      this.metrics.inputBinding(binding.name, false, performance.now() - started);
      throw error;
    }
  }
}
