import type { ErrorKind } from './error-catalogue.js';
import { errorCatalogue } from './error-catalogue.js';

/**
 * An error that crosses the API boundary. Both transports turn it into Dapr's wire form:
 * HTTP `{errorCode, message}` with the catalogue's status, gRPC the catalogue's status code.
 */
export class DaprError extends Error {
  readonly kind: ErrorKind;
  readonly errorCode: string;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  /** ErrorInfo reason of Dapr's rich errors, when the catalogue gives one. */
  readonly reason: string | undefined;
  /** ErrorInfo metadata, e.g. `{ appID }`. */
  readonly infoMetadata: Record<string, string> | undefined;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; httpStatus?: number; infoMetadata?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    const entry = errorCatalogue[kind];
    this.name = 'DaprError';
    this.kind = kind;
    this.errorCode = entry.code;
    this.httpStatus = options?.httpStatus ?? entry.httpStatus;
    this.grpcStatus = entry.grpcStatus;
    this.reason = entry.reason;
    this.infoMetadata = options?.infoMetadata;
  }

  /** The JSON body Dapr sends for an HTTP error. */
  toJSON(): { errorCode: string; message: string; details?: unknown[] } {
    const body = { errorCode: this.errorCode, message: this.message };
    if (this.reason === undefined) return body;
    const errorInfo = {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      domain: 'dapr.io',
      metadata: this.infoMetadata ?? null,
      reason: this.reason,
    };
    return { ...body, details: [errorInfo] };
  }

  /** Returns this error with ErrorInfo metadata attached. */
  withInfo(infoMetadata: Record<string, string>): this {
    (this as { infoMetadata: Record<string, string> | undefined }).infoMetadata = infoMetadata;
    return this;
  }
}

/** Builds a DaprError whose message follows the catalogue's template, with `%s` replaced in order. */
export function daprError(kind: ErrorKind, ...args: unknown[]): DaprError {
  let index = 0;
  const message = errorCatalogue[kind].message.replace(/%s/g, () => String(args[index++] ?? ''));
  const cause = args.find((arg) => arg instanceof Error);
  return new DaprError(kind, message, { cause });
}

export function isDaprError(error: unknown): error is DaprError {
  return error instanceof DaprError;
}

/** A message for any thrown value, for logs and for `%s` slots. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
