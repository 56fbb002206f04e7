import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WorkloadIdentityCredentials, WorkloadIdentityError } from '../src/index.ts';
import { TokenCache } from '../src/token-cache.ts';
import { createTestIssuer, type TestIssuer } from './helpers/test-issuer.ts';
import { startFakeTokenEndpoint, TEST_ORG_ID, TEST_RULE_ID, type FakeTokenEndpoint } from './helpers/token-endpoint.ts';

let endpoint: FakeTokenEndpoint;
let issuer: TestIssuer;
let clockMs: number;
const backgroundErrors: unknown[] = [];

before(async () => {
  endpoint = await startFakeTokenEndpoint();
  issuer = await createTestIssuer();
});
after(() => endpoint.close());
beforeEach(() => {
  endpoint.exchanges.length = 0;
  endpoint.script.length = 0;
  endpoint.fallback = { kind: 'mint', expiresIn: 600 };
  clockMs = 1_800_000_000_000;
  backgroundErrors.length = 0;
});

function credentials(): WorkloadIdentityCredentials {
  return new WorkloadIdentityCredentials({
    identityTokenProvider: () => issuer.sign(),
    federationRuleId: TEST_RULE_ID,
    organizationId: TEST_ORG_ID,
    baseURL: endpoint.url,
    env: {},
    now: () => clockMs,
    maxAttempts: 1,
    onBackgroundRefreshError: (err) => backgroundErrors.push(err),
  });
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until the endpoint saw `count` exchanges, then lets the response settle into the cache. */
async function waitForExchanges(count: number): Promise<void> {
  for (let i = 0; i < 100 && endpoint.exchanges.length < count; i++) await tick(10);
  await tick(30);
}

describe('refresh tiers (expires_in 600 s)', () => {
  it('serves the cached token while more than 120 s remain', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    clockMs += (600 - 121) * 1000;
    assert.equal((await creds.getToken()).token, first.token);
    assert.equal(endpoint.exchanges.length, 1);
  });

  it('serves the cached token and refreshes in the background between 120 s and 30 s', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    clockMs += (600 - 100) * 1000;
    assert.equal((await creds.getToken()).token, first.token, 'advisory tier returns the old token immediately');
    await waitForExchanges(2);
    assert.equal(endpoint.exchanges.length, 2);
    const next = await creds.getToken();
    assert.notEqual(next.token, first.token);
    assert.equal(next.token, endpoint.minted.at(-1));
  });

  it('keeps serving the old token when a background refresh fails, then pauses background attempts for 5 s', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    endpoint.fallback = { kind: 'status', status: 503 };
    clockMs += (600 - 100) * 1000;
    assert.equal((await creds.getToken()).token, first.token);
    await waitForExchanges(2);
    assert.equal(endpoint.exchanges.length, 2);
    assert.equal(backgroundErrors.length, 1);
    assert.ok(backgroundErrors[0] instanceof WorkloadIdentityError);

    clockMs += 4000;
    assert.equal((await creds.getToken()).token, first.token);
    await tick(60);
    assert.equal(endpoint.exchanges.length, 2, 'no new attempt inside the 5 s pause');

    clockMs += 1500;
    endpoint.fallback = { kind: 'mint', expiresIn: 600 };
    assert.equal((await creds.getToken()).token, first.token);
    await waitForExchanges(3);
    assert.equal(endpoint.exchanges.length, 3, 'background refresh resumes after the pause');
    assert.notEqual((await creds.getToken()).token, first.token);
  });

  it('blocks and refreshes when 30 s or less remain', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    clockMs += (600 - 30) * 1000;
    const second = await creds.getToken();
    assert.notEqual(second.token, first.token);
    assert.equal(endpoint.exchanges.length, 2);
  });

  it('throws when a mandatory refresh fails, and recovers on the next call', async () => {
    const creds = credentials();
    await creds.getToken();
    clockMs += 700 * 1000;
    endpoint.fallback = { kind: 'deny' };
    await assert.rejects(creds.getToken(), { name: 'WorkloadIdentityError', message: /HTTP 401/ });
    endpoint.fallback = { kind: 'mint' };
    assert.equal((await creds.getToken()).token, endpoint.minted.at(-1));
  });
});

describe('single flight and forced refresh', { timeout: 10_000 }, () => {
  it('coalesces N concurrent first calls into one exchange', async () => {
    endpoint.fallback = { kind: 'mint', delayMs: 50 };
    const creds = credentials();
    const tokens = await Promise.all(Array.from({ length: 25 }, () => creds.getToken()));
    assert.equal(endpoint.exchanges.length, 1);
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
  });

  it('coalesces concurrent mandatory refreshes', async () => {
    const creds = credentials();
    await creds.getToken();
    clockMs += 590 * 1000;
    endpoint.fallback = { kind: 'mint', delayMs: 50 };
    await Promise.all(Array.from({ length: 10 }, () => creds.getToken()));
    assert.equal(endpoint.exchanges.length, 2);
  });

  it('forceRefresh exchanges even when the cached token is fresh', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    const forced = await creds.provider({ forceRefresh: true });
    assert.notEqual(forced.token, first.token);
    assert.equal(endpoint.exchanges.length, 2);
    assert.equal((await creds.getToken()).token, forced.token, 'the forced result is cached');
  });

  it('a forced refresh does not join an in-flight non-forced one', async () => {
    endpoint.fallback = { kind: 'mint', delayMs: 80 };
    const creds = credentials();
    const plain = creds.getToken();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const forced = creds.getToken({ forceRefresh: true });
    const [a, b] = await Promise.all([plain, forced]);
    assert.equal(endpoint.exchanges.length, 2);
    assert.notEqual(a.token, b.token);
    assert.equal((await creds.getToken()).token, b.token, 'the newer (forced) token wins the cache');
  });

  it('concurrent forced refreshes share one exchange', async () => {
    endpoint.fallback = { kind: 'mint', delayMs: 30 };
    const creds = credentials();
    await Promise.all([creds.getToken({ forceRefresh: true }), creds.getToken({ forceRefresh: true })]);
    assert.equal(endpoint.exchanges.length, 1);
  });

  it('invalidate() makes the next call exchange again', async () => {
    const creds = credentials();
    const first = await creds.getToken();
    creds.invalidate();
    const second = await creds.getToken();
    assert.notEqual(second.token, first.token);
    assert.equal(endpoint.exchanges.length, 2);
  });
});

describe('TokenCache with a scripted source', { timeout: 5000 }, () => {
  it('serves a token without expiry forever and passes the forced flag through', async () => {
    const calls: boolean[] = [];
    const cache = new TokenCache(
      async ({ forced }) => {
        calls.push(forced);
        return { token: `t${calls.length}`, expiresAt: null };
      },
      { now: () => 0, onBackgroundError: () => undefined },
    );
    assert.equal((await cache.getToken()).token, 't1');
    assert.equal((await cache.getToken()).token, 't1');
    cache.invalidate();
    assert.equal((await cache.getToken()).token, 't2');
    assert.deepEqual(calls, [false, true]);
  });

  it('a stale non-forced result finishing after a forced one does not overwrite it', async () => {
    const releases: Array<() => void> = [];
    let n = 0;
    const cache = new TokenCache(
      () =>
        new Promise((resolve) => {
          const id = ++n;
          releases.push(() => resolve({ token: `t${id}`, expiresAt: 10_000 }));
        }),
      { now: () => 0, onBackgroundError: () => undefined },
    );
    const slow = cache.getToken();
    const forced = cache.getToken({ forceRefresh: true });
    releases[1]?.();
    assert.equal((await forced).token, 't2');
    releases[0]?.();
    assert.equal((await slow).token, 't1');
    assert.equal((await cache.getToken()).token, 't2');
  });
});
