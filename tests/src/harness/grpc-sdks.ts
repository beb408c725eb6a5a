// The two kinds of gRPC client the JS SDK has shipped: @dapr/dapr 3.18 (Connect's gRPC transport,
// `application/grpc+proto`) and 3.6.1 (grpc-js, `application/grpc`), installed as `dapr-sdk-361`.
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import * as legacy from 'dapr-sdk-361';
import { statusOfConnectError, statusOfGrpcJsError, type RichStatus } from './grpc.js';

export interface GrpcSdk {
  readonly name: string;
  /** A started client of the sidecar's gRPC port (the SDK waits for GetMetadata itself). */
  client(port: number, apiToken?: string): Promise<DaprClient>;
  /** The gRPC status and ErrorInfo of an error this SDK threw for a failed call. */
  statusOf(error: unknown): RichStatus;
}

export const grpcSdks: readonly GrpcSdk[] = [
  {
    name: '@dapr/dapr 3.18 (ConnectRPC)',
    async client(port, apiToken) {
      const client = new DaprClient({
        daprHost: '127.0.0.1', daprPort: String(port), communicationProtocol: CommunicationProtocolEnum.GRPC,
        logger: { level: LogLevel.Error }, ...(apiToken === undefined ? {} : { daprApiToken: apiToken }),
      });
      await client.start();
      return client;
    },
    // The 3.18 client throws Connect's errors as they come; publish wraps them in `{error}`.
    statusOf: (error) => statusOfConnectError((error as { error?: unknown })?.error ?? error),
  },
  {
    name: '@dapr/dapr 3.6.1 (grpc-js)',
    async client(port, apiToken) {
      const client = new legacy.DaprClient({
        daprHost: '127.0.0.1', daprPort: String(port), communicationProtocol: legacy.CommunicationProtocolEnum.GRPC,
        logger: { level: legacy.LogLevel.Error }, ...(apiToken === undefined ? {} : { daprApiToken: apiToken }),
      });
      await client.start();
      // Same API surface for everything these tests use.
      return client as unknown as DaprClient;
    },
    statusOf: (error) => statusOfGrpcJsError((error as { error?: unknown })?.error ?? error),
  },
];
