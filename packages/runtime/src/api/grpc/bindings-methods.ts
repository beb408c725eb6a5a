// Dapr output bindings over gRPC: InvokeBinding.
import { OutputBindingError, type BindingsApi } from '../../blocks/bindings/bindings-api.js';
import type { DaprMethods } from './dapr-service.js';

/** Request metadata daprd lets override the binding's metadata: the trace context of the call. */
const traceKeys = new Set(['traceparent', 'tracestate']);

/** gRPC metadata that is about the call itself, not for the binding. */
function isTransportHeader(name: string): boolean {
  return name.startsWith(':') || name.startsWith('grpc-') || name.endsWith('-bin')
    || ['content-type', 'te', 'user-agent', 'accept-encoding', 'content-length'].includes(name);
}

/** The bindings block's gRPC method over the same {@link BindingsApi} as the HTTP route. */
export function bindingsMethods(bindings: BindingsApi): DaprMethods {
  return {
    async invokeBinding(request, context) {
      // daprd adds the call's metadata to the binding's (without overwriting it, except for the trace context).
      const metadata: Record<string, string> = { ...request.metadata };
      context.requestHeader.forEach((value, name) => {
        if (isTransportHeader(name)) return;
        if (!(name in metadata) || traceKeys.has(name)) metadata[name] = value;
      });
      const reportMetadata = (values: Readonly<Record<string, string>> | undefined) => {
        for (const [key, value] of Object.entries(values ?? {})) {
          try {
            context.responseHeader.set(`metadata.${key}`, value);
          } catch {
            // A value gRPC metadata cannot carry is left out rather than failing the call.
          }
        }
      };
      try {
        const response = await bindings.invoke(request.name, { operation: request.operation, data: request.data, metadata });
        reportMetadata(response?.metadata);
        return { data: response?.data ?? new Uint8Array(), metadata: { ...response?.metadata } };
      } catch (error) {
        if (error instanceof OutputBindingError) reportMetadata(error.responseMetadata);
        throw error;
      }
    },
  };
}
