import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runCli } from './run-cli.ts';

const BIN = fileURLToPath(new URL('../../bin/openwif.js', import.meta.url));

describe('openwif emulate gcp', () => {
  it('prints GCE_METADATA_HOST, which `openwif token fetch --from gcp` then uses; SIGTERM stops it with 0', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'emulate', 'gcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      for await (const chunk of child.stdout) {
        out += String(chunk);
        if (out.includes('Press Ctrl-C')) break;
      }
      const host = /GCE_METADATA_HOST=(\S+)/.exec(out)?.[1];
      const uniqueId = /default service account: \S+ \((\d+)\)/.exec(out)?.[1];
      assert.ok(host && uniqueId, out);
      const fetched = await runCli(['token', 'fetch', '--from', 'gcp'], { env: { GCE_METADATA_HOST: host } });
      assert.equal(fetched.code, 0, fetched.stderr);
      assert.match(fetched.stdout, new RegExp(`^sub: +${uniqueId}$`, 'm'));
      assert.match(fetched.stdout, /^token: +\S+…\S{4} \[redacted/m);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('an unknown kind is a usage error naming the known ones', async () => {
    const result = await runCli(['emulate', 'aws']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /expected one of entra, imds, k8s, github, gcp/);
  });
});
