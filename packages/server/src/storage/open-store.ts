import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Stores } from './ports.ts';
import type { RateLimits } from '../gateway/rate-limiter.ts';
import { RedisRateLimiter } from './redis/rate-limiter.ts';
import { connectRedis, RedisReplayStore } from './redis/replay-store.ts';
import { SqlAuthEventStore } from './sql/auth-event-store.ts';
import { SqlConsoleSessionStore } from './sql/console-session-store.ts';
import { SqlIssuerStore } from './sql/issuer-store.ts';
import { migrationProvider } from './sql/migrations.ts';
import { SqlAdminCredentialStore, SqlOrganizationStore } from './sql/organization-store.ts';
import { SqlRuleStore } from './sql/rule-store.ts';
import type { Database } from './sql/schema.ts';
import { SqlMembershipStore, SqlServiceAccountStore } from './sql/service-account-store.ts';
import { SqlTokenStore } from './sql/token-store.ts';
import { SqlExchangeLedger } from './sql/exchange-ledger.ts';
import { SqliteWriterThread } from './sql/sqlite-writer-thread.ts';
import { writeMintBatch } from './sql/mint-batch.ts';
import { openSqlite } from './sql/sqlite-connection.ts';
import { SqlConfigGenerationStore } from './sql/config-generation-store.ts';
import { SqlUpstreamCredentialStore } from './sql/upstream-credential-store.ts';
import { SqlWorkspaceStore } from './sql/workspace-store.ts';

/** Opens the database named by `sqlite:<path>` or `postgres://…`; the scheme picks the dialect. */
export function openDatabase(databaseUrl: string): Kysely<Database> {
  const sqlitePath = sqliteFileOf(databaseUrl);
  if (sqlitePath !== null) return openSqlite(sqlitePath);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000, statement_timeout: 10_000 });
  // An idle connection that breaks (database restart, pg_terminate_backend, a proxy's timeout) is
  // reported here, and an unhandled 'error' event would end the process. The pool has already
  // dropped it; the next query opens a new one, and a query that fails fails on its own.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function sqliteFileOf(databaseUrl: string): string | null {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : null;
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The stores for a deployment. With Redis, JTI claims go there (fast, shared, self-expiring);
 * without it the database's primary key does the same job.
 */
export async function openStores(databaseUrl: string, redisUrl: string | null = null): Promise<Stores> {
  const db = openDatabase(databaseUrl);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const redis = redisUrl === null ? null : connectRedis(redisUrl);
  const sqlitePath = sqliteFileOf(databaseUrl);
  // A thread cannot share an in-memory database; PostgreSQL's writes do not block the event loop.
  const writerThread = sqlitePath !== null && sqlitePath !== ':memory:' ? new SqliteWriterThread(sqlitePath) : null;
  // ioredis reports connection errors as events; the replay store turns them into 503s.
  redis?.on('error', () => {});
  const ledger = new SqlExchangeLedger(writerThread?.writeMints ?? ((mints) => writeMintBatch(db, mints)), redis ? new RedisReplayStore(redis) : null);
  const authEvents = new SqlAuthEventStore(db, writerThread?.writeEvents);
  return {
    organizations: new SqlOrganizationStore(db),
    adminCredentials: new SqlAdminCredentialStore(db),
    workspaces: new SqlWorkspaceStore(db),
    serviceAccounts: new SqlServiceAccountStore(db),
    memberships: new SqlMembershipStore(db),
    issuers: new SqlIssuerStore(db),
    rules: new SqlRuleStore(db),
    tokens: new SqlTokenStore(db),
    ledger,
    authEvents,
    upstreamCredentials: new SqlUpstreamCredentialStore(db),
    consoleSessions: new SqlConsoleSessionStore(db),
    configGeneration: new SqlConfigGenerationStore(db),
    ...(redis ? { sharedRateLimiter: (limits: RateLimits) => new RedisRateLimiter(redis, limits) } : {}),
    sweep: async (now) => {
      let removed = 0;
      for (const table of ['access_tokens', 'jti_claims', 'console_sessions'] as const) {
        const res = await db.deleteFrom(table).where('expires_at', '<', now).executeTakeFirst();
        removed += Number(res.numDeletedRows);
      }
      return removed;
    },
    health: async (): Promise<Record<string, 'ok' | 'unreachable'>> => {
      const database = await sql`select 1`.execute(db).then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      );
      if (!redis) return { database };
      const redisState = await redis.ping().then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      );
      return { database, redis: redisState };
    },
    close: async () => {
      // Requests whose client went away are not waited for by the HTTP server's close: their writes may still be queued.
      await Promise.all([ledger.drain(), authEvents.drain()]);
      await writerThread?.close();
      redis?.disconnect();
      await db.destroy();
    },
  };
}
