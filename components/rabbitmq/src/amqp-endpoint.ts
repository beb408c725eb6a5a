import { credentials, connect, type ChannelModel, type SocketOptions } from 'amqplib';
import { MetadataError, type MetadataReader } from '@outrigger/components-api';
import { errorMessage } from '@outrigger/kit';

/** PEM material for `amqps`, as Dapr's `caCert`, `clientCert` and `clientKey` metadata carry it. */
export interface TlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/** Where and how to connect, shared by the pub/sub and the binding. */
export interface AmqpEndpoint {
  readonly url: string;
  readonly clientName?: string | undefined;
  /** 0 leaves the heartbeat to the server. */
  readonly heartbeatSeconds: number;
  readonly tls: TlsFiles;
  readonly saslExternal: boolean;
}

/** How long opening a connection may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The AMQP URI from `connectionString` (or `host`), else built from `protocol`, `hostname`,
 * `username` and `password`, as Dapr's connectionURI does.
 * @throws MetadataError when the URI is malformed or its scheme disagrees with `protocol`.
 */
export function connectionUrl(read: MetadataReader): string {
  const given = read.has('connectionString') ? read.string('connectionString') : undefined;
  const protocol = read.string('protocol');
  if (given !== undefined) {
    let scheme: string;
    try {
      scheme = new URL(given).protocol.replace(/:$/, '');
    } catch {
      throw new MetadataError('connectionString', 'invalid connection string: not a URI');
    }
    if (scheme !== 'amqp' && scheme !== 'amqps') throw new MetadataError('connectionString', `invalid connection string: scheme must be amqp or amqps, not ${scheme}`);
    if (protocol !== undefined && protocol !== scheme) {
      throw new MetadataError('protocol', `protocol does not match connection string, protocol: ${protocol}, connection string scheme: ${scheme}`);
    }
    return given;
  }
  const url = new URL(`${protocol ?? 'amqp'}://${read.string('hostname') ?? 'localhost'}`);
  const username = read.string('username');
  const password = read.string('password');
  if (username !== undefined) url.username = encodeURIComponent(username);
  if (username !== undefined && password !== undefined) url.password = encodeURIComponent(password);
  return url.toString().replace(/\/$/, '');
}

/**
 * Reads `caCert`, `clientCert` and `clientKey`.
 * @param saslField the name of the SASL EXTERNAL switch in this component's metadata, when it is on.
 * @throws MetadataError when a value is not PEM, or SASL EXTERNAL is asked for without all three.
 */
export function readTlsFiles(read: MetadataReader, saslField?: string): TlsFiles {
  const files = { ca: read.string('caCert'), cert: read.string('clientCert'), key: read.string('clientKey') };
  for (const [field, value] of [['caCert', files.ca], ['clientCert', files.cert], ['clientKey', files.key]] as const) {
    if (value !== undefined && !value.includes('-----BEGIN')) throw new MetadataError(field, 'is not PEM (expected a -----BEGIN ...----- block)');
  }
  if (saslField !== undefined && (!files.ca || !files.cert || !files.key)) {
    throw new MetadataError(saslField, 'can only be set to true, when all these properties are set: caCert, clientCert, clientKey');
  }
  return files;
}

/** The URI without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

/**
 * Opens one AMQP connection.
 * @throws Error naming the (password-less) address and the cause.
 */
export async function dial(endpoint: AmqpEndpoint): Promise<ChannelModel> {
  const url = new URL(endpoint.url);
  if (endpoint.heartbeatSeconds > 0 && !url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(endpoint.heartbeatSeconds));
  const socketOptions: SocketOptions = {
    timeout: CONNECT_TIMEOUT_MS,
    // amqplib leaves Nagle's algorithm on. Publishes, confirms and acks are small frames both ways on
    // one socket, so a frame can wait for the peer's delayed ACK (40 ms on Linux), which capped a
    // sidecar with a subscription at about 16 publishes per 40 ms. Go's client, daprd's, sends at once.
    noDelay: true,
    clientProperties: endpoint.clientName ? { connection_name: endpoint.clientName } : {},
  };
  if (endpoint.tls.ca) socketOptions.ca = [endpoint.tls.ca];
  if (endpoint.tls.cert) socketOptions.cert = endpoint.tls.cert;
  if (endpoint.tls.key) socketOptions.key = endpoint.tls.key;
  if (endpoint.saslExternal) socketOptions.credentials = credentials.external();
  try {
    return await connect(url.toString(), socketOptions);
  } catch (error) {
    throw new Error(`cannot connect to RabbitMQ at ${redactedUrl(endpoint.url)}: ${errorMessage(error) || 'connection refused'}`, { cause: error });
  }
}
