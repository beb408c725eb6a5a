import { GrpcStatus } from './grpc-status.js';

/** One row of the catalogue: Dapr's code, its HTTP and gRPC status, and a message template (`%s` slots). */
export interface ErrorEntry {
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly message: string;
}

const entry = (code: string, httpStatus: number, grpcStatus: number, message: string): ErrorEntry =>
  ({ code, httpStatus, grpcStatus, message });

const { INVALID_ARGUMENT, INTERNAL, NOT_FOUND, FAILED_PRECONDITION, UNAUTHENTICATED, PERMISSION_DENIED,
  RESOURCE_EXHAUSTED, UNIMPLEMENTED, ABORTED, UNAVAILABLE } = GrpcStatus;

/**
 * Every error Outrigger's APIs return, in one table that the HTTP and gRPC servers both read.
 * Codes, statuses and message shapes follow daprd's `pkg/messages` so clients that match on them
 * keep working. docs/errors.md is checked against this table by a test.
 */
export const errorCatalogue = {
  // Requests in general
  malformedRequest: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'failed deserializing HTTP body: %s'),
  malformedRequestData: entry('ERR_MALFORMED_REQUEST_DATA', 400, INVALID_ARGUMENT, "can't serialize request data field: %s"),
  badRequest: entry('ERR_BAD_REQUEST', 400, INVALID_ARGUMENT, 'invalid request: %s'),
  bodyTooLarge: entry('ERR_BODY_TOO_LARGE', 413, RESOURCE_EXHAUSTED, 'request body too large: the limit is %s bytes'),
  routeNotFound: entry('ERR_NOT_FOUND', 404, NOT_FOUND, 'method %s is not found'),
  methodNotAllowed: entry('ERR_METHOD_NOT_ALLOWED', 405, UNIMPLEMENTED, 'method %s not allowed on %s'),
  apiTokenInvalid: entry('ERR_API_TOKEN_INVALID', 401, UNAUTHENTICATED, 'invalid api token'),
  apiUnimplemented: entry('ERR_API_UNIMPLEMENTED', 501, UNIMPLEMENTED, 'this API is currently not implemented: %s'),
  shuttingDown: entry('ERR_SIDECAR_SHUTTING_DOWN', 503, UNAVAILABLE, 'the sidecar is shutting down'),

  // State
  stateStoresNotConfigured: entry('ERR_STATE_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'state store is not configured'),
  stateStoreNotFound: entry('ERR_STATE_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'state store %s is not found'),
  stateKeyInvalid: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'input key/keyPrefix %s can\'t contain \'||\''),
  stateKeyMissing: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'state key is empty'),
  stateGet: entry('ERR_STATE_GET', 500, INTERNAL, 'fail to get %s from state store %s: %s'),
  stateBulkGet: entry('ERR_STATE_BULK_GET', 500, INTERNAL, 'failed getting bulk state from state store %s: %s'),
  stateSave: entry('ERR_STATE_SAVE', 500, INTERNAL, 'failed saving state in state store %s: %s'),
  stateDelete: entry('ERR_STATE_DELETE', 500, INTERNAL, 'failed deleting state with key %s: %s'),
  stateEtagMismatch: entry('ERR_STATE_SAVE', 409, ABORTED, 'possible etag mismatch. error from state store: %s'),
  stateEtagInvalid: entry('ERR_STATE_SAVE', 400, INVALID_ARGUMENT, 'invalid etag value: %s'),
  stateDeleteEtagMismatch: entry('ERR_STATE_DELETE', 409, ABORTED, 'possible etag mismatch. error from state store: %s'),
  stateDeleteEtagInvalid: entry('ERR_STATE_DELETE', 400, INVALID_ARGUMENT, 'invalid etag value: %s'),
  stateTransaction: entry('ERR_STATE_TRANSACTION', 500, INTERNAL, 'error while executing state transaction: %s'),
  stateTransactionUnsupported: entry('ERR_STATE_STORE_NOT_SUPPORTED', 500, UNIMPLEMENTED, 'state store %s doesn\'t support transaction'),
  stateOperationUnsupported: entry('ERR_NOT_SUPPORTED_STATE_OPERATION', 400, INVALID_ARGUMENT, 'operation type %s not supported'),
  stateTooManyOperations: entry('ERR_STATE_STORE_TOO_MANY_TRANSACTIONS', 400, INVALID_ARGUMENT, 'the transaction contains %s operations, which is more than what the state store supports: %s'),
  stateQueryUnsupported: entry('ERR_STATE_STORE_NOT_SUPPORTED', 500, INTERNAL, 'state store %s does not support querying'),
  stateQuery: entry('ERR_STATE_QUERY', 500, INTERNAL, 'failed query in state store %s: %s'),

  // Service invocation
  directInvoke: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: %s'),
  directInvokeNoAppId: entry('ERR_DIRECT_INVOKE', 404, NOT_FOUND, 'failed getting app id either from the URL path or the header dapr-app-id'),
  directInvokeNoMethod: entry('ERR_DIRECT_INVOKE', 404, NOT_FOUND, 'invalid method name'),
  directInvokeAppNotFound: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: failed to resolve address for \'%s\': app not found'),
  directInvokeNotReady: entry('ERR_DIRECT_INVOKE_NOT_READY', 500, INTERNAL, 'invoke API is not ready'),
  appChannelNil: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: app channel is not initialized'),

  // Metadata, health and shutdown
  metadataGet: entry('ERR_METADATA_GET', 500, INTERNAL, 'failed deserializing metadata: %s'),
  healthNotReady: entry('ERR_HEALTH_NOT_READY', 500, INTERNAL, 'dapr is not ready'),
  healthAppIdMismatch: entry('ERR_HEALTH_APPID_NOT_MATCH', 500, INTERNAL, 'dapr app-id does not match'),
  outboundHealthNotReady: entry('ERR_OUTBOUND_HEALTH_NOT_READY', 500, INTERNAL, 'dapr outbound is not ready'),

  // Pub/sub
  pubsubNotConfigured: entry('ERR_PUBSUB_NOT_CONFIGURED', 400, FAILED_PRECONDITION, 'no pubsub is configured'),
  pubsubEmpty: entry('ERR_PUBSUB_EMPTY', 404, INVALID_ARGUMENT, 'pubsub name is empty'),
  pubsubNotFound: entry('ERR_PUBSUB_NOT_FOUND', 404, INVALID_ARGUMENT, 'pubsub %s not found'),
  pubsubTopicEmpty: entry('ERR_TOPIC_NAME_EMPTY', 404, INVALID_ARGUMENT, 'topic is empty in pubsub %s'),
  pubsubForbidden: entry('ERR_PUBSUB_FORBIDDEN', 403, PERMISSION_DENIED, 'topic %s is not allowed for app id %s'),
  pubsubPublish: entry('ERR_PUBSUB_PUBLISH_MESSAGE', 500, INTERNAL, 'error when publish to topic %s in pubsub %s: %s'),
  pubsubCloudEvents: entry('ERR_PUBSUB_CLOUD_EVENTS_SER', 400, INVALID_ARGUMENT, 'error when marshalling cloud event envelope for topic %s pubsub %s: %s'),
  pubsubMetadata: entry('ERR_PUBSUB_REQUEST_METADATA', 400, INVALID_ARGUMENT, 'failed deserializing metadata: %s'),

  // Bindings
  bindingNotFound: entry('ERR_INVOKE_OUTPUT_BINDING', 500, INTERNAL, 'error invoking output binding %s: binding %s not found'),
  bindingInvoke: entry('ERR_INVOKE_OUTPUT_BINDING', 500, INTERNAL, 'error invoking output binding %s: %s'),

  // Secrets
  secretStoresNotConfigured: entry('ERR_SECRET_STORES_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'secret store is not configured'),
  secretStoreNotFound: entry('ERR_SECRET_STORE_NOT_FOUND', 401, INVALID_ARGUMENT, 'failed finding secret store with key %s'),
  secretPermissionDenied: entry('ERR_PERMISSION_DENIED', 403, PERMISSION_DENIED, 'access denied by policy to get %s from %s'),
  secretGet: entry('ERR_SECRET_GET', 500, INTERNAL, 'failed getting secret with key %s from secret store %s: %s'),

  // Configuration
  configurationStoreNotConfigured: entry('ERR_CONFIGURATION_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'configuration store is not configured'),
  configurationStoreNotFound: entry('ERR_CONFIGURATION_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'configuration store %s not found'),
  configurationGet: entry('ERR_CONFIGURATION_GET', 500, INTERNAL, 'failed to get %s from Configuration store %s: %s'),

  // Lock
  lockStoreNotConfigured: entry('ERR_LOCK_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'lock store is not configured'),
  lockStoreNotFound: entry('ERR_LOCK_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'lock store %s not found'),
  lockTry: entry('ERR_TRY_LOCK', 500, INTERNAL, 'failed to try acquiring lock: %s'),
  lockUnlock: entry('ERR_UNLOCK', 500, INTERNAL, 'failed to release lock: %s'),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorKind = keyof typeof errorCatalogue;
