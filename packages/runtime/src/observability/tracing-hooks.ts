// What the sidecar wires in when a Configuration turns tracing on, in one module it imports only then:
// these load @opentelemetry/api, which a sidecar without tracing does not need.
export { SidecarTracing } from './tracing.js';
export { grpcSpanAttributes, traceGrpcApiCall, traceFramedInvocation, traceHttpApiCall, traceInternalInvocation, traceProxiedGrpcCall } from './tracing-api.js';
export { TracingAppChannel } from './tracing-app-channel.js';
