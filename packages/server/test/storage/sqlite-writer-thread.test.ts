import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { StoreUnavailableError, type MintRecord } from '../../src/storage/ports.ts';
import { SqliteWriterThread } from '../../src/storage/sql/sqlite-writer-thread.ts';
import { openSqlite } from '../../src/storage/sql/sqlite-connection.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { awaitCheckpointed } from '../helpers/sqlite-file.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey, TestIssuer } from '../helpers/test-issuer.ts';

interface ServerOnFile {
  issuer: TestIssuer;
  server: TestServer;
  fed: Federation;
  file: string;
  /** Closes the server (if not stopped already) and the issuer, and deletes the file. */
  cleanup(): Promise<void>;
}

/** A test server on a SQLite file of its own, with a seeded federation. */
async function serverOnSqliteFile(prefix: string): Promise<ServerOnFile> {
  const issuer = await TestIssuer.start(['ES256']);
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const file = join(directory, 'openwif.db');
  const server = await startTestServer({ databaseUrl: `sqlite:${file}`, redisUrl: null });
  const fed = await seedFederation(server, { issuerUrl: issuer.url });
  return {
    issuer,
    server,
    fed,
    file,
    cleanup: async () => {
      await server.close();
      await issuer.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

// SQLite only, under either TEST_STORE: the writer and checkpointer threads exist for SQLite files.
describe('SQLite: mints and denials are written on the writer thread', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let cleanup: () => Promise<void>;
  const assertion = () => issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: randomUUID() });

  before(async () => {
    ({ server, issuer, fed, cleanup } = await serverOnSqliteFile('openwif-writer-'));
  });
  after(() => cleanup());

  test('a commit waiting on the disk does not stop the server answering others', { timeout: 30_000 }, async () => {
    // Another process holding SQLite's write lock stands in for a slow disk: the writer waits
    // (busy_timeout, 5 s) on its own thread, not on the event loop.
    const other = new SQLite(server.settings.databaseUrl.slice('sqlite:'.length));
    other.prepare('begin immediate').run();
    let settled = false;
    const minting = exchange(server, fed, await assertion()).finally(() => (settled = true));
    // A denial's event is written by the thread too.
    const forged = await issuer.sign(
      { sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: randomUUID() },
      { key: await newSigningKey('ES256', issuer.key('ES256').kid) },
    );
    const denying = exchange(server, fed, forged).finally(() => (settled = true));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const health = await call(server, 'GET', '/healthz');
      assert.equal(health.status, 200);
      const me = await call(server, 'GET', '/v1/organizations/me', { headers: server.adminHeaders });
      assert.equal(me.status, 200);
      assert.equal(settled, false, 'both exchanges wait for their commits');
    } finally {
      other.prepare('rollback').run();
      other.close();
    }
    const minted = await minting;
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.equal((await denying).status, 401);
    const denials = await server.stores.authEvents.list(server.organizationId, {
      limit: 10,
      cursor: null,
      ruleId: fed.rule.id,
      outcome: 'denied',
      reason: null,
    });
    assert.deepEqual(
      denials.items.map((e) => e.reason),
      ['signature_invalid'],
    );
    // Written by the thread's connection, read by the server's own.
    const me = await call(server, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${minted.body.access_token}` } });
    assert.equal(me.status, 200);
  });

  test('replays are refused across batches, and Admin API writes racing exchanges all succeed', { timeout: 60_000 }, async () => {
    const assertions = await Promise.all(Array.from({ length: 150 }, assertion));
    const [exchanges, creations] = await Promise.all([
      Promise.all(assertions.map((a) => exchange(server, fed, a))),
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(server, 'POST', '/v1/organizations/service_accounts', { headers: server.adminHeaders, body: { name: `writer-race-${i}` } }),
        ),
      ),
    ]);
    assert.deepEqual(
      exchanges.map((r) => r.status),
      assertions.map(() => 200),
    );
    assert.deepEqual(
      creations.map((r) => r.status),
      creations.map(() => 200),
    );
    const replays = await Promise.all(assertions.slice(0, 20).map((a) => exchange(server, fed, a)));
    assert.deepEqual(
      replays.map((r) => r.status),
      replays.map(() => 401),
    );
  });
});

/** A mint as the exchange would record it, for the ledger directly; `tag` makes its jti, token and event unique. */
function mintRecord(server: TestServer, fed: Federation, tag: string): MintRecord {
  const createdAt = new Date().toISOString();
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  return {
    replay: { issuerId: fed.issuer.id, jti: tag, expiresAt },
    tokenHash: `hash-${tag}`,
    grant: {
      organization_id: server.organizationId,
      workspace_id: fed.defaultWorkspaceId,
      service_account_id: fed.serviceAccount.id,
      scopes: ['workspace:inference'],
      rule_id: fed.rule.id,
      issuer_id: fed.issuer.id,
      subject: 'workload-1',
      created_at: createdAt,
      expires_at: expiresAt,
    },
    event: {
      id: `event-${tag}`,
      organization_id: server.organizationId,
      created_at: createdAt,
      request_id: `req-${tag}`,
      outcome: 'success',
      reason: null,
      detail: null,
      federation_rule_id: fed.rule.id,
      issuer_id: fed.issuer.id,
      subject: 'workload-1',
      jti: tag,
      requested_service_account_id: null,
      service_account_id: fed.serviceAccount.id,
      workspace_id: fed.defaultWorkspaceId,
      claims: null,
      ip_address: null,
      user_agent: null,
    },
  };
}

describe('SQLite: closing the stores while mints are queued', () => {
  test('every mint submitted before close is written and reported so; one after close is a 503-class error', { timeout: 30_000 }, async () => {
    const { server, fed, file, cleanup } = await serverOnSqliteFile('openwif-writer-close-');
    try {
      const mint = (i: number) => mintRecord(server, fed, `close-${i}`);
      // A first batch goes to the thread; the second waits in the group commit behind it (the
      // writes of requests whose client went away, which the HTTP server's close does not wait for).
      const first = Array.from({ length: 10 }, (_, i) => server.stores.ledger.recordMint(mint(i)));
      await new Promise((resolve) => setImmediate(resolve));
      const second = Array.from({ length: 10 }, (_, i) => server.stores.ledger.recordMint(mint(10 + i)));
      await server.stop();
      const outcomes = await Promise.allSettled([...first, ...second]);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason))),
        outcomes.map(() => true),
      );
      await assert.rejects(server.stores.ledger.recordMint(mint(20)), StoreUnavailableError);
      const reopened = new SQLite(file, { readonly: true });
      try {
        const count = (table: string) => (reopened.prepare(`select count(*) as n from ${table} where token_hash like 'hash-close-%'`).get() as { n: number }).n;
        assert.equal(count('access_tokens'), 20, 'what was reported written is on disk, and nothing after close');
      } finally {
        reopened.close();
      }
    } finally {
      await cleanup();
    }
  });
});

describe('SQLite: the checkpointer thread', () => {
  test('committed mints reach the database file itself while the writer keeps running, without a commit checkpointing', { timeout: 30_000 }, async () => {
    const { server, fed, file, cleanup } = await serverOnSqliteFile('openwif-checkpoint-');
    try {
      const written = await server.stores.ledger.recordMint(mintRecord(server, fed, 'checkpoint-0'));
      assert.equal(written, true);
      // Far below the connections' own threshold (10 000 pages): only the checkpointer moves
      // this row from the write-ahead log into the file.
      const found = await awaitCheckpointed(file, "select count(*) as n from access_tokens where token_hash = 'hash-checkpoint-0'", 1);
      assert.equal(found, 1, 'the mint was checkpointed into the database file');
    } finally {
      await cleanup();
    }
  });
});

describe('SqliteWriterThread', () => {
  test('a database it cannot open fails each write with the reason, and the thread stays usable', { timeout: 30_000 }, async () => {
    // Its directory would have to be inside a regular file.
    const writer = new SqliteWriterThread(join(fileURLToPath(import.meta.url), 'ledger.db'));
    await assert.rejects(writer.writeMints([]), /EEXIST: file already exists, mkdir/);
    await assert.rejects(writer.writeMints([]), /EEXIST: file already exists, mkdir/);
    await writer.close();
  });
});

describe('openSqlite: two connections writing one file', () => {
  test("a transaction that reads, then writes, is not broken by the other connection's commit in between", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'openwif-two-writers-'));
    const file = join(directory, 'openwif.db');
    const server = openSqlite(file);
    const writer = openSqlite(file);
    try {
      await sql`create table scratch (x integer)`.execute(server);
      await sql`pragma busy_timeout = 50`.execute(writer);
      let otherCommit = 'not tried';
      await server.transaction().execute(async (tx) => {
        await sql`select count(*) from scratch`.execute(tx);
        // With a deferred begin this commit lands, and the write below fails with SQLITE_BUSY
        // at once; with begin immediate the transaction holds the write lock, and this waits.
        otherCommit = await sql`insert into scratch values (1)`.execute(writer).then(
          () => 'committed',
          (err: { code?: string }) => err.code ?? 'failed',
        );
        await sql`insert into scratch values (2)`.execute(tx);
      });
      assert.equal(otherCommit, 'SQLITE_BUSY');
      const rows = await sql<{ x: number }>`select x from scratch`.execute(server);
      assert.deepEqual(
        rows.rows.map((r) => r.x),
        [2],
      );
    } finally {
      await server.destroy();
      await writer.destroy();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
