import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../src/storage/ports.ts';
import { RedisRateLimiter } from '../../src/storage/redis/rate-limiter.ts';
import { connectRedis } from '../../src/storage/redis/replay-store.ts';
import { call, pgAdmin, TEST_REDIS_URL } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { bearer, MESSAGE_BODY, mintToken, startGatewayServer, type GatewayTestServer } from './helpers.ts';

/** Real Redis on loopback, one client per "instance", as two servers would have. */
describe('RedisRateLimiter: one budget for every instance', () => {
  const clients = [connectRedis(TEST_REDIS_URL), connectRedis(TEST_REDIS_URL), connectRedis(TEST_REDIS_URL)];
  // The client fails commands instead of queueing them until it is connected (as the server's does).
  const ready = (client: Redis) => (client.status === 'ready' ? undefined : once(client, 'ready'));
  before(() => Promise.all(clients.map(ready)));
  after(() => {
    for (const client of clients) client.disconnect();
  });
  const [redisA, redisB, redisC] = clients as [Redis, Redis, Redis];

  test('takes from one per-minute budget across instances, per key', async () => {
    const key = `svac_${randomUUID()}`;
    const a = new RedisRateLimiter(redisA, { requestsPerMinute: 5 });
    const b = new RedisRateLimiter(redisB, { requestsPerMinute: 5 });
    for (const limiter of [a, b, a, b, a]) assert.deepEqual(await limiter.take(key), { allowed: true });
    for (const limiter of [a, b]) {
      const refused = await limiter.take(key);
      assert.equal(refused.allowed, false);
      // One request refills every 12 s at 5 per minute.
      assert.ok(!refused.allowed && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 12, JSON.stringify(refused));
    }
    assert.deepEqual(await b.take(`svac_${randomUUID()}`), { allowed: true }, 'another key has its own budget');
  });

  test('refills at the per-minute rate', async () => {
    const key = `svac_${randomUUID()}`;
    // 60 per minute: one a second, a margin no loaded machine eats between the last take and the next.
    const limiter = new RedisRateLimiter(redisA, { requestsPerMinute: 60 });
    const taken = await Promise.all(Array.from({ length: 60 }, () => limiter.take(key)));
    assert.equal(taken.filter((d) => d.allowed).length, 60);
    assert.deepEqual(await limiter.take(key), { allowed: false, retryAfterSeconds: 1 });
    await sleep(1100);
    assert.equal((await limiter.take(key)).allowed, true, 'a token came back after a second');
  });

  test('in-flight slots are shared; a released slot frees one, a second release nothing', async () => {
    const key = `svac_${randomUUID()}`;
    const a = new RedisRateLimiter(redisA, { maxConcurrent: 2 });
    const b = new RedisRateLimiter(redisB, { maxConcurrent: 2 });
    const first = await a.open(key);
    const second = await b.open(key);
    assert.ok(first && second);
    assert.equal(await a.open(key), null);
    assert.equal(await b.open(key), null);
    first.release();
    first.release();
    const third = await b.open(key);
    assert.ok(third, 'the released slot is free');
    assert.equal(await a.open(key), null, 'releasing twice freed only one slot');
    second.release();
    third.release();
  });

  test("a crashed instance's slots lapse after the lease; a live instance keeps its own past it", async () => {
    const key = `svac_${randomUUID()}`;
    const lease = { maxConcurrent: 2, slotLeaseMs: 1000 };
    const crashing = connectRedis(TEST_REDIS_URL);
    await ready(crashing);
    const live = new RedisRateLimiter(redisA, lease);
    const held = await live.open(key);
    assert.ok(await new RedisRateLimiter(crashing, lease).open(key));
    crashing.disconnect();
    const other = new RedisRateLimiter(redisB, lease);
    assert.equal(await other.open(key), null, 'both slots taken');
    await sleep(2300);
    const freed = await other.open(key);
    assert.ok(freed, "the crashed instance's slot lapsed");
    assert.equal(await other.open(key), null, 'the live slot, renewed, still counts after twice its lease');
    held?.release();
    freed.release();
  });

  test('Redis unreachable: take and open fail with StoreUnavailableError (the gateway answers 503)', async () => {
    const unreachable = connectRedis('redis://127.0.0.1:1');
    unreachable.on('error', () => undefined);
    try {
      const limiter = new RedisRateLimiter(unreachable);
      await assert.rejects(limiter.take('svac_x'), StoreUnavailableError);
      await assert.rejects(limiter.open('svac_x'), StoreUnavailableError);
    } finally {
      unreachable.disconnect();
    }
  });

  test('refuses bad limits', () => {
    assert.throws(() => new RedisRateLimiter(redisC, { requestsPerMinute: 0 }), TypeError);
    assert.throws(() => new RedisRateLimiter(redisC, { maxConcurrent: 2.5 }), TypeError);
    assert.throws(() => new RedisRateLimiter(redisC, { slotLeaseMs: 5 }), TypeError);
  });
});

/** Two real servers on one PostgreSQL database and Redis, whatever TEST_STORE says. */
describe('gateway limits across two instances on PostgreSQL + Redis', () => {
  const dbName = `openwif_limits_${randomBytes(6).toString('hex')}`;
  const shared = { databaseUrl: `postgres://postgres@127.0.0.1:5432/${dbName}`, redisUrl: TEST_REDIS_URL, gatewayRequestsPerMinute: 3 };
  let a: GatewayTestServer, b: GatewayTestServer;
  let issuer: TestIssuer;

  before(async () => {
    await pgAdmin(`CREATE DATABASE ${dbName}`);
    a = await startGatewayServer({ settings: shared });
    b = await startGatewayServer({ settings: shared });
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await issuer?.close();
    await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  test('a service account gets its per-minute budget once, not once per instance', async () => {
    const { token } = await mintToken(a, issuer, { scope: 'workspace:inference' });
    for (const server of [a, b, a]) {
      const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const limited = await call(b, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.equal(limited.body.error.type, 'rate_limit_error');
    // One request refills in 20 s at 3/min, less the time the four calls took.
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 15 && retryAfter <= 20, `retry-after ${retryAfter}`);
  });
});
