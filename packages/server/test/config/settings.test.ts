import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadSettings, SETTINGS, SettingsError } from '../../src/config/settings.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/openwif.js', import.meta.url).pathname;

describe('settings', () => {
  test('defaults: loopback, SQLite file, the Claude API audience', () => {
    const s = loadSettings({});
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.port, 8080);
    assert.equal(s.databaseUrl, 'sqlite:./data/openwif.db');
    assert.deepEqual(s.defaultAudiences, ['https://api.anthropic.com']);
    assert.equal(s.adminToken, null);
  });

  test('environment variables are parsed', () => {
    const s = loadSettings({
      OPENWIF_PORT: '9000',
      OPENWIF_DEFAULT_AUDIENCE: 'https://a.example, https://b.example',
      OPENWIF_OUTBOUND_ALLOW: '127.0.0.1/32,*.corp.example',
      OPENWIF_DATABASE_URL: 'postgres://localhost/openwif',
    });
    assert.equal(s.port, 9000);
    assert.deepEqual(s.defaultAudiences, ['https://a.example', 'https://b.example']);
    assert.deepEqual(s.outboundAllow, ['127.0.0.1/32', '*.corp.example']);
    assert.equal(s.databaseUrl, 'postgres://localhost/openwif');
  });

  const invalid: Array<[Record<string, string>, string]> = [
    [{ OPENWIF_PORT: 'eighty' }, 'OPENWIF_PORT'],
    [{ OPENWIF_PORT: '70000' }, 'OPENWIF_PORT'],
    [{ OPENWIF_DATABASE_URL: 'mysql://x' }, 'OPENWIF_DATABASE_URL'],
    [{ OPENWIF_DATABASE_URL: 'sqlite:' }, 'OPENWIF_DATABASE_URL'],
    [{ OPENWIF_REDIS_URL: 'localhost:6379' }, 'OPENWIF_REDIS_URL'],
    [{ OPENWIF_ADMIN_TOKEN: 'short' }, 'OPENWIF_ADMIN_TOKEN'],
    [{ OPENWIF_ADMIN_TOKEN: 'sk-ant-oat01-looks-like-a-minted-token-xxxxxxxxxxxx' }, 'OPENWIF_ADMIN_TOKEN'],
    [{ OPENWIF_LOG_LEVEL: 'loud' }, 'OPENWIF_LOG_LEVEL'],
    [{ OPENWIF_DEFAULT_AUDIENCE: ' , ' }, 'OPENWIF_DEFAULT_AUDIENCE'],
    [{ OPENWIF_PROT: '8080' }, 'OPENWIF_PROT'],
  ];
  for (const [env, name] of invalid) {
    test(`invalid or unknown ${JSON.stringify(env)} names ${name}`, () => {
      assert.throws(
        () => loadSettings(env),
        (err: unknown) => err instanceof SettingsError && err.setting === name && err.message.startsWith(`invalid setting ${name}:`),
      );
    });
  }

  test('a JSON config file is read; the environment wins over it; unknown keys fail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openwif-settings-'));
    const file = join(dir, 'openwif.json');
    writeFileSync(file, JSON.stringify({ port: 9100, log_level: 'warn', outbound_allow: ['10.0.0.0/8'] }));
    const s = loadSettings({ OPENWIF_CONFIG_FILE: file, OPENWIF_LOG_LEVEL: 'error' });
    assert.equal(s.port, 9100);
    assert.equal(s.logLevel, 'error');
    assert.deepEqual(s.outboundAllow, ['10.0.0.0/8']);
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadSettings({ OPENWIF_CONFIG_FILE: file }), /invalid setting prot \(config file\): unknown setting/);
    writeFileSync(file, '{not json');
    assert.throws(() => loadSettings({ OPENWIF_CONFIG_FILE: file }), /invalid setting OPENWIF_CONFIG_FILE/);
  });

  test('every setting has a row in the README table', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
    for (const s of SETTINGS) assert.ok(readme.includes(`\`${s.env}\``), `${s.env} is documented`);
  });

  test('start-up with a bad setting prints one line naming it and exits 2', async () => {
    const err = await run(process.execPath, [BIN, 'dev'], { env: { ...process.env, OPENWIF_PORT: 'x' } }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((err as { code: number }).code, 2);
    assert.equal((err as { stderr: string }).stderr.trim(), 'invalid setting OPENWIF_PORT: "x" is not a port number (0-65535)');
  });

  test('"openwif serve" refuses to start without an explicit admin token', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENWIF_DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'openwif-serve-')), 'db')}` };
    delete env.OPENWIF_ADMIN_TOKEN;
    const err = await run(process.execPath, [BIN, 'serve'], { env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((err as { code: number }).code, 2);
    assert.match((err as { stderr: string }).stderr, /^invalid setting OPENWIF_ADMIN_TOKEN: required by "openwif serve"/);
  });
});

describe('bootstrap admin credential', () => {
  test('changing OPENWIF_ADMIN_TOKEN and restarting revokes the previous token', async () => {
    const { startTestServer, call } = await import('../helpers/start-server.ts');
    const first = await startTestServer({ adminToken: 'owif-admin-first-0123456789abcdefghijklmnopqrstuv' });
    await first.stop();
    const second = await startTestServer({ adminToken: 'owif-admin-second-0123456789abcdefghijklmnopqrstu' }, { dataDir: first.dataDir });
    try {
      const old = await call(second, 'GET', '/v1/organizations/me', { headers: { authorization: 'Bearer owif-admin-first-0123456789abcdefghijklmnopqrstuv' } });
      assert.equal(old.status, 401, 'the rotated-out token no longer works');
      const current = await call(second, 'GET', '/v1/organizations/me', {
        headers: { authorization: 'Bearer owif-admin-second-0123456789abcdefghijklmnopqrstu' },
      });
      assert.equal(current.status, 200);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
