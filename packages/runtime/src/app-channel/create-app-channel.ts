import type { Logger } from '@outrigger/kit';
import type { AppCallPipeline } from '../middleware/app-exchange.js';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { AppChannel } from './app-channel.js';
import { GrpcAppChannel } from './grpc/grpc-app-channel.js';
import { HttpAppChannel } from './http-app-channel.js';

/**
 * The app channel for `--app-protocol`; undefined when the sidecar has no app (no `--app-port`).
 * @param appPipeline the Configuration's `appHttpPipeline`; as in daprd, only HTTP apps have one
 */
export function createAppChannel(options: SidecarOptions, logger: Logger, appPipeline?: AppCallPipeline): AppChannel | undefined {
  if (options.appPort === undefined) return undefined;
  if (appPipeline && options.appProtocol === 'grpc') logger.warn('appHttpPipeline is ignored: the app speaks gRPC (--app-protocol grpc)');
  const settings = {
    address: options.appChannelAddress, port: options.appPort, maxConcurrency: options.appMaxConcurrency,
    appApiToken: options.appApiToken, maxBodyBytes: options.maxBodyBytes, logger,
  };
  return options.appProtocol === 'grpc' ? new GrpcAppChannel(settings) : new HttpAppChannel({ ...settings, pipeline: appPipeline });
}
