import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { GrpcCall } from './sidecar-metrics.js';

/** gRPC status codes by number, spelled as Go's `codes.Code.String()`, which daprd's labels use. */
const goCodeNames = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

function codeName(error: unknown): string {
  const code = error === undefined ? 0 : ConnectError.from(error).code;
  return goCodeNames[code] ?? Code[code] ?? String(code);
}

/**
 * Records every call of the gRPC API (`dapr_grpc_io_server_completed_rpcs`, `..._server_latency`):
 * unary calls when they answer, streams when the last message has gone or the stream fails.
 */
export function grpcServerMetrics(record: (call: GrpcCall) => void): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const method = urlPath(request.url);
    const done = (error?: unknown) => record({ method, status: codeName(error), elapsedMs: performance.now() - started });
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      done(error);
      throw error;
    }
    if (!response.stream) {
      done();
      return response;
    }
    const messages = response.message;
    return {
      ...response,
      message: (async function* measured() {
        let outcome: unknown = new ConnectError('stream abandoned', Code.Canceled);
        try {
          yield* messages;
          outcome = undefined;
        } catch (error) {
          outcome = error;
          throw error;
        } finally {
          done(outcome);
        }
      })(),
    } as typeof response;
  };
}

/** The path of an absolute URL (`http://host:port/pkg.Service/Method`), without parsing it whole: this runs on every call. */
export function urlPath(url: string): string {
  const schemeEnd = url.indexOf('//');
  const pathStart = url.indexOf('/', schemeEnd < 0 ? 0 : schemeEnd + 2);
  if (pathStart < 0) return '/';
  const queryStart = url.indexOf('?', pathStart);
  return queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
}
