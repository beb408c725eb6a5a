// Dapr metadata and shutdown APIs over gRPC: GetMetadata, SetMetadata, Shutdown.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { SidecarIntrospection } from '../http/metadata-routes.js';
import { PubsubSubscriptionType, type GetMetadataResponseSchema } from './dapr-protos.js';
import type { DaprMethods } from './dapr-service.js';

type MetadataMessage = MessageInitShape<typeof GetMetadataResponseSchema>;
type Json = Record<string, unknown>;

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function integer(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value as Json).map(([key, item]) => [key, typeof item === 'string' ? item : JSON.stringify(item)]));
}

/**
 * The metadata API's JSON (one source for both transports) as GetMetadataResponse. The JSON already uses
 * the proto's json names; only subscription rules (a list in JSON, a wrapper message in proto) and the
 * subscription type (a name in JSON, an enum in proto) need converting.
 */
export function metadataMessage(json: Json): MetadataMessage {
  const app = typeof json.appConnectionProperties === 'object' && json.appConnectionProperties !== null ? json.appConnectionProperties as Json : {};
  const health = typeof app.health === 'object' && app.health !== null ? app.health as Json : undefined;
  return {
    id: text(json.id),
    runtimeVersion: text(json.runtimeVersion),
    enabledFeatures: strings(json.enabledFeatures),
    registeredComponents: records(json.components).map((component) => ({
      name: text(component.name), type: text(component.type), version: text(component.version), capabilities: strings(component.capabilities),
    })),
    extendedMetadata: stringMap(json.extended),
    subscriptions: records(json.subscriptions).map((subscription) => ({
      pubsubName: text(subscription.pubsubname),
      topic: text(subscription.topic),
      metadata: stringMap(subscription.metadata),
      rules: { rules: records(subscription.rules).map((rule) => ({ match: text(rule.match), path: text(rule.path) })) },
      deadLetterTopic: text(subscription.deadLetterTopic),
      type: PubsubSubscriptionType[text(subscription.type) as keyof typeof PubsubSubscriptionType] ?? PubsubSubscriptionType.UNKNOWN,
    })),
    httpEndpoints: records(json.httpEndpoints).map((endpoint) => ({ name: text(endpoint.name) })),
    appConnectionProperties: {
      port: integer(app.port),
      protocol: text(app.protocol),
      channelAddress: text(app.channelAddress),
      maxConcurrency: integer(app.maxConcurrency),
      ...(health ? {
        health: {
          healthCheckPath: text(health.healthCheckPath), healthProbeInterval: text(health.healthProbeInterval),
          healthProbeTimeout: text(health.healthProbeTimeout), healthThreshold: integer(health.healthThreshold),
        },
      } : {}),
    },
  };
}

/** GetMetadata, SetMetadata and Shutdown over the same sidecar introspection as the HTTP routes. */
export function metadataMethods(sidecar: SidecarIntrospection): DaprMethods {
  return {
    async getMetadata() {
      return metadataMessage(sidecar.metadata());
    },
    async setMetadata(request) {
      // An empty key is a no-op, as in daprd.
      sidecar.setExtended(request.key, request.value);
      return {};
    },
    async shutdown() {
      // After the answer is on its way, as daprd does; the drain waits for this call like any other.
      setImmediate(() => sidecar.requestShutdown(false));
      return {};
    },
  };
}
