import { daprError, errorMessage } from '@outrigger/kit';
import { isBulkPublisher, type PubSub, type PublishRequest } from '@outrigger/components-api';
import type { ComponentHost, LoadedComponent } from '../../components/component-host.js';
import { buildEnvelope } from './cloud-event.js';
import { componentMetricsOf, timed } from '../../observability/metrics-components.js';
import { topicAllowed } from './topic-scopes.js';

export interface PublishInput {
  readonly pubsubName: string;
  readonly topic: string;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

export interface BulkEntryInput {
  readonly entryId: string;
  readonly event: Buffer;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The publishing half of the pub/sub building block, shared by the HTTP and gRPC APIs. */
export class PubSubApi {
  constructor(private readonly host: ComponentHost, private readonly appId: string) {}

  /** @throws DaprError when the pub/sub or topic is missing or not allowed. */
  resolve(pubsubName: string, topic: string): LoadedComponent<PubSub> {
    if (pubsubName === '') throw daprError('pubsubEmpty');
    const all = this.host.ofBlock('pubsub');
    if (all.length === 0) throw daprError('pubsubNotConfigured', pubsubName);
    const component = all.find((candidate) => candidate.name === pubsubName);
    if (!component) throw daprError('pubsubNotFound', pubsubName);
    if (topic === '') throw daprError('pubsubTopicEmpty', pubsubName);
    if (!topicAllowed('publish', this.appId, topic, component.metadata)) throw daprError('pubsubForbidden', topic, this.appId);
    return component as LoadedComponent<PubSub>;
  }

  async publish(input: PublishInput): Promise<void> {
    const component = this.resolve(input.pubsubName, input.topic);
    const request = this.toRequest(component, input.topic, input.body, input.contentType, input.metadata, input.traceparent, input.tracestate);
    try {
      await timed(() => component.instance.publish(request), (success, elapsedMs) => componentMetricsOf(this.host).pubsubEgress(component.name, input.topic, success, elapsedMs));
    } catch (error) {
      throw daprError('pubsubPublish', input.topic, input.pubsubName, errorMessage(error));
    }
  }

  /**
   * Publishes every entry; entries are wrapped like single publishes unless rawPayload.
   * @returns the entries that failed, each with its error; the others were published.
   */
  async bulkPublish(pubsubName: string, topic: string, entries: readonly BulkEntryInput[], metadata: Readonly<Record<string, string>>, traceparent?: string, tracestate?: string): Promise<{ entryId: string; error: string }[]> {
    const component = this.resolve(pubsubName, topic);
    const requests = entries.map((entry) => ({
      entryId: entry.entryId,
      ...this.toRequest(component, topic, entry.event, entry.contentType, { ...metadata, ...entry.metadata }, traceparent, tracestate),
    }));
    const pubsub = component.instance;
    if (isBulkPublisher(pubsub)) {
      try {
        return await pubsub.bulkPublish(topic, requests);
      } catch (error) {
        return requests.map((request) => ({ entryId: request.entryId, error: errorMessage(error) }));
      }
    }
    const failures: { entryId: string; error: string }[] = [];
    for (const request of requests) {
      try {
        await pubsub.publish(request);
      } catch (error) {
        failures.push({ entryId: request.entryId, error: errorMessage(error) });
      }
    }
    return failures;
  }

  private toRequest(component: LoadedComponent<PubSub>, topic: string, body: Buffer, contentType: string | undefined, metadata: Readonly<Record<string, string>>, traceparent: string | undefined, tracestate: string | undefined): PublishRequest {
    if (metadata.rawPayload === 'true') return { topic, data: body, contentType, metadata };
    const envelope = buildEnvelope({
      appId: this.appId, pubsubName: component.name, topic, body, contentType, metadata, traceparent, tracestate,
      ttlInEnvelope: !component.instance.features().includes('MESSAGE_TTL'),
    });
    return { topic, data: Buffer.from(JSON.stringify(envelope)), contentType: 'application/cloudevents+json', metadata };
  }
}
