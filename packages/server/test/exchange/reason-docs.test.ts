import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DENY_REASONS } from '../../src/exchange/deny-reasons.ts';

test('docs/reason-codes.md lists exactly the catalog, with the same steps and texts', async () => {
  const doc = await readFile(new URL('../../../../docs/reason-codes.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| ([a-z]+) \| (.+) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  const catalog = Object.entries(DENY_REASONS).map(([code, r]) => [code, r.step, r.description]);
  assert.deepEqual(rows, catalog);
});
