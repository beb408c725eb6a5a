import { delay, type Logger } from '@outrigger/kit';
import pg from 'pg';
import { reason } from '../pool.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/**
 * One dedicated connection that LISTENs on a channel and hands every notification payload to
 * `onPayload`. LISTEN lives on a session, so a pooled connection will not do; and a lost session
 * loses the LISTEN: when the connection drops (server restart, network), the listener reconnects
 * with growing back-off (0.1 s up to 5 s) and LISTENs again until stopped. Notifications sent while
 * it is disconnected are lost; PostgreSQL does not keep them.
 */
export class ChannelListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnecting: Promise<void> | undefined;
  /** Cuts a back-off wait short when the listener stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: pg.ClientConfig,
    readonly channel: string,
    private readonly logger: Logger,
    private readonly onPayload: (payload: string) => void,
  ) {}

  /** Connects and LISTENs. @throws when the first connection or the LISTEN fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Stops listening and reconnecting; safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.reconnecting;
  }

  /** True while the LISTEN session is up; for tests and diagnostics. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      this.logger.warn(`configuration: LISTEN connection for channel ${this.channel} lost${error ? `: ${reason(error)}` : ''}; reconnecting`);
      this.reconnecting ??= this.reconnect().finally(() => {
        this.reconnecting = undefined;
      });
    };
    // Without an error listener a dropped connection would crash the process.
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onPayload(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    let wait = FIRST_RETRY_MS;
    while (!this.stopped) {
      await delay(wait, this.stopping.signal).catch(() => undefined);
      if (this.stopped) return;
      try {
        await this.connect();
        this.logger.info(`configuration: LISTEN on channel ${this.channel} re-established`);
        return;
      } catch (error) {
        this.logger.debug(`configuration: reconnecting to LISTEN on ${this.channel} failed: ${reason(error)}`);
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    }
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
