import type { DeliveryResult } from './delivery.js';
import type { BulkEntry } from './delivery.js';

interface Pending {
  readonly entry: BulkEntry;
  readonly settle: (result: DeliveryResult) => void;
}

/**
 * Gathers messages for one app path into batches of at most `maxCount`, sent when full or when the
 * first message has waited `maxWaitMs`; each message's promise settles with its own entry's result.
 */
export class BulkBatcher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxCount: number,
    private readonly maxWaitMs: number,
    private readonly send: (entries: readonly BulkEntry[]) => Promise<Map<string, DeliveryResult>>,
  ) {}

  add(entry: BulkEntry): Promise<DeliveryResult> {
    return new Promise((settle) => {
      this.pending.push({ entry, settle });
      if (this.pending.length >= this.maxCount) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  /** Sends what is gathered now; used when full, on the timer, and on stop. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.send(batch.map((item) => item.entry)).then((results) => {
      for (const item of batch) item.settle(results.get(item.entry.entryId) ?? { outcome: 'retry', detail: 'no result for the entry' });
    }, (error: unknown) => {
      for (const item of batch) item.settle({ outcome: 'retry', detail: String(error) });
    });
  }
}
