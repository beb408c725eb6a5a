import type { Logger } from '@outrigger/kit';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { AppChannel } from './app-channel.js';
import { GrpcAppChannel } from './grpc/grpc-app-channel.js';
import { HttpAppChannel } from './http-app-channel.js';

/** The app channel for `--app-protocol`; undefined when the sidecar has no app (no `--app-port`). */
export function createAppChannel(options: SidecarOptions, logger: Logger): AppChannel | undefined {
  if (options.appPort === undefined) return undefined;
  const settings = {
    address: options.appChannelAddress, port: options.appPort, maxConcurrency: options.appMaxConcurrency,
    appApiToken: options.appApiToken, maxBodyBytes: options.maxBodyBytes, logger,
  };
  return options.appProtocol === 'grpc' ? new GrpcAppChannel(settings) : new HttpAppChannel(settings);
}
