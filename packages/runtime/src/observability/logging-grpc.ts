// The gRPC API log; apart from logging-api.ts because it needs Connect, which loads with the gRPC API's
// handler on the first gRPC call (metrics-api-observers.ts imports this module then).
import { ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Logger } from '@outrigger/kit';
import type { ApiLoggingSettings } from './logging-config.js';

/** The gRPC API log as daprd writes it: full method name, user agent, numeric status code and duration; never metadata. */
export function grpcApiLog(settings: ApiLoggingSettings, logger: Logger): Interceptor | undefined {
  if (!settings.enabled) return undefined;
  return (next) => async (request) => {
    const started = performance.now();
    const write = (code: number) => {
      const userAgent = request.header.get('user-agent');
      logger.info({ method: new URL(request.url).pathname, ...(userAgent ? { useragent: userAgent } : {}), duration: Math.round(performance.now() - started), code }, 'gRPC API Called');
    };
    try {
      const response = await next(request);
      write(0);
      return response;
    } catch (error) {
      write(ConnectError.from(error).code);
      throw error;
    }
  };
}
