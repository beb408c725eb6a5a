// The one place the runtime imports Dapr's generated protobuf code. It comes from the published
// @dapr/dapr package (protoc-gen-es v2 descriptors for @bufbuild/protobuf v2), so no .proto file is
// copied into this repository. Its `dapr_connect.js` is left alone: it was generated for protobuf-es v1
// and refers to message classes that `dapr_pb.js` no longer exports; the service descriptor in
// `dapr_pb.js` is the one Connect v2 (and the SDK's own client) uses.
export {
  Dapr, GetMetadataResponseSchema, PubsubSubscriptionType, SubscribeConfigurationResponseSchema,
  SubscribeTopicEventsRequestAlpha1Schema, SubscribeTopicEventsResponseAlpha1Schema, UnlockResponse_Status,
} from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
export type {
  GetMetadataResponse, SubscribeConfigurationRequest, SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1,
} from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
export { TopicEventRequestSchema, TopicEventResponse_TopicEventResponseStatus } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
export type { TopicEventRequest } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
export {
  HTTPExtension_Verb, StateOptions_StateConcurrency, StateOptions_StateConsistency,
} from '@dapr/dapr/proto/dapr/proto/common/v1/common_pb.js';
export type { StateItem, StateOptions } from '@dapr/dapr/proto/dapr/proto/common/v1/common_pb.js';
