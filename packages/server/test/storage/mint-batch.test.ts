import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { AuthEvent } from '../../src/domain/types.ts';
import { migrate } from '../../src/storage/open-store.ts';
import type { MintRecord } from '../../src/storage/ports.ts';
import { writeMintBatch } from '../../src/storage/sql/mint-batch.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { openSqlite } from '../../src/storage/sql/sqlite-connection.ts';
import { SqliteWriterThread } from '../../src/storage/sql/sqlite-writer-thread.ts';

const NOW = '2026-12-05T01:00:00.000Z';
const LATER = '2026-12-05T01:10:00.000Z';
const ISSUER = 'fdis_01batchissuer';

function event(tag: string, outcome: AuthEvent['outcome'] = 'success'): AuthEvent {
  return {
    id: `fdev_${tag}`,
    organization_id: 'org',
    created_at: NOW,
    request_id: `req_${tag}`,
    outcome,
    reason: outcome === 'denied' ? 'invalid_signature' : null,
    detail: null,
    federation_rule_id: 'fdrl_01rule',
    issuer_id: ISSUER,
    subject: 'workload-1',
    jti: tag,
    requested_service_account_id: null,
    service_account_id: outcome === 'success' ? 'svac_01sa' : null,
    workspace_id: outcome === 'success' ? 'wrkspc_01ws' : null,
    claims: { sub: 'workload-1', n: 1, nested: { ok: true } },
    ip_address: '127.0.0.1',
    user_agent: 'batch-test',
  };
}

function mint(tag: string, jti: string | null): MintRecord {
  return {
    replay: jti === null ? null : { issuerId: ISSUER, jti, expiresAt: LATER },
    tokenHash: `hash-${tag}`,
    grant: {
      organization_id: 'org',
      workspace_id: 'wrkspc_01ws',
      service_account_id: 'svac_01sa',
      scopes: ['workspace:inference', 'workspace:developer'],
      rule_id: 'fdrl_01rule',
      issuer_id: ISSUER,
      subject: 'workload-1',
      created_at: NOW,
      expires_at: LATER,
    },
    event: event(tag),
  };
}

/** One batch covering every case of the jti claim, and what must be recorded of it. */
const BATCH = [
  mint('first', 'shared'), // claims a free jti
  mint('copy', 'shared'), // the same jti later in the same batch: taken
  mint('no-jti', null), // issuer does not check jti
  mint('expired-claim', 'old'), // claimed before, by an assertion that has expired: free again
  mint('live-claim', 'live'), // claimed before, still live: taken
];
const RECORDED = [true, false, true, true, false];

interface Written {
  tokens: unknown[];
  events: unknown[];
  claims: unknown[];
}

async function readBack(db: Kysely<Database>): Promise<Written> {
  return {
    tokens: await db.selectFrom('access_tokens').selectAll().orderBy('token_hash').execute(),
    events: await db.selectFrom('auth_events').selectAll().orderBy('id').execute(),
    claims: await db.selectFrom('jti_claims').selectAll().orderBy('jti').execute(),
  };
}

/** A migrated database file holding the two earlier claims. */
async function preparedFile(directory: string, name: string): Promise<{ file: string; db: Kysely<Database> }> {
  const file = join(directory, name);
  const db = openSqlite(file);
  await migrate(db);
  await db
    .insertInto('jti_claims')
    .values([
      { issuer_id: ISSUER, jti: 'old', expires_at: '2026-12-05T00:59:59.000Z' },
      { issuer_id: ISSUER, jti: 'live', expires_at: LATER },
    ])
    .execute();
  return { file, db };
}

describe('a batch of mints, written by the writer thread (prepared statements) and by Kysely (multi-row statements)', () => {
  let directory: string;
  let viaKysely: Written;
  let viaThread: Written;
  let threadRecorded: boolean[];
  let kyselyRecorded: boolean[];

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'openwif-mint-batch-'));
    const kysely = await preparedFile(directory, 'kysely.db');
    kyselyRecorded = await writeMintBatch(kysely.db, BATCH);
    viaKysely = await readBack(kysely.db);
    await kysely.db.destroy();

    const thread = await preparedFile(directory, 'thread.db');
    const writer = new SqliteWriterThread(thread.file);
    try {
      threadRecorded = await writer.writeMints(BATCH);
      await writer.writeEvents([event('denied-1', 'denied'), event('denied-2', 'denied')]);
    } finally {
      await writer.close();
    }
    viaThread = await readBack(thread.db);
    await thread.db.destroy();
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('each mint is recorded exactly when its jti is free: once per batch, and again after the claim expired', () => {
    assert.deepEqual(threadRecorded, RECORDED);
    assert.deepEqual(kyselyRecorded, RECORDED);
  });

  test('a recorded mint has its token and its event; a refused one nothing', () => {
    const hashes = (w: Written) => w.tokens.map((t) => (t as { token_hash: string }).token_hash);
    assert.deepEqual(hashes(viaThread), ['hash-expired-claim', 'hash-first', 'hash-no-jti']);
    const successIds = viaThread.events.filter((e) => (e as { outcome: string }).outcome === 'success').map((e) => (e as { id: string }).id);
    assert.deepEqual(successIds, ['fdev_expired-claim', 'fdev_first', 'fdev_no-jti']);
  });

  test('both write the same rows, column for column', () => {
    const successOnly = (w: Written) => ({ ...w, events: w.events.filter((e) => (e as { outcome: string }).outcome === 'success') });
    assert.deepEqual(successOnly(viaThread), viaKysely);
    assert.equal(viaKysely.tokens.length, 3);
    assert.deepEqual(
      viaKysely.claims.map((c) => c as { jti: string; expires_at: string }).map((c) => [c.jti, c.expires_at]),
      [
        ['live', LATER],
        ['old', LATER],
        ['shared', LATER],
      ],
    );
  });

  test('denial events are written by the thread as they were sent', () => {
    const denied = viaThread.events.filter((e) => (e as { outcome: string }).outcome === 'denied') as Array<{
      id: string;
      reason: string;
      claims_json: string;
    }>;
    assert.deepEqual(
      denied.map((e) => [e.id, e.reason, JSON.parse(e.claims_json)]),
      [
        ['fdev_denied-1', 'invalid_signature', { sub: 'workload-1', n: 1, nested: { ok: true } }],
        ['fdev_denied-2', 'invalid_signature', { sub: 'workload-1', n: 1, nested: { ok: true } }],
      ],
    );
  });
});
