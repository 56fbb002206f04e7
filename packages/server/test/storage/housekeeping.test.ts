import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHousekeeping } from '../../src/storage/housekeeping.ts';
import { hashSecret } from '../../src/tokens/token-hash.ts';
import { storedEvent } from '../diagnostics/helpers.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';
import { startTestServer, TEST_BACKEND, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';

describe('housekeeping', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('deletes events older than the window and keeps the rest', async () => {
    const now = new Date('2026-06-10T12:00:00.000Z');
    const org = server.organizationId;
    for (const created_at of ['2026-05-01T00:00:00.000Z', '2026-06-03T11:59:59.999Z', '2026-06-03T12:00:00.000Z', '2026-06-10T00:00:00.000Z']) {
      await server.stores.authEvents.record(storedEvent(org, { created_at, federation_rule_id: 'fdrl_01retention' }));
    }
    const housekeeping = startHousekeeping({ stores: server.stores, retentionDays: 7, now: () => now, intervalMs: 60_000 });
    try {
      await housekeeping.sweep();
      const left = await server.stores.authEvents.list(org, { limit: 100, cursor: null, ruleId: 'fdrl_01retention', outcome: null, reason: null });
      assert.deepEqual(
        left.items.map((e) => e.created_at),
        ['2026-06-10T00:00:00.000Z', '2026-06-03T12:00:00.000Z'],
      );
      assert.equal(await housekeeping.sweep(), 0);
    } finally {
      await housekeeping.stop();
    }
  });

  test('removes expired tokens and JTI records, keeps live ones', async () => {
    const issuer = await TestIssuer.start();
    try {
      const fed = await seedFederation(server, { issuerUrl: issuer.url });
      const minted = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'sweep-me' }));
      assert.equal(minted.status, 200);
      const hash = hashSecret(minted.body.access_token);
      const soon = startHousekeeping({ stores: server.stores, retentionDays: 7, now: () => new Date(), intervalMs: 60_000 });
      await soon.stop();
      assert.ok(await server.stores.tokens.find(hash), 'a live token stays');
      const later = startHousekeeping({ stores: server.stores, retentionDays: 7, now: () => new Date(Date.now() + 2 * 3600_000), intervalMs: 60_000 });
      await later.stop();
      assert.equal(await server.stores.tokens.find(hash), null, 'an expired token is gone');
      const again = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'sweep-me' }));
      // In the database the expired jti record is swept; in Redis it lives until its own TTL (the assertion's exp + 30 s).
      assert.equal(again.status, TEST_BACKEND === 'sqlite' ? 200 : 401);
    } finally {
      await issuer.close();
    }
  });

  test('rejects a retention that is not a whole number of days in range', () => {
    for (const retentionDays of [0, -1, 1.5, Number.NaN, 100_000]) {
      assert.throws(() => startHousekeeping({ stores: server.stores, retentionDays, now: () => new Date() }), RangeError);
    }
    assert.throws(() => startHousekeeping({ stores: server.stores, retentionDays: 1, now: () => new Date(), intervalMs: 5 }), RangeError);
  });
});
