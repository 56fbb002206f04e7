import type SQLite from 'better-sqlite3';
import type { AuthEvent } from '../../domain/types.ts';
import type { MintRecord } from '../ports.ts';
import { eventToRow } from './auth-event-store.ts';
import { tokenToRow } from './mint-batch.ts';
import type { Database } from './schema.ts';

export type BatchWrite = { mints: MintRecord[] } | { events: AuthEvent[] };

/**
 * The writer thread's transactions (`sqlite-writer.worker.ts`): the writes of `mint-batch.ts`
 * and `insertEvents`, with statements prepared once and run a row at a time. On a thread of its
 * own no statement waits on a round trip, and Kysely's work per transaction (its connection
 * queue, compiling three multi-row statements for each batch's size) was most of the thread's
 * CPU: a one-mint commit 290 → 150 µs (BENCHMARKS.md). PostgreSQL, where each statement is a
 * round trip, keeps the multi-row statements.
 */
export class SqliteBatchWriter {
  private readonly claimJti: SQLite.Statement;
  /** Prepared from the first row's columns: each table's rows come from one function, shared with the Kysely path. */
  private readonly inserts = new Map<keyof Database, SQLite.Statement>();
  private readonly transaction: SQLite.Transaction<(writes: BatchWrite[]) => boolean[][]>;

  constructor(private readonly file: SQLite.Database) {
    // A claim whose assertion has expired no longer blocks the jti (the sweeper may not have run
    // yet); an earlier mint of the same jti in this transaction does, as would another instance's.
    this.claimJti = file.prepare(
      `insert into jti_claims (issuer_id, jti, expires_at) values (@issuerId, @jti, @expiresAt)
       on conflict (issuer_id, jti) do update set expires_at = excluded.expires_at where jti_claims.expires_at < @now
       returning 1`,
    );
    this.transaction = file.transaction((writes: BatchWrite[]) =>
      writes.map((write) => {
        if ('mints' in write) return write.mints.map((mint) => this.recordMint(mint));
        for (const event of write.events) this.insert('auth_events', eventToRow(event));
        return [];
      }),
    );
  }

  /**
   * All writes in one `begin immediate` transaction (one fsync), or none if any statement fails.
   * Per write, per mint, whether it was recorded (false: its jti was taken, nothing of it written).
   */
  write(writes: BatchWrite[]): boolean[][] {
    return this.transaction.immediate(writes);
  }

  private recordMint(mint: MintRecord): boolean {
    // The exchange's clock, not the wall clock.
    if (mint.replay && this.claimJti.get({ ...mint.replay, now: mint.grant.created_at }) === undefined) return false;
    this.insert('access_tokens', tokenToRow(mint));
    this.insert('auth_events', eventToRow(mint.event));
    return true;
  }

  private insert(table: keyof Database, row: Record<string, unknown>): void {
    let statement = this.inserts.get(table);
    if (!statement) {
      const columns = Object.keys(row);
      statement = this.file.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`);
      this.inserts.set(table, statement);
    }
    statement.run(row);
  }
}
