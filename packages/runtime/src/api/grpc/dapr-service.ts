import type { DescMethod } from '@bufbuild/protobuf';
import { ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { daprError, isDaprError, type Logger } from '@outrigger/kit';
import { Dapr } from './dapr-protos.js';
import { toConnectError } from './grpc-errors.js';

/** Methods of `dapr.proto.runtime.v1.Dapr` that one building block serves, keyed by their local names (`getState`). */
export type DaprMethods = Partial<ServiceImpl<typeof Dapr>>;

type AnyHandler = (input: unknown, context: HandlerContext) => unknown;

/** Building blocks Outrigger does not have yet, recognised by method name, for UNIMPLEMENTED messages. */
const missingBlocks: readonly [RegExp, string][] = [
  [/Actor/, 'actors'],
  [/Workflow/, 'workflows'],
  [/Job/, 'jobs'],
  [/Conversation/, 'conversation'],
  [/Encrypt|Decrypt|Subtle/, 'cryptography'],
];

/** Why a Dapr method is not served, naming its building block when it is one Outrigger lacks. */
export function unimplementedDetail(methodName: string): string {
  const block = missingBlocks.find(([pattern]) => pattern.test(methodName))?.[1];
  return block === undefined
    ? `${methodName} is not implemented in Outrigger yet`
    : `${methodName} (the ${block} building block is not implemented in Outrigger yet)`;
}

/** One method the gRPC API serves, with the implementation that answers it. */
export interface ServedMethod {
  readonly method: DescMethod;
  readonly impl: AnyHandler;
}

/**
 * Every method the gRPC API serves: each method of the descriptor (see completeDaprService), plus
 * `BulkPublishEvent`, the stable name daprd serves beside `BulkPublishEventAlpha1` that the descriptor
 * shipped with @dapr/dapr 3.18 predates (same messages, same handler).
 */
export function daprServiceMethods(methods: DaprMethods, logger: Logger): readonly ServedMethod[] {
  const service = completeDaprService(methods, logger) as unknown as Record<string, AnyHandler>;
  const served: ServedMethod[] = Dapr.methods.map((method) => ({ method, impl: service[method.localName]! }));
  const alpha = Dapr.method.bulkPublishEventAlpha1;
  if (!Dapr.methods.some((method) => method.name === 'BulkPublishEvent')) {
    served.push({ method: { ...alpha, name: 'BulkPublishEvent', localName: 'bulkPublishEvent' }, impl: service[alpha.localName]! });
  }
  return served;
}

/** Serves these methods on a Connect router. */
export function routeServedMethods(router: ConnectRouter, served: readonly ServedMethod[]): void {
  for (const { method, impl } of served) router.rpc(method, impl as never);
}

/** Serves the Dapr service (see daprServiceMethods) on a Connect router. */
export function routeDaprService(router: ConnectRouter, methods: DaprMethods, logger: Logger): void {
  routeServedMethods(router, daprServiceMethods(methods, logger));
}

/**
 * The whole Dapr service: the methods the blocks give, each with its errors turned into gRPC statuses
 * carrying ErrorInfo, and every other method answering UNIMPLEMENTED with a message naming its block.
 */
export function completeDaprService(methods: DaprMethods, logger: Logger): ServiceImpl<typeof Dapr> {
  const served = methods as Record<string, AnyHandler | undefined>;
  const complete: Record<string, AnyHandler> = {};
  for (const method of Dapr.methods) {
    const impl = served[method.localName];
    complete[method.localName] = impl ? withGrpcErrors(method, impl, logger) : unimplemented(method);
  }
  return complete as unknown as ServiceImpl<typeof Dapr>;
}

function unimplemented(method: DescMethod): AnyHandler {
  const fail = (): never => {
    throw daprError('apiUnimplemented', unimplementedDetail(method.name));
  };
  return withGrpcErrors(method, method.methodKind === 'unary' || method.methodKind === 'client_streaming'
    ? async () => fail()
    // eslint-disable-next-line require-yield -- a stream that fails before its first message
    : async function* () { fail(); }, undefined);
}

function convert(error: unknown, method: DescMethod, logger: Logger | undefined): ConnectError {
  if (!isDaprError(error) && !(error instanceof ConnectError)) {
    logger?.error({ err: error, method: method.name }, `unexpected error in gRPC ${method.name}: ${String(error)}`);
  }
  return toConnectError(error);
}

function withGrpcErrors(method: DescMethod, impl: AnyHandler, logger: Logger | undefined): AnyHandler {
  if (method.methodKind === 'unary' || method.methodKind === 'client_streaming') {
    return async (input, context) => {
      try {
        return await impl(input, context);
      } catch (error) {
        throw convert(error, method, logger);
      }
    };
  }
  return async function* (input, context) {
    try {
      yield* impl(input, context) as AsyncIterable<unknown>;
    } catch (error) {
      throw convert(error, method, logger);
    }
  };
}
