import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_AUDIENCE } from '../helpers/federation-fixture.ts';
import { awaitCheckpointed } from '../helpers/sqlite-file.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import {
  CHILD_ADMIN_TOKEN,
  createFederation,
  exchangeOver,
  killChild,
  newDatabaseFile,
  startChildServer,
  type ChildServer,
} from '../reliability/child-server.ts';

const run = promisify(execFile);
const PACKAGE = new URL('../../', import.meta.url).pathname;
const REPO_MODULES = new URL('../../../../node_modules', import.meta.url).pathname;

/**
 * A throwaway copy of the repository's shape: <root>/packages/server/bin/openwif.js (the real
 * launcher) and its package.json's module type, <root>/node_modules (the real one, linked).
 */
function packageLayout(): { root: string; server: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'openwif-build-'));
  const server = join(root, 'packages', 'server');
  mkdirSync(join(server, 'bin'), { recursive: true });
  writeFileSync(join(server, 'package.json'), '{ "type": "module" }');
  copyFileSync(join(PACKAGE, 'bin', 'openwif.js'), join(server, 'bin', 'openwif.js'));
  symlinkSync(REPO_MODULES, join(root, 'node_modules'));
  return { root, server, bin: join(server, 'bin', 'openwif.js') };
}

function setTime(path: string, secondsAgo: number): void {
  const at = Date.now() / 1000 - secondsAgo;
  utimesSync(path, at, at);
}

describe('the launcher (bin/openwif.js)', () => {
  let layout: ReturnType<typeof packageLayout>;
  const build = () => join(layout.server, 'dist', 'openwif.js');
  const source = () => join(layout.server, 'src', 'cli', 'run.ts');
  const launch = async () => (await run(process.execPath, [layout.bin, 'hello'], { cwd: layout.root })).stdout.trim();

  before(() => {
    layout = packageLayout();
    mkdirSync(join(layout.server, 'dist'));
    mkdirSync(join(layout.server, 'src', 'cli'), { recursive: true });
    writeFileSync(build(), "console.log('build ' + process.argv[2]);\n");
    // A type annotation: only tsx can run this file.
    writeFileSync(source(), "const word: string = process.argv[2]!;\nconsole.log('source ' + word);\n");
  });
  after(() => rmSync(layout.root, { recursive: true, force: true }));

  test('runs the build while it is newer than every source', async () => {
    for (const path of [source(), join(layout.server, 'src', 'cli'), join(layout.server, 'src')]) setTime(path, 60);
    setTime(build(), 10);
    assert.equal(await launch(), 'build hello');
  });

  test('runs the source once any source file is newer than the build', async () => {
    setTime(source(), 1);
    assert.equal(await launch(), 'source hello');
    setTime(source(), 60);
    assert.equal(await launch(), 'build hello');
  });

  test('runs the source when the lockfile changed after the build (bundled dependencies moved)', async () => {
    const lockfile = join(layout.root, 'package-lock.json');
    writeFileSync(lockfile, '{}');
    setTime(lockfile, 1);
    assert.equal(await launch(), 'source hello');
    unlinkSync(lockfile);
  });

  test('runs the source when there is no build', async () => {
    rmSync(join(layout.server, 'dist'), { recursive: true });
    assert.equal(await launch(), 'source hello');
  });
});

describe('the production build (scripts/build.ts)', () => {
  let layout: ReturnType<typeof packageLayout>;
  let issuer: TestIssuer;
  let server: ChildServer | undefined;
  let databaseFile: string;

  before(async () => {
    layout = packageLayout();
    // Built into the throwaway layout, with no sources next to it: the launcher must run it.
    await run(process.execPath, ['--import', 'tsx', join(PACKAGE, 'scripts', 'build.ts'), join(layout.server, 'dist')]);
    issuer = await TestIssuer.start(['ES256']);
    databaseFile = newDatabaseFile();
  });
  after(async () => {
    await killChild(server);
    await issuer.close();
    rmSync(layout.root, { recursive: true, force: true });
  });

  test('serves exchanges, the Admin API, the console and its assets from the bundle alone', { timeout: 120_000 }, async () => {
    server = await startChildServer(databaseFile, {}, layout.bin);
    const fed = await createFederation(server, issuer.url, 'bundle', 'workload-bundle');
    const assertion = await issuer.sign({ sub: 'workload-bundle', aud: DEFAULT_AUDIENCE, jti: randomUUID() }, { key: issuer.key('ES256') });
    const minted = await exchangeOver(server, fed, assertion);
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.match(minted.body.access_token, /^sk-ant-oat01-/);
    // The bundle's writer and checkpointer threads: the mint reaches the database file itself.
    assert.equal(await awaitCheckpointed(databaseFile, "select count(*) as n from auth_events where outcome = 'success'", 1), 1);

    for (const [path, type] of [
      ['/console/assets/console.css', 'text/css'],
      ['/console/assets/favicon.svg', 'image/svg+xml'],
      ['/console/assets/htmx.min.js', 'text/javascript'],
    ] as const) {
      const res: Response = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.ok(res.headers.get('content-type')?.startsWith(type), `${path}: ${res.headers.get('content-type')}`);
      assert.ok((await res.arrayBuffer()).byteLength > 100, path);
    }
  });

  test('runs the CLI’s Admin API commands (the bundled SDK) against a server', { timeout: 60_000 }, async () => {
    assert.ok(server, 'the previous test started the server');
    const { stdout } = await run(process.execPath, [layout.bin, 'issuers', 'list', '--json'], {
      env: { PATH: process.env.PATH ?? '', ANTHROPIC_BASE_URL: server.url, ANTHROPIC_AUTH_TOKEN: CHILD_ADMIN_TOKEN },
    });
    assert.deepEqual(
      JSON.parse(stdout).map((row: { issuer_url: string }) => row.issuer_url),
      [issuer.url],
    );
  });
});
