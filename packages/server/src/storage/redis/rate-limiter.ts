import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { resolveRateLimits, type ConcurrencySlot, type RateDecision, type RateLimiter, type RateLimits } from '../../gateway/rate-limiter.ts';
import { StoreUnavailableError } from '../ports.ts';

/** Every script starts from Redis's clock in milliseconds, not the calling instance's. */
const REDIS_NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * A token bucket per key: `capacity` tokens, refilled at capacity per minute. Returns 0 when a
 * token was taken, else the milliseconds until one will be there. On Redis's clock, instances
 * with skewed clocks share one budget. A bucket idle for a minute is full, the same as a missing
 * one, so it expires then.
 */
const TAKE = `${REDIS_NOW}local capacity = tonumber(ARGV[1])
local perMs = capacity / 60000
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if stored[1] then tokens = math.min(capacity, tonumber(stored[1]) + math.max(0, now - tonumber(stored[2])) * perMs) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
`;

/**
 * In-flight slots per key: a sorted set of slot IDs scored by when each lapses. Lapsed slots
 * (their instance stopped renewing them: it crashed) are dropped before counting. Returns 1 if
 * the slot was added, 0 if all `max` are taken.
 */
const OPEN = `${REDIS_NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

/** Pushes a live slot's lapse time forward; does nothing for a slot already released or lapsed. */
const RENEW = `${REDIS_NOW}if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
`;

export interface RedisRateLimiterOptions extends Partial<RateLimits> {
  /**
   * How long a slot outlives the last renewal by its instance; renewed at a third of this while
   * the request runs. Bounds how long a crashed instance's requests keep counting.
   */
  slotLeaseMs?: number;
}

/**
 * The gateway's limits shared by every instance using one Redis: each take and each open is one
 * atomic script. Redis unreachable is a StoreUnavailableError (503), as for the replay store:
 * limits that silently stopped holding would be worse than a refused call.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly limits: RateLimits;
  private readonly slotLeaseMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisRateLimiterOptions = {},
  ) {
    this.limits = resolveRateLimits(options);
    this.slotLeaseMs = options.slotLeaseMs ?? 60_000;
    if (!Number.isInteger(this.slotLeaseMs) || this.slotLeaseMs < 30) throw new TypeError('slotLeaseMs must be an integer of at least 30');
  }

  async take(key: string): Promise<RateDecision> {
    const waitMs = Number(await this.run(TAKE, `openwif:gateway:rate:${key}`, this.limits.requestsPerMinute));
    return waitMs === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  async open(key: string): Promise<ConcurrencySlot | null> {
    const slotsKey = `openwif:gateway:inflight:${key}`;
    const slotId = randomUUID();
    const opened = Number(await this.run(OPEN, slotsKey, this.limits.maxConcurrent, slotId, this.slotLeaseMs));
    if (opened !== 1) return null;
    // A renewal that fails leaves the slot to lapse: it frees itself, never blocks for good.
    const renewal = setInterval(() => void this.run(RENEW, slotsKey, slotId, this.slotLeaseMs).catch(() => undefined), Math.floor(this.slotLeaseMs / 3));
    renewal.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(renewal);
        this.redis.zrem(slotsKey, slotId).catch(() => undefined);
      },
    };
  }

  private async run(script: string, key: string, ...args: Array<string | number>): Promise<unknown> {
    try {
      return await this.redis.eval(script, 1, key, ...args);
    } catch (err) {
      throw new StoreUnavailableError(`rate limit store unreachable: ${(err as Error).message}`);
    }
  }
}
