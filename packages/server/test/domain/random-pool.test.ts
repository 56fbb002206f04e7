import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from '../../src/domain/random-pool.ts';

describe('pooled random bytes', () => {
  it('never hands out the same bytes twice, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const bytes = randomBytes(i % 2 ? 32 : 22);
      assert.equal(bytes.length, i % 2 ? 32 : 22);
      const hex = bytes.toString('hex');
      assert.ok(!seen.has(hex), `draw ${i} repeated an earlier one`);
      seen.add(hex);
    }
  });

  it('returns copies: changing one draw does not change the next', () => {
    const a = randomBytes(16);
    const copy = Buffer.from(a);
    a.fill(0);
    const b = randomBytes(16);
    assert.notDeepEqual(b, Buffer.alloc(16));
    assert.notDeepEqual(copy, Buffer.alloc(16));
  });

  it('bytes are uniform: every value appears about as often as the others', () => {
    const counts = new Array<number>(256).fill(0);
    const draws = 4_000;
    for (let i = 0; i < draws; i++) for (const b of randomBytes(64)) counts[b]!++;
    const expected = (draws * 64) / 256;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: the 99.99th percentile is about 360.
    assert.ok(chiSquare < 360, `chi-square ${chiSquare.toFixed(1)}`);
  });

  it('serves requests larger than the pool directly', () => {
    const big = randomBytes(20_000);
    assert.equal(big.length, 20_000);
    assert.ok(new Set(big).size > 200);
  });
});
