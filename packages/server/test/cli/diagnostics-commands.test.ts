import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_AUDIENCE, exchange, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { adminEnv, runCli } from './run-cli.ts';

/** `rules lint`, `rules test` and `events list` against the real diagnostics endpoints. */
describe('openwif diagnostics commands', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let env: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start();
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1', audience: DEFAULT_AUDIENCE } });
    env = adminEnv(server);
    await exchange(server, fed, await issuer.sign({ sub: 'intruder', aud: DEFAULT_AUDIENCE, jti: 'cli-denied' }));
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  it('rules test explains a near miss and exits 1; a matching token exits 0', async () => {
    const miss = await runCli(['rules', 'test', fed.rule.id, '--claims', JSON.stringify({ sub: 'workload-2', aud: DEFAULT_AUDIENCE })], { env });
    assert.equal(miss.code, 1, miss.stderr);
    assert.match(miss.stdout, /subject_prefix\s+FAIL/);
    assert.match(miss.stdout, /NO MATCH \(match_subject_prefix\)/);
    const token = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'cli-dry-run' });
    const hit = await runCli(['rules', 'test', fed.rule.id, '--token', '-'], { env, stdin: token });
    assert.equal(hit.code, 0, hit.stdout + hit.stderr);
    assert.match(hit.stdout, /signature\s+pass/);
  });

  it('rules lint prints the warnings of a risky rule', async () => {
    const lint = await runCli(['rules', 'lint', fed.rule.id, '--json'], { env });
    assert.equal(lint.code, 0, lint.stderr);
    const body = JSON.parse(lint.stdout) as { warnings: Array<{ code: string }> };
    assert.ok(Array.isArray(body.warnings));
  });

  it('events list shows the denied attempt with its reason', async () => {
    const events = await runCli(['events', 'list', '--outcome', 'denied'], { env });
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /match_subject_prefix/);
  });
});
