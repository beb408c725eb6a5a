import { DaprError, errorCatalogue, type ErrorKind } from '@outrigger/kit';

/**
 * A header between sidecars. The called app's sidecar sets it on an answer that is its own error (the
 * app could not be reached, or the sidecar refused the call) rather than the app's, naming the error's
 * kind. The calling sidecar takes it off before anything else sees the answer: its HTTP API relays the
 * answer as it came, and its gRPC InvokeService raises that error with the error's own gRPC status, as
 * daprd does, where an answer of the app's own maps through its HTTP status.
 */
export const sidecarErrorHeader = 'outrigger-sidecar-error';

/** An answer from another sidecar, as the caller reads it. */
export interface HopAnswer<Body> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Body;
  /** Set when the called sidecar answered with an error of its own: that error's kind. */
  readonly sidecarError?: string;
}

/** The answer without the {@link sidecarErrorHeader}, which moves to `sidecarError`; the same object when it has none. */
export function takeSidecarError<Body>(answer: HopAnswer<Body>): HopAnswer<Body> {
  const kind = answer.headers[sidecarErrorHeader];
  if (kind === undefined) return answer;
  const headers = { ...answer.headers };
  delete headers[sidecarErrorHeader];
  return { status: answer.status, headers, body: answer.body, sidecarError: Array.isArray(kind) ? kind[0] : kind };
}

/**
 * The called sidecar's error again, from the kind it named and its `{errorCode, message}` body.
 * Undefined for a kind this build does not know (a newer sidecar), so the answer is then taken as an
 * answer like any other.
 */
export function sidecarErrorOf(kind: string, status: number, body: Buffer): DaprError | undefined {
  if (!Object.hasOwn(errorCatalogue, kind)) return undefined;
  let message = body.toString('utf8');
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not Dapr's JSON error body: the text itself is the best message there is.
  }
  return new DaprError(kind as ErrorKind, message, { httpStatus: status });
}
