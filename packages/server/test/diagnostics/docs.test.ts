import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { STEP_OF_REASON, TRACE_STEPS } from '../../src/diagnostics/trace-steps.ts';

test('docs/diagnostics.md lists every trace step, in order, with exactly its reason codes', async () => {
  const doc = await readFile(new URL('../../../../docs/diagnostics.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| [^|]+ \| ((?:`[a-z_]+`(?:, )?)+) \|$/gm)].map((m) => ({
    step: m[1],
    reasons: [...m[2]!.matchAll(/`([a-z_]+)`/g)].map((r) => r[1]),
  }));
  assert.deepEqual(
    rows.map((r) => r.step),
    [...TRACE_STEPS],
  );
  for (const { step, reasons } of rows) {
    const expected = Object.entries(STEP_OF_REASON)
      .filter(([, s]) => s === step)
      .map(([reason]) => reason);
    assert.deepEqual(reasons, expected, step);
  }
});
