import { hostname } from 'node:os';
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggerOptions {
  /** Dapr's `scope` field, e.g. `dapr.runtime`. */
  scope: string;
  appId?: string;
  level?: LogLevel | LevelWithSilent;
  /** Dapr's `--log-as-json`: one JSON object a line with Dapr's field names. */
  json?: boolean;
  version?: string;
  destination?: NodeJS.WritableStream;
}

/**
 * Creates the process logger. In JSON mode the fields are Dapr's (`time`, `level`, `msg`, `scope`,
 * `app_id`, `instance`, `ver`) so existing log pipelines parse Outrigger's output unchanged.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    scope: options.scope,
    app_id: options.appId ?? '',
    instance: hostname(),
    ver: options.version ?? '',
  };
  const settings = {
    level: options.level ?? 'info',
    base,
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.json) return pino(settings, options.destination ?? process.stdout);
  const stream = pretty({
    sync: true,
    colorize: false,
    destination: options.destination ?? process.stdout,
    messageKey: 'msg',
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,instance,ver,app_id,scope',
    messageFormat: '{scope}: {msg}',
  });
  return pino(settings, stream);
}
