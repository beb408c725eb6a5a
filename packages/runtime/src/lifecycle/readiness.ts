/** The start phases, in order; each one is reached only after the one before it. */
export type Phase = 'starting' | 'components-ready' | 'outbound-ready' | 'app-ready' | 'ready' | 'draining' | 'stopped';

const order: readonly Phase[] = ['starting', 'components-ready', 'outbound-ready', 'app-ready', 'ready', 'draining', 'stopped'];

/** Tracks the sidecar's phase; healthz answers from it. */
export class Readiness {
  private current: Phase = 'starting';
  private readonly listeners: ((phase: Phase) => void)[] = [];

  get phase(): Phase {
    return this.current;
  }

  /** Moves forward only; a later phase is never undone by an earlier one. */
  advance(phase: Phase): void {
    if (order.indexOf(phase) <= order.indexOf(this.current)) return;
    this.current = phase;
    for (const listener of this.listeners) listener(phase);
  }

  onChange(listener: (phase: Phase) => void): void {
    this.listeners.push(listener);
  }

  /** `/v1.0/healthz/outbound`: components are initialised and the outbound API works. */
  get outboundReady(): boolean {
    const index = order.indexOf(this.current);
    return index >= order.indexOf('outbound-ready') && index < order.indexOf('stopped');
  }

  /** `/v1.0/healthz`: everything is up, the app included. */
  get ready(): boolean {
    return this.current === 'ready';
  }
}
