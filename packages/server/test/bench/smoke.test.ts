import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BENCH = new URL('../../bench/run.ts', import.meta.url).pathname;

/** Benchmarks are not tests, but a tiny run of every scenario keeps the scripts from rotting. */
test('every benchmark scenario runs and reports its table', { timeout: 240_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', BENCH, '--quick', '--seconds', '1'], { timeout: 230_000, maxBuffer: 1 << 20 });
  for (const heading of [
    '## 1. Exchange throughput',
    '## Where the time goes',
    '## 3. Gateway auth overhead',
    '## 4. Scale of configuration',
    '## 5. Unknown-kid flood',
    '## 6. Start-up',
  ]) {
    assert.ok(stdout.includes(heading), `missing ${heading}:\n${stdout}`);
  }
  const openwifRow = stdout.split('\n').find((line) => line.startsWith('| OpenWIF, SQLite'));
  assert.ok(openwifRow && !openwifRow.includes('errors'), `the exchange ran without errors:\n${stdout}`);
  const gatewayRow = stdout.split('\n').find((line) => line.startsWith('| through the OpenWIF gateway'));
  assert.ok(gatewayRow && !gatewayRow.includes('errors') && !gatewayRow.includes('NaN'), `the gateway ran without errors:\n${stdout}`);
  assert.match(stdout, /Gateway keeps \*\*\d+ %\*\*/);
  assert.match(stdout, /valid throughput is \*\*\d+ \(\d+–\d+\) %\*\* of the baseline/);
  assert.match(stdout, /the flood caused at most \*\*\d+\*\* JWKS fetch/);
  assert.match(stdout, /`openwif serve` is ready in \*\*[\d,.]+ ms\*\*/);
});
