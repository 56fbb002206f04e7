import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/**
 * Cryptographically random bytes, drawn from a pool refilled by the CSPRNG 8 KiB at a time:
 * one getrandom() call per ~100 exchanges instead of three per exchange (node's randomUUID
 * batches the same way). Each call returns a fresh copy; no byte is handed out twice.
 */
export function randomBytes(count: number): Buffer {
  if (count > POOL_BYTES) return randomFillSync(Buffer.alloc(count));
  if (used + count > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + count));
  pool.fill(0, used, used + count);
  used += count;
  return out;
}
