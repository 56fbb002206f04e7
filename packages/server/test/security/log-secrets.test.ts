import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE } from '../helpers/federation-fixture.ts';
import {
  CHILD_ADMIN_TOKEN,
  createFederation,
  exchangeOver,
  killChild,
  newDatabaseFile,
  startChildServer,
  type ChildServer,
} from '../reliability/child-server.ts';

const UPSTREAM_KEY = 'sk-ant-api03-upstream-secret-DO-NOT-LOG-0123456789abcdef';

/**
 * Issue 13, operations: with the most verbose logging, driving successes, denials, malformed
 * requests and admin calls leaves no minted token, assertion, admin token or upstream key in
 * anything the process writes.
 */
describe('logs at trace level hold no secrets', () => {
  let server: ChildServer | undefined;
  let issuer: TestIssuer;
  let databaseFile: string;

  before(async () => {
    issuer = await TestIssuer.start(['RS256']);
    databaseFile = newDatabaseFile();
  });
  after(async () => {
    await killChild(server);
    await issuer.close();
    rmSync(dirname(databaseFile), { recursive: true, force: true });
  });

  test('tokens, assertions, the admin token and the upstream key never reach stdout or stderr', { timeout: 90_000 }, async () => {
    server = await startChildServer(databaseFile, {
      OPENWIF_LOG_LEVEL: 'trace',
      OPENWIF_UPSTREAM_URL: 'http://127.0.0.1:9',
      OPENWIF_UPSTREAM_API_KEY: UPSTREAM_KEY,
    });
    const s = server;
    const fed = await createFederation(s, issuer.url, 'logs', 'workload-logs');
    const secrets: string[] = [CHILD_ADMIN_TOKEN, UPSTREAM_KEY];
    const assertion = (extra: Record<string, unknown> = {}, lifetime?: number) =>
      issuer.sign({ sub: 'workload-logs', aud: DEFAULT_AUDIENCE, jti: randomUUID(), ...extra }, lifetime === undefined ? {} : { lifetimeSeconds: lifetime });
    const remember = (jwt: string) => {
      secrets.push(jwt, jwt.split('.')[2]!);
      return jwt;
    };
    const get = (path: string, headers: Record<string, string>) => fetch(`${s.url}${path}`, { headers }).then((r) => r.text());

    // Successes, and use of the minted tokens.
    for (let i = 0; i < 3; i++) {
      const jwt = remember(await assertion());
      const reply = await exchangeOver(s, fed, jwt);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      secrets.push(reply.body.access_token);
      await get('/v1/organizations/me', { authorization: `Bearer ${reply.body.access_token}` });
      await get('/v1/organizations/service_accounts', { authorization: `Bearer ${reply.body.access_token}` });
      await get('/v1/organizations/me', { 'x-api-key': reply.body.access_token });
      // Replay: a denial that names the jti.
      assert.equal((await exchangeOver(s, fed, jwt)).status, 401);
    }
    // Denials of every flavour.
    const good = remember(await assertion());
    const [h, p, sig] = good.split('.') as [string, string, string];
    const flipped = remember(`${h}.${p}.${sig.slice(0, -4)}AAAA`);
    assert.equal((await exchangeOver(s, fed, flipped)).status, 401);
    assert.equal((await exchangeOver(s, fed, remember(await assertion({ sub: 'someone-else' })))).status, 401);
    assert.equal((await exchangeOver(s, fed, remember(await assertion({}, 100_000)))).status, 401);
    assert.equal((await exchangeOver(s, fed, remember(await assertion({ iss: 'https://evil.example' })))).status, 401);
    // Malformed requests that carry an assertion.
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: good,
      federation_rule_id: 'not-a-rule',
      organization_id: fed.organizationId,
    });
    await fetch(`${s.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }).then((r) =>
      r.text(),
    );
    await fetch(`${s.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"assertion":"${good}",` }).then((r) =>
      r.text(),
    );
    await fetch(`${s.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: good }).then((r) => r.text());
    await fetch(`${s.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion: good + 'A'.repeat(20_000) }),
    }).then((r) => r.text());
    // Admin calls: good, failing, and with broken credentials.
    await get('/v1/organizations/workspaces', s.adminHeaders);
    await fetch(`${s.url}/v1/organizations/workspaces`, {
      method: 'POST',
      headers: { ...s.adminHeaders, 'content-type': 'application/json' },
      body: '{"name": 12}',
    }).then((r) => r.text());
    await get('/v1/organizations/service_accounts/svac_01missing', s.adminHeaders);
    await get('/v1/organizations/workspaces', { authorization: `Bearer ${CHILD_ADMIN_TOKEN}x` });
    await get('/v1/organizations/workspaces', { authorization: `Basic ${Buffer.from(`admin:${CHILD_ADMIN_TOKEN}`).toString('base64')}` });
    await get('/v1/organizations/workspaces', { 'x-api-key': CHILD_ADMIN_TOKEN });
    await get('/v1/organizations/workspaces', { cookie: `session=${CHILD_ADMIN_TOKEN}` });
    secrets.push(Buffer.from(`admin:${CHILD_ADMIN_TOKEN}`).toString('base64'));

    // Let the logger flush, then stop cleanly so every buffered line is written.
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    const output = s.output();
    assert.ok(output.split('\n').length > 50, `trace logging was on (${output.length} bytes of output)`);
    assert.match(output, /"level":10|incoming request/, 'request logs were written');
    const leaked = secrets.filter((secret) => output.includes(secret)).map((secret) => `${secret.slice(0, 12)}… (${secret.length} chars)`);
    assert.deepEqual(leaked, [], 'no secret appears in the logs');
  });
});
