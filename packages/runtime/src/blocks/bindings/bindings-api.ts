import { DaprError, daprError, errorMessage } from '@outrigger/kit';
import { BindingInvokeError, type BindingInvokeResponse } from '@outrigger/components-api';
import type { ComponentHost } from '../../components/component-host.js';
import { componentMetricsOf, timed } from '../../observability/metrics-components.js';
import { findOutputBinding } from './binding-components.js';

/** One output binding call as the API decoded it; `data` is already the JSON encoding of the request's `data`. */
export interface OutputBindingCall {
  readonly operation: string;
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A failed call with the response metadata the component still reported; daprd sends it as headers beside the error. */
export class OutputBindingError extends DaprError {
  constructor(cause: DaprError, readonly responseMetadata: Readonly<Record<string, string>>) {
    super(cause.kind, cause.message, { cause: cause.cause });
  }
}

/**
 * The output side of the bindings block, shared by the HTTP and gRPC APIs: finds the binding,
 * checks the operation against the ones it lists, and maps failures onto ERR_INVOKE_OUTPUT_BINDING
 * with daprd's messages.
 */
export class BindingsApi {
  constructor(private readonly host: ComponentHost) {}

  /** @throws DaprError (OutputBindingError when the component reported response metadata). */
  async invoke(name: string, call: OutputBindingCall): Promise<BindingInvokeResponse | undefined> {
    if (call.operation === '') throw daprError('bindingInvoke', name, 'operation field is missing from request');
    const binding = findOutputBinding(this.host, name);
    if (!binding) throw daprError('bindingNotFound', name, name);
    const operations = binding.operations();
    if (!operations.includes(call.operation)) {
      throw daprError('bindingInvoke', name, `binding ${name} does not support operation ${call.operation}. supported operations:${operations.join(' ')}`);
    }
    try {
      return await timed(() => binding.invoke({ operation: call.operation, data: call.data, metadata: call.metadata }),
        (success, elapsedMs) => componentMetricsOf(this.host).outputBinding(name, call.operation, success, elapsedMs));
    } catch (error) {
      const failure = daprError('bindingInvoke', name, errorMessage(error));
      if (error instanceof BindingInvokeError) throw new OutputBindingError(failure, error.metadata);
      throw failure;
    }
  }
}
