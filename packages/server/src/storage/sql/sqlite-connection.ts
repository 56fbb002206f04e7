import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
import type { Database } from './schema.ts';

/** The server's connection to a SQLite file (or `:memory:`), for Kysely. */
export function openSqlite(path: string): Kysely<Database> {
  return new Kysely<Database>({ dialect: new ImmediateTransactionsDialect({ database: cachePreparedStatements(openSqliteFile(path)) }) });
}

/**
 * One connection to a SQLite file (or `:memory:`), set up as every OpenWIF connection is: the
 * server's own (`openSqlite`) and the writer thread's (`sqlite-writer.worker.ts`).
 */
export function openSqliteFile(path: string): SQLite.Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const file = new SQLite(path);
  file.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the response that reports it is sent.
  file.pragma('synchronous = FULL');
  file.pragma('busy_timeout = 5000');
  file.pragma('foreign_keys = ON');
  // Checkpoints are the checkpointer thread's job (sqlite-checkpointer.worker.ts); SQLite's own,
  // inside a commit, only if the log still grows to ~40 MB (the default is ~4 MB).
  file.pragma('wal_autocheckpoint = 10000');
  return file;
}

/**
 * Two connections write to the file (the server's and the writer thread's). A deferred `begin`
 * that reads and then writes fails at once with SQLITE_BUSY if the other connection committed in
 * between, without waiting; `begin immediate` takes the write lock first, so it waits (busy_timeout).
 */
class ImmediateTransactionsDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

const MAX_CACHED_STATEMENTS = 500;

/**
 * Kysely's SQLite driver prepares every query anew; compiling the same SQL text again was 6 % of
 * an exchange's CPU. Statements are reusable (we never iterate), so keep the compiled ones, bounded.
 */
function cachePreparedStatements(file: SQLite.Database): SQLite.Database {
  const prepare = file.prepare.bind(file);
  const cache = new Map<string, SQLite.Statement>();
  file.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof file.prepare;
  return file;
}
