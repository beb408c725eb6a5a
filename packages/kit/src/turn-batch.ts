/**
 * Items gathered during one turn of the event loop and handed to `commit` together once the turn's I/O
 * has been handled (setImmediate), or earlier through {@link flush}. `pubsub.sqlite` commits a turn's
 * publishes in one transaction instead of one per item; `pubsub.redis` acknowledges a turn's messages in
 * one XACK.
 */
export class TurnBatch<T> {
  private items: T[] = [];

  constructor(private readonly commit: (items: readonly T[]) => void) {}

  add(item: T): void {
    if (this.items.push(item) === 1) setImmediate(() => this.flush());
  }

  /** Commits what has been gathered, now; nothing when nothing has (the scheduled turn then finds nothing). */
  flush(): void {
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.commit(items);
  }
}
