import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

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

/**
 * The real server on 127.0.0.1:0 with a fresh SQLite file, loopback outbound allowed (test
 * issuers listen there). `close()` stops it and deletes the file.
 */
export async function startTestServer(overrides: Partial<Settings> = {}, options: { dataDir?: string; now?: () => Date } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'openwif-test-'));
  const settings = loadSettings(
    {},
    {
      host: '127.0.0.1',
      port: 0,
      databaseUrl: `sqlite:${join(dataDir, 'openwif.db')}`,
      adminToken: TEST_ADMIN_TOKEN,
      logLevel: 'silent',
      outboundAllow: ['127.0.0.1', 'localhost', '::1'],
      ...overrides,
    },
  );
  const server = await startServer(settings, options.now);
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
