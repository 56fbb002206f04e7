interface Pending<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 256;

/**
 * Group commit for the exchange's hot-path writes. Items submitted while a batch is being
 * written go into the next one, so N concurrent exchanges cost one durable commit (one fsync on
 * SQLite, one round trip set on PostgreSQL) instead of N. A submitter's promise settles only
 * after its batch committed; if the batch fails, every item in it fails.
 */
export class GroupCommit<I, O> {
  private queue: Array<Pending<I, O>> = [];
  /** Set while batches are being written; settles when the queue is empty again. */
  private flushing: Promise<void> | null = null;

  /** `writeBatch` writes all items in one transaction and returns one result per item, in order. */
  constructor(private readonly writeBatch: (items: I[]) => Promise<O[]>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves once everything submitted so far has been written (or has failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    // Let the exchanges of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const results = await this.writeBatch(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i] as O));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = null;
  }
}
