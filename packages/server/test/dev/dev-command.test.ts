import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/server/bin/openwif.js');

interface Dev {
  child: ChildProcess;
  url: string;
  banner: string;
}

/** `openwif dev` as a newcomer runs it (through npm start), in a fresh directory. */
function startDev(cwd: string, port: number): Promise<Dev> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, INIT_CWD: cwd, OPENWIF_PORT: String(port) };
  const child = spawn(process.execPath, [BIN, 'dev'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /dev stack listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, url, banner: out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openwif dev exited with ${code}:\n${out}`)));
  });
}

function stop(dev: Dev): Promise<number | null> {
  return new Promise((resolve) => {
    dev.child.once('exit', (code) => resolve(code));
    dev.child.kill('SIGINT');
  });
}

async function runExample(cwd: string, name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`--env-file=${join(cwd, '.openwif', 'demo.env')}`, '--import', 'tsx', join(ROOT, 'examples', name)], {
    cwd: ROOT,
    timeout: 60_000,
  });
  return stdout;
}

describe('openwif dev (what npm start runs)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'openwif-dev-'));
  // Below Linux's ephemeral range (32768+), where other tests' outgoing connections take ports.
  let port = 0;
  after(() => rmSync(cwd, { recursive: true, force: true }));

  test('runs both seed flows end to end, records the events, stops on Ctrl-C, and restarts on the same data', async () => {
    // The dev stack needs four consecutive free ports: try another base if one is taken.
    let first: Dev | undefined;
    for (let attempt = 1; first === undefined; attempt++) {
      port = 20_000 + Math.floor(Math.random() * 12_000);
      first = await startDev(cwd, port).catch((err: Error) => {
        if (attempt < 5 && /is in use/.test(err.message)) return undefined;
        throw err;
      });
    }
    const adminToken = /admin token \(shown once, store it now\): (\S+)/.exec(first.banner)?.[1];
    assert.ok(adminToken, 'the first start prints the admin token once');
    assert.match(first.banner, /examples\/azure-imds\.ts/);
    assert.match(first.banner, /examples\/aks-workload-identity\.ts/);

    assert.match(await runExample(cwd, 'azure-imds.ts'), /OpenWIF stand-in model: you said "Hello from Azure"/);
    assert.match(await runExample(cwd, 'aks-workload-identity.ts'), /OpenWIF stand-in model: you said "Hello from AKS"/);

    const events = await (
      await fetch(`${first.url}/v1/organizations/federation_events?outcome=success`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).json();
    assert.equal(events.data.length, 2, JSON.stringify(events));
    assert.equal(await stop(first), 0, 'Ctrl-C shuts down cleanly');

    const second = await startDev(cwd, port);
    try {
      assert.doesNotMatch(second.banner, /shown once/, 'the second start reuses the data');
      const me = await fetch(`${second.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(me.status, 200, 'the admin token from the first start still works');
      assert.match(await runExample(cwd, 'azure-imds.ts'), /OpenWIF stand-in model/);
    } finally {
      assert.equal(await stop(second), 0);
    }
  });
});
