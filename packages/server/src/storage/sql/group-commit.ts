import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Work<T> = (tx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 256;

/**
 * Group commit for the exchange's hot-path writes. Writes queued while a commit is in flight
 * share the next transaction, so N concurrent exchanges cost one durable commit (one fsync on
 * SQLite) instead of N. Each caller's promise settles only after its transaction committed;
 * if the transaction fails, every write in it fails.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const results = await this.db.transaction().execute(async (tx) => {
          const out: unknown[] = [];
          for (const item of batch) out.push(await item.work(tx));
          return out;
        });
        batch.forEach((item, i) => item.resolve(results[i]));
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
    this.flushing = false;
  }
}
