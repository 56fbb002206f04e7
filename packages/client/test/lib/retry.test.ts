import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, retryAfterMs, withRetries } from '../../src/lib/retry.ts';

describe('backoffDelayMs', () => {
  it('doubles from the base, caps, and applies ±50 % jitter', () => {
    const options = { baseMs: 100, capMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, { ...options, random: () => 0.5 })),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(backoffDelayMs(2, { ...options, random: () => 0 }), 200);
    assert.equal(backoffDelayMs(2, { ...options, random: () => 0.999 }), 600);
  });
});

describe('retryAfterMs', () => {
  it('parses delta seconds and HTTP dates, capped and never negative', () => {
    const now = Date.parse('2026-05-01T10:00:00Z');
    assert.equal(retryAfterMs('7', now, 60_000), 7000);
    assert.equal(retryAfterMs('120', now, 60_000), 60_000);
    assert.equal(retryAfterMs('Fri, 01 May 2026 10:00:05 GMT', now, 60_000), 5000);
    assert.equal(retryAfterMs('Fri, 01 May 2026 09:00:00 GMT', now, 60_000), 0);
  });

  it('ignores absent or garbage values', () => {
    assert.equal(retryAfterMs(null, 0, 1000), null);
    assert.equal(retryAfterMs(' ', 0, 1000), null);
    assert.equal(retryAfterMs('soon', 0, 1000), null);
    assert.equal(retryAfterMs('-5', 0, 1000), null);
  });
});

describe('withRetries', () => {
  it('stops at maxAttempts and throws the last error', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    await assert.rejects(
      withRetries(async (i) => ({ ok: false, error: new Error(`fail ${i}`), retryDelayMs: 10 * (i + 1) }), {
        maxAttempts: 3,
        sleep: async (ms) => {
          calls++;
          sleeps.push(ms);
        },
      }),
      { message: 'fail 2' },
    );
    assert.equal(calls, 2);
    assert.deepEqual(sleeps, [10, 20]);
  });

  it('stops immediately on a final failure', async () => {
    let attempts = 0;
    await assert.rejects(
      withRetries(
        async () => {
          attempts++;
          return { ok: false, error: new Error('denied'), retryDelayMs: null };
        },
        { maxAttempts: 5, sleep: async () => undefined },
      ),
      { message: 'denied' },
    );
    assert.equal(attempts, 1);
  });
});
