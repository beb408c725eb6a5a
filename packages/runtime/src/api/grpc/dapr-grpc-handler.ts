// The gRPC API's Connect side: imported by the sidecar on the first call for the Dapr service
// (grpc-api-server.ts says why), so Connect, @bufbuild/protobuf and Dapr's descriptors load only then.
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Logger } from '@outrigger/kit';
import type { SidecarIntrospection } from '../http/metadata-routes.js';
import type { InvokeService } from '../../blocks/invoke/invoke-service.js';
import type { SidecarBlock } from '../../blocks/sidecar-block.js';
import { daprServiceMethods, routeServedMethods, type DaprMethods } from './dapr-service.js';
import type { GrpcCallHandler, GrpcHandlerHooks } from './grpc-api-server.js';
import { invokeMethods } from './invoke-method.js';
import { metadataMethods } from './metadata-methods.js';
import { UnaryCalls } from './unary-calls.js';

export interface DaprGrpcHandlerOptions {
  readonly blocks: readonly SidecarBlock[];
  readonly invoke: InvokeService;
  readonly introspection: SidecarIntrospection;
  /** Largest request message, from `--max-body-size`, as daprd's MaxRecvMsgSize. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Run around every routed call, outermost first: metrics, the API log, span attributes. */
  readonly interceptors: readonly Interceptor[];
}

/**
 * The Dapr service with every block's methods, plus invocation and metadata: unary calls in binary gRPC
 * are served directly on the HTTP/2 stream (unary-calls.ts says why), everything else by Connect's node adapter.
 */
export async function daprGrpcHandler(options: DaprGrpcHandlerOptions, hooks: GrpcHandlerHooks): Promise<GrpcCallHandler> {
  const blockMethods = await Promise.all(options.blocks.map((block) => block.grpc?.() ?? {}));
  const methods: DaprMethods = Object.assign({}, ...blockMethods, invokeMethods(options.invoke), metadataMethods(options.introspection));
  const served = daprServiceMethods(methods, options.logger);
  const unary = new UnaryCalls(served, {
    maxBodyBytes: options.maxBodyBytes, interceptors: options.interceptors, shutdownSignal: hooks.shutdownSignal, logger: options.logger,
  });
  const connect = connectNodeAdapter({
    routes: (router) => routeServedMethods(router, served),
    grpc: true, grpcWeb: false, connect: false,
    readMaxBytes: options.maxBodyBytes,
    // Compressed requests are still read, but answers go out uncompressed, as daprd (grpc-go) answers a
    // client that sent none: Connect would gzip every answer of 1 KiB or more that grpc-js says it
    // accepts, and zlib was the largest cost of a 1 KB GetState (bench/).
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    shutdownSignal: hooks.shutdownSignal,
    interceptors: [...options.interceptors],
    fallback: (req, res) => hooks.fallback(req as Http2ServerRequest, res as Http2ServerResponse),
  }) as GrpcCallHandler;
  return (req, res) => {
    if (!unary.serve(req, res)) connect(req, res);
  };
}
