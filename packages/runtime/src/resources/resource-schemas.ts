import { z } from 'zod';
import { tracingSpecSchema } from '../observability/tracing-schema.js';

/**
 * Dapr's resource kinds as zod schemas. Unknown fields pass through (Dapr ignores them too),
 * but every field Outrigger reads is checked so a mistake is reported by its path.
 */
const objectMeta = z.object({
  name: z.string().min(1, 'must not be empty'),
  namespace: z.string().optional(),
}).passthrough();

const secretKeyRef = z.object({ name: z.string().min(1), key: z.string().optional() });

export const metadataItemSchema = z.object({
  name: z.string().min(1, 'must not be empty'),
  value: z.union([z.string(), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  secretKeyRef: secretKeyRef.optional(),
  envRef: z.string().optional(),
});

const scopes = z.array(z.string()).optional();
const auth = z.object({ secretStore: z.string() }).optional();

export const componentSchema = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Component'),
  metadata: objectMeta,
  spec: z.object({
    type: z.string().regex(/^[a-z]+(\.[A-Za-z0-9_-]+)+$/, 'must be <building-block>.<name>, e.g. state.sqlite'),
    version: z.string().default('v1'),
    ignoreErrors: z.boolean().default(false),
    initTimeout: z.string().optional(),
    metadata: z.array(metadataItemSchema).nullish(),
  }).passthrough(),
  auth,
  scopes,
});

const routeRule = z.object({ match: z.string().default(''), path: z.string().min(1) });
const bulkSubscribe = z.object({
  enabled: z.boolean().default(false),
  maxMessagesCount: z.number().int().positive().optional(),
  maxAwaitDurationMs: z.number().int().positive().optional(),
}).optional();

const subscriptionCommon = {
  pubsubname: z.string().min(1),
  topic: z.string().min(1),
  metadata: z.record(z.string(), z.string()).optional(),
  deadLetterTopic: z.string().optional(),
  bulkSubscribe,
};

export const subscriptionV1Schema = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Subscription'),
  metadata: objectMeta,
  spec: z.object({ ...subscriptionCommon, route: z.string().min(1) }).passthrough(),
  scopes,
});

export const subscriptionV2Schema = z.object({
  apiVersion: z.literal('dapr.io/v2alpha1'),
  kind: z.literal('Subscription'),
  metadata: objectMeta,
  spec: z.object({
    ...subscriptionCommon,
    routes: z.object({ rules: z.array(routeRule).optional(), default: z.string().optional() })
      .refine((routes) => (routes.rules?.length ?? 0) > 0 || routes.default, 'needs a default route or at least one rule'),
  }).passthrough(),
  scopes,
});

const duration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, 'must be a duration such as 5s');

/** `httpPipeline` / `appHttpPipeline`: handlers name `middleware.http.*` Components, in order (first is outermost). */
const pipelineSpec = z.object({
  handlers: z.array(z.object({
    name: z.string().min(1, 'must not be empty'),
    type: z.string().startsWith('middleware.http.', 'must be an HTTP middleware type, middleware.http.<name>'),
  }).passthrough()).nullish().transform((handlers) => handlers ?? []),
}).passthrough();

export const resiliencySchema = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Resiliency'),
  metadata: objectMeta,
  spec: z.object({
    policies: z.object({
      timeouts: z.record(z.string(), duration).optional(),
      retries: z.record(z.string(), z.object({
        policy: z.enum(['constant', 'exponential']).default('constant'),
        duration: duration.optional(),
        maxInterval: duration.optional(),
        maxRetries: z.number().int().min(-1).optional(),
        matching: z.object({ httpStatusCodes: z.string().optional(), gRPCStatusCodes: z.string().optional() }).optional(),
      }).passthrough()).optional(),
      circuitBreakers: z.record(z.string(), z.object({
        maxRequests: z.number().int().nonnegative().optional(),
        interval: duration.optional(),
        timeout: duration.optional(),
        trip: z.string().optional(),
      }).passthrough()).optional(),
    }).passthrough().optional(),
    targets: z.object({
      apps: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      actors: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      components: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    }).passthrough().optional(),
  }).passthrough(),
  scopes,
});

/** One PEM document of an HTTPEndpoint's `clientTLS`: given inline, or read from the secret store. */
const tlsDocument = z.object({ value: z.string().min(1).optional(), secretKeyRef: secretKeyRef.optional() }).passthrough()
  .refine((document) => (document.value === undefined) !== (document.secretKeyRef === undefined), 'needs exactly one of value and secretKeyRef');

export const httpEndpointSchema = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('HTTPEndpoint'),
  metadata: objectMeta,
  spec: z.object({
    baseUrl: z.string().url().refine((url) => /^https?:\/\//.test(url), 'must start with http:// or https://'),
    headers: z.array(metadataItemSchema).optional(),
    clientTLS: z.object({
      rootCA: tlsDocument.optional(),
      certificate: tlsDocument.optional(),
      privateKey: tlsDocument.optional(),
      renegotiation: z.enum(['Never', 'OnceAsClient', 'FreelyAsClient']).optional(),
    }).passthrough()
      .refine((tls) => (tls.certificate === undefined) === (tls.privateKey === undefined), 'a client certificate needs its privateKey, and a privateKey its certificate')
      .optional(),
  }).passthrough(),
  auth,
  scopes,
});

const feature = z.object({ name: z.string().min(1), enabled: z.boolean() });

/** `spec.metric` (and its newer spelling `spec.metrics`): daprd's MetricSpec. */
const metricSpec = z.object({
  enabled: z.boolean().optional(),
  recordErrorCodes: z.boolean().optional(),
  latencyDistributionBuckets: z.array(z.number().int().positive()).optional(),
  http: z.object({
    increasedCardinality: z.boolean().optional(),
    pathMatching: z.array(z.string().min(1).startsWith('/', 'a path template starts with "/"')).optional(),
    excludeVerbs: z.boolean().optional(),
  }).passthrough().optional(),
  rules: z.array(z.object({ name: z.string(), labels: z.array(z.object({ name: z.string(), regex: z.record(z.string(), z.string()) }).passthrough()).optional() }).passthrough()).optional(),
}).passthrough();

/** `spec.logging`: daprd's LoggingSpec (API logging only). */
const loggingSpec = z.object({
  apiLogging: z.object({
    enabled: z.boolean().optional(),
    obfuscateURLs: z.boolean().optional(),
    omitHealthChecks: z.boolean().optional(),
  }).passthrough().optional(),
}).passthrough();

/** `spec.accessControl`: daprd's AccessControlSpec (service invocation policies). */
const accessControlSpec = z.object({
  defaultAction: z.string().optional(),
  trustDomain: z.string().optional(),
  policies: z.array(z.object({
    appId: z.string().optional(),
    defaultAction: z.string().optional(),
    trustDomain: z.string().optional(),
    namespace: z.string().optional(),
    operations: z.array(z.object({ name: z.string(), httpVerb: z.array(z.string()).optional(), action: z.string().optional() }).passthrough()).optional(),
  }).passthrough()).optional(),
}).passthrough();

export const configurationSchema = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Configuration'),
  metadata: objectMeta,
  spec: z.object({
    features: z.array(feature).optional(),
    tracing: tracingSpecSchema.optional(),
    metric: metricSpec.optional(),
    metrics: metricSpec.optional(),
    logging: loggingSpec.optional(),
    httpPipeline: pipelineSpec.optional(),
    appHttpPipeline: pipelineSpec.optional(),
    nameResolution: z.object({ component: z.string(), configuration: z.record(z.string(), z.unknown()).optional() }).passthrough().optional(),
    secrets: z.object({ scopes: z.array(z.object({ storeName: z.string() }).passthrough()) }).passthrough().optional(),
    accessControl: accessControlSpec.optional(),
    components: z.object({ deny: z.array(z.string()).optional() }).passthrough().optional(),
  }).passthrough().nullish().transform((spec) => spec ?? {}),
});

export type ComponentResource = z.infer<typeof componentSchema>;
export type SubscriptionResource = z.infer<typeof subscriptionV1Schema> | z.infer<typeof subscriptionV2Schema>;
export type ResiliencyResource = z.infer<typeof resiliencySchema>;
export type HttpEndpointResource = z.infer<typeof httpEndpointSchema>;
export type ConfigurationResource = z.infer<typeof configurationSchema>;
export type MetadataItem = z.infer<typeof metadataItemSchema>;
