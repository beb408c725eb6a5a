import type { FramedAnswer, FramedCall, FramedRequest } from './framed-call.js';
import { FramedConnection } from './framed-connection.js';

export { framedCallChannel, FramedConnectionError, FramedUnsupportedError, type FramedAnswer, type FramedCall, type FramedCallMessage, type FramedRequest } from './framed-call.js';

/**
 * Calls other sidecars over the framed protocol: one connection per sidecar address, every call to it
 * multiplexed there. An address whose sidecar answers the preface as HTTP is remembered, and
 * {@link supports} says false for it from then on (the caller uses HTTP/1.1 instead).
 */
export class FramedClient {
  private readonly connections = new Map<string, FramedConnection>();
  private readonly httpOnly = new Set<string>();

  supports(address: string): boolean {
    return !this.httpOnly.has(address);
  }

  /**
   * @param address `host:port` of the other sidecar's internal port
   * @throws FramedUnsupportedError (call not made), FramedConnectionError, or `signal`'s reason
   */
  request(address: string, request: FramedRequest, signal?: AbortSignal): Promise<FramedAnswer> {
    return this.connectionTo(address).call(request, signal).answer;
  }

  /**
   * {@link request} that also returns the handle that cancels the call. Callers that can do without a
   * signal should: an AbortSignal and its listener cost more than the rest of a call's bookkeeping (bench/).
   * @param signal cancels the call when it aborts before the call ends
   */
  start(address: string, request: FramedRequest, signal?: AbortSignal): FramedCall {
    return this.connectionTo(address).call(request, signal);
  }

  private connectionTo(address: string): FramedConnection {
    let connection = this.connections.get(address);
    if (!connection || !connection.usable) {
      const made = new FramedConnection(address, () => this.httpOnly.add(address), () => {
        if (this.connections.get(address) === made) this.connections.delete(address);
      });
      this.connections.set(address, made);
      connection = made;
    }
    return connection;
  }

  /** Ends every connection once its calls are answered. */
  close(): void {
    for (const connection of this.connections.values()) connection.endWhenIdle();
    this.connections.clear();
  }
}
