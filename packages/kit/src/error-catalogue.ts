import { GrpcStatus } from './grpc-status.js';

/** One row of the catalogue: Dapr's code, its HTTP and gRPC status, and a message template (`%s` slots). */
export interface ErrorEntry {
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly message: string;
  /** google.rpc.ErrorInfo reason of Dapr's rich errors; when set, responses carry `details`. */
  readonly reason?: string | undefined;
}

const entry = (code: string, httpStatus: number, grpcStatus: number, message: string, reason?: string): ErrorEntry =>
  ({ code, httpStatus, grpcStatus, message, reason });

const { INVALID_ARGUMENT, INTERNAL, NOT_FOUND, FAILED_PRECONDITION, UNAUTHENTICATED, PERMISSION_DENIED,
  UNIMPLEMENTED, ABORTED, UNAVAILABLE } = GrpcStatus;

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
  bodyRead: entry('ERR_BODY_READ', 400, INVALID_ARGUMENT, 'failed to read request body: %s'),
  apiTokenMissing: entry('ERR_API_TOKEN', 401, UNAUTHENTICATED, 'missing api token in request metadata'),
  apiTokenInvalid: entry('ERR_API_TOKEN', 401, UNAUTHENTICATED, 'authentication error: api token mismatch'),
  apiUnimplemented: entry('ERR_API_UNIMPLEMENTED', 501, UNIMPLEMENTED, 'this API is currently not implemented: %s'),
  internal: entry('ERR_INTERNAL', 500, INTERNAL, '%s'),
  shuttingDown: entry('ERR_SIDECAR_SHUTTING_DOWN', 503, UNAVAILABLE, 'the sidecar is shutting down'),

  // State
  stateStoresNotConfigured: entry('ERR_STATE_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'state store %s is not configured', 'DAPR_STATE_NOT_CONFIGURED'),
  stateStoreNotFound: entry('ERR_STATE_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'state store %s is not found', 'DAPR_STATE_NOT_FOUND'),
  stateKeyInvalid: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'input key/keyPrefix \'%s\' can\'t contain \'||\'', 'DAPR_STATE_ILLEGAL_KEY'),
  stateKeyMissing: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, '"key" is a required field'),
  stateGet: entry('ERR_STATE_GET', 500, INTERNAL, 'fail to get %s from state store %s: %s'),
  stateBulkGet: entry('ERR_STATE_BULK_GET', 500, INTERNAL, '%s'),
  stateSave: entry('ERR_STATE_SAVE', 500, INTERNAL, 'failed saving state in state store %s: %s'),
  stateDelete: entry('ERR_STATE_DELETE', 500, INTERNAL, 'failed deleting state with key %s: %s'),
  stateEtagMismatch: entry('ERR_STATE_SAVE', 409, ABORTED, 'failed saving state in state store %s: possible etag mismatch. error from state store: %s'),
  stateEtagInvalid: entry('ERR_STATE_SAVE', 400, INVALID_ARGUMENT, 'failed saving state in state store %s: invalid etag value: %s'),
  stateDeleteEtagMismatch: entry('ERR_STATE_DELETE', 409, ABORTED, 'failed deleting state with key %s: possible etag mismatch. error from state store: %s'),
  stateDeleteEtagInvalid: entry('ERR_STATE_DELETE', 400, INVALID_ARGUMENT, 'failed deleting state with key %s: invalid etag value: %s'),
  stateTransaction: entry('ERR_STATE_TRANSACTION', 500, INTERNAL, 'error while executing state transaction: %s'),
  stateTransactionUnsupported: entry('ERR_STATE_STORE_NOT_SUPPORTED', 500, UNIMPLEMENTED, 'state store %s doesn\'t support transactions', 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED'),
  stateOperationUnsupported: entry('ERR_NOT_SUPPORTED_STATE_OPERATION', 400, UNIMPLEMENTED, 'operation type %s not supported'),
  stateTooManyOperations: entry('ERR_STATE_STORE_TOO_MANY_TRANSACTIONS', 400, INVALID_ARGUMENT, 'the transaction contains %s operations, which is more than what the state store supports: %s', 'DAPR_STATE_TOO_MANY_TRANSACTIONS'),
  stateQueryUnsupported: entry('ERR_STATE_STORE_NOT_SUPPORTED', 500, INTERNAL, 'state store does not support querying', 'DAPR_STATE_QUERYING_NOT_SUPPORTED'),
  stateQuery: entry('ERR_STATE_QUERY', 500, INTERNAL, 'state store %s query failed: %s', 'DAPR_STATE_QUERY_FAILED'),

  // Service invocation
  directInvoke: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: %s'),
  directInvokeNoAppId: entry('ERR_DIRECT_INVOKE', 404, NOT_FOUND, 'failed getting app id either from the URL path or the header dapr-app-id'),
    directInvokeAppNotFound: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: couldn\'t find service: %s'),
  directInvokeNotReady: entry('ERR_DIRECT_INVOKE_NOT_READY', 500, INTERNAL, 'invoke API is not ready'),
  appUnhealthy: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: app is not in a healthy state'),
  appNotReady: entry('ERR_DIRECT_INVOKE', 503, UNAVAILABLE, 'failed to invoke, id: %s, err: the app is not ready yet'),
  appChannelNil: entry('ERR_DIRECT_INVOKE', 500, INTERNAL, 'failed to invoke, id: %s, err: cannot invoke local endpoint: app channel not initialized'),
  // The called sidecar's access control refused the call: 403 to an HTTP caller, as daprd maps the callee's
  // PermissionDenied; its gRPC InvokeService wraps the callee's error as INTERNAL. The id after "access to"
  // is the caller's SPIFFE identity, empty without mTLS.
  directInvokeDenied: entry('ERR_DIRECT_INVOKE', 403, INTERNAL, 'failed to invoke, id: %s, err: rpc error: code = PermissionDenied desc = access control policy has denied access to id:  operation: %s verb: %s'),

  // Metadata, health and shutdown
    healthNotReady: entry('ERR_HEALTH_NOT_READY', 500, INTERNAL, 'dapr is not ready: [%s]'),
  healthAppIdMismatch: entry('ERR_HEALTH_APPID_NOT_MATCH', 500, INTERNAL, 'dapr app-id does not match'),
  outboundHealthNotReady: entry('ERR_OUTBOUND_HEALTH_NOT_READY', 500, INTERNAL, 'dapr outbound is not ready'),

  // Pub/sub
  pubsubNotConfigured: entry('ERR_PUBSUB_NOT_CONFIGURED', 400, FAILED_PRECONDITION, 'pubsub %s is not configured', 'DAPR_PUBSUB_NOT_CONFIGURED'),
  pubsubEmpty: entry('ERR_PUBSUB_EMPTY', 404, INVALID_ARGUMENT, 'pubsub name is empty', 'DAPR_PUBSUB_NAME_EMPTY'),
  pubsubNotFound: entry('ERR_PUBSUB_NOT_FOUND', 404, INVALID_ARGUMENT, 'pubsub %s is not found', 'DAPR_PUBSUB_NOT_FOUND'),
  pubsubTopicEmpty: entry('ERR_TOPIC_NAME_EMPTY', 404, INVALID_ARGUMENT, 'topic is empty in pubsub %s', 'DAPR_PUBSUB_TOPIC_NAME_EMPTY'),
  pubsubForbidden: entry('ERR_PUBSUB_FORBIDDEN', 403, PERMISSION_DENIED, 'topic %s is not allowed for app id %s', 'DAPR_PUBSUB_FORBIDDEN'),
  pubsubPublish: entry('ERR_PUBSUB_PUBLISH_MESSAGE', 500, INTERNAL, 'error when publishing to topic %s in pubsub %s: %s', 'DAPR_PUBSUB_PUBLISH_MESSAGE'),
  pubsubCloudEvents: entry('ERR_PUBSUB_CLOUD_EVENTS_SER', 500, INVALID_ARGUMENT, 'cannot create cloudevent: %s', 'DAPR_PUBSUB_CLOUD_EVENT_CREATION'),
  pubsubEvents: entry('ERR_PUBSUB_EVENTS_SER', 400, INVALID_ARGUMENT, 'error when unmarshalling the request for topic %s pubsub %s: %s', 'DAPR_PUBSUB_UNMARSHAL_EVENTS'),
  pubsubMetadata: entry('ERR_PUBSUB_REQUEST_METADATA', 400, INVALID_ARGUMENT, 'failed deserializing metadata: %s', 'DAPR_PUBSUB_METADATA_DESERIALIZATION'),

  // Bindings
  bindingNotFound: entry('ERR_INVOKE_OUTPUT_BINDING', 500, INTERNAL, 'error invoking output binding %s: couldn\'t find output binding %s'),
  bindingInvoke: entry('ERR_INVOKE_OUTPUT_BINDING', 500, INTERNAL, 'error invoking output binding %s: %s'),

  // Secrets
  secretStoresNotConfigured: entry('ERR_SECRET_STORES_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'secret store is not configured'),
  secretStoreNotFound: entry('ERR_SECRET_STORE_NOT_FOUND', 401, INVALID_ARGUMENT, 'failed finding secret store with key %s'),
  // daprd formats the names with Go's %q: in double quotes, inner quotes escaped.
  secretPermissionDenied: entry('ERR_PERMISSION_DENIED', 403, PERMISSION_DENIED, 'access denied by policy to get "%s" from "%s"'),
  secretGet: entry('ERR_SECRET_GET', 500, INTERNAL, 'failed getting secret with key %s from secret store %s: %s'),
  secretBulkGet: entry('ERR_SECRET_GET', 500, INTERNAL, 'failed getting secrets from secret store %s: %s'),

  // Configuration
  configurationStoreNotConfigured: entry('ERR_CONFIGURATION_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'configuration stores not configured'),
  configurationStoreNotFound: entry('ERR_CONFIGURATION_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'configuration store %s not found'),
  configurationGet: entry('ERR_CONFIGURATION_GET', 500, INTERNAL, 'failed to get %s from Configuration store %s: %s'),
  // daprd answers the HTTP subscribe with 500 but the gRPC one with InvalidArgument.
  configurationSubscribe: entry('ERR_CONFIGURATION_SUBSCRIBE', 500, INVALID_ARGUMENT, 'failed to subscribe %s from Configuration store %s: %s'),
  configurationUnsubscribe: entry('ERR_CONFIGURATION_UNSUBSCRIBE', 500, INTERNAL, 'failed to unsubscribe to configuration request %s: %s'),
  configurationAppChannelNil: entry('ERR_APP_CHANNEL_NIL', 500, INTERNAL, 'app channel is not initialized. cannot subscribe to configuration updates'),

  // Lock
  lockStoreNotConfigured: entry('ERR_LOCK_STORE_NOT_CONFIGURED', 500, FAILED_PRECONDITION, 'lock store is not configured'),
  lockStoreNotFound: entry('ERR_LOCK_STORE_NOT_FOUND', 400, INVALID_ARGUMENT, 'lock store %s not found'),
  lockResourceIdEmpty: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'ResourceId is empty in lock store %s'),
  lockOwnerEmpty: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'LockOwner is empty in lock store %s'),
  lockExpiryNotPositive: entry('ERR_MALFORMED_REQUEST', 400, INVALID_ARGUMENT, 'ExpiryInSeconds is not positive in lock store %s'),
  lockTry: entry('ERR_TRY_LOCK', 500, INTERNAL, 'failed to try acquiring lock: %s'),
  lockUnlock: entry('ERR_UNLOCK', 500, INTERNAL, 'failed to release lock: %s'),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorKind = keyof typeof errorCatalogue;
