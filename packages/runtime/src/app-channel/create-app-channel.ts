import type { Logger } from '@outrigger/kit';
import type { AppCallPipeline } from '../middleware/app-exchange.js';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { AppChannel } from './app-channel.js';
import { HttpAppChannel } from './http-app-channel.js';

/**
 * The app channel for `--app-protocol`; undefined when the sidecar has no app (no `--app-port`).
 * The gRPC channel is imported only for gRPC apps: it loads Connect and Dapr's descriptors.
 * @param appPipeline the Configuration's `appHttpPipeline`; as in daprd, only HTTP apps have one
 */
export async function createAppChannel(options: SidecarOptions, logger: Logger, appPipeline?: AppCallPipeline): Promise<AppChannel | undefined> {
  if (options.appPort === undefined) return undefined;
  if (appPipeline && options.appProtocol === 'grpc') logger.warn('appHttpPipeline is ignored: the app speaks gRPC (--app-protocol grpc)');
  const settings = {
    address: options.appChannelAddress, port: options.appPort, maxConcurrency: options.appMaxConcurrency,
    appApiToken: options.appApiToken, maxBodyBytes: options.maxBodyBytes, logger,
  };
  if (options.appProtocol !== 'grpc') return new HttpAppChannel({ ...settings, pipeline: appPipeline });
  const { GrpcAppChannel } = await import('./grpc/grpc-app-channel.js');
  return new GrpcAppChannel(settings);
}
