import type { DescMethodUnary } from '@bufbuild/protobuf';
import {
  AppCallback, AppCallbackAlpha, AppCallbackHealthCheck, type TopicEventBulkRequestSchema, type TopicEventBulkResponseSchema,
} from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';

type Methods<S extends { method: object }> = S['method'];

/** The methods of `appCallback`, named so declarations can refer to them. */
export interface AppCallbackMethods {
  readonly onInvoke: Methods<typeof AppCallback>['onInvoke'];
  readonly listTopicSubscriptions: Methods<typeof AppCallback>['listTopicSubscriptions'];
  readonly onTopicEvent: Methods<typeof AppCallback>['onTopicEvent'];
  readonly listInputBindings: Methods<typeof AppCallback>['listInputBindings'];
  readonly onBindingEvent: Methods<typeof AppCallback>['onBindingEvent'];
  readonly onBulkTopicEventAlpha1: Methods<typeof AppCallbackAlpha>['onBulkTopicEventAlpha1'];
  readonly healthCheck: Methods<typeof AppCallbackHealthCheck>['healthCheck'];
  readonly onBulkTopicEvent: DescMethodUnary<typeof TopicEventBulkRequestSchema, typeof TopicEventBulkResponseSchema>;
}

/**
 * The app callback methods the sidecar calls, from the descriptors the official JS SDK ships
 * (`@dapr/dapr`): the protos are never copied into this repository.
 */
export const appCallback: AppCallbackMethods = {
  onInvoke: AppCallback.method.onInvoke,
  listTopicSubscriptions: AppCallback.method.listTopicSubscriptions,
  onTopicEvent: AppCallback.method.onTopicEvent,
  listInputBindings: AppCallback.method.listInputBindings,
  onBindingEvent: AppCallback.method.onBindingEvent,
  onBulkTopicEventAlpha1: AppCallbackAlpha.method.onBulkTopicEventAlpha1,
  healthCheck: AppCallbackHealthCheck.method.healthCheck,
  /**
   * `AppCallback/OnBulkTopicEvent`, the stable bulk method newer daprd tries before the Alpha1 one.
   * The SDK's descriptors (3.18) predate it; its messages are Alpha1's, so the method is Alpha1's
   * descriptor under the stable service and name (the transport builds the path from those two).
   */
  onBulkTopicEvent: {
    ...AppCallbackAlpha.method.onBulkTopicEventAlpha1,
    name: 'OnBulkTopicEvent',
    localName: 'onBulkTopicEvent',
    parent: AppCallback,
    toString: () => 'rpc dapr.proto.runtime.v1.AppCallback.OnBulkTopicEvent',
  } as DescMethodUnary<typeof TopicEventBulkRequestSchema, typeof TopicEventBulkResponseSchema>,
};
