import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { StoreUnavailableError, type ReplayStore } from '../ports.ts';

/**
 * JTI single use with `SET key 1 PX ttl NX`: one atomic command, so concurrent claims on any
 * number of instances produce exactly one winner. Keys hash the jti (bounded size, no
 * attacker-chosen bytes in key names) and expire with the assertion.
 */
export class RedisReplayStore implements ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(issuerId: string, jti: string, expiresAt: string): Promise<boolean> {
    const ttlMs = Math.max(1000, Date.parse(expiresAt) - this.now());
    const key = `openwif:jti:${issuerId}:${createHash('sha256').update(jti).digest('base64url')}`;
    let answer: string | null;
    try {
      answer = await this.redis.set(key, '1', 'PX', ttlMs, 'NX');
    } catch (err) {
      throw new StoreUnavailableError(`replay store unreachable: ${(err as Error).message}`);
    }
    return answer === 'OK';
  }
}

/** A client that fails fast instead of queueing commands while Redis is down. */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 2000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
