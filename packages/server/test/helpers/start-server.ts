import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.ts';

export const TEST_ADMIN_TOKEN = 'owif-admin-test-0123456789abcdefghijklmnopqrstuv';

export interface TestServer extends RunningServer {
  adminToken: string;
  organizationId: string;
  dataDir: string;
  /** Authorization header for the bootstrap admin. */
  adminHeaders: Record<string, string>;
  settings: Settings;
  /** Stops the server but keeps the database file (for restart tests). */
  stop(): Promise<void>;
}

/** `TEST_STORE=postgres` runs every store-backed suite on PostgreSQL + Redis instead of SQLite. */
export const TEST_BACKEND = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Runs one statement on the PostgreSQL maintenance database (create/drop test databases). */
export async function pgAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** One database per data directory, so a restart test reopens the same one. */
async function backendFor(dataDir: string, reuse: boolean): Promise<{ databaseUrl: string; redisUrl: string | null; drop(): Promise<void> }> {
  if (TEST_BACKEND === 'sqlite') return { databaseUrl: `sqlite:${join(dataDir, 'openwif.db')}`, redisUrl: null, drop: async () => {} };
  const name = `openwif_test_${basename(dataDir)
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()}`;
  if (!reuse) await pgAdmin(`CREATE DATABASE ${name}`);
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:5432/${name}`,
    redisUrl: TEST_REDIS_URL,
    drop: () => pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * The real server on 127.0.0.1:0 with a fresh database (a SQLite file, or a PostgreSQL database
 * with Redis under TEST_STORE=postgres), loopback outbound allowed (test issuers listen there).
 * `close()` stops it and deletes the database.
 */
export async function startTestServer(overrides: Partial<Settings> = {}, options: ServerOptions & { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'openwif-test-'));
  const backend = await backendFor(dataDir, options.dataDir !== undefined);
  const settings = loadSettings(
    {},
    {
      host: '127.0.0.1',
      port: 0,
      databaseUrl: backend.databaseUrl,
      redisUrl: backend.redisUrl,
      adminToken: TEST_ADMIN_TOKEN,
      logLevel: 'silent',
      outboundAllow: ['127.0.0.1', 'localhost', '::1'],
      ...overrides,
    },
  );
  const server = await startServer(settings, options);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    ...server,
    settings,
    dataDir,
    adminToken: settings.adminToken ?? TEST_ADMIN_TOKEN,
    organizationId: server.bootstrap.organization.id,
    adminHeaders: { authorization: `Bearer ${settings.adminToken ?? TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    stop,
    async close() {
      await stop();
      await backend.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON request helper: returns status, parsed body and headers. */
export async function call(
  server: { url: string },
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}
