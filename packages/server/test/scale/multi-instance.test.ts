import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, pgAdmin, TEST_REDIS_URL } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE } from '../helpers/federation-fixture.ts';

const BIN = new URL('../../bin/openwif.js', import.meta.url).pathname;
const ADMIN_TOKEN = `owif-admin-multi-${randomBytes(16).toString('hex')}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Instance {
  url: string;
  child: ChildProcess;
}

/** Starts `openwif serve` as a real child process and waits for its "listening" line. */
function startInstance(databaseUrl: string): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      PATH: process.env.PATH,
      OPENWIF_DATABASE_URL: databaseUrl,
      OPENWIF_REDIS_URL: TEST_REDIS_URL,
      OPENWIF_ADMIN_TOKEN: ADMIN_TOKEN,
      OPENWIF_PORT: '0',
      OPENWIF_LOG_LEVEL: 'warn',
      OPENWIF_OUTBOUND_ALLOW: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`instance exited with ${code}: ${out}`)));
  });
}

/**
 * Three stateless instances behind an imaginary load balancer, sharing one PostgreSQL database
 * and Redis: one truth whichever instance a request lands on.
 */
describe('three instances on PostgreSQL + Redis', () => {
  const dbName = `openwif_multi_${randomBytes(6).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  let a: Instance, b: Instance, c: Instance;
  let issuer: TestIssuer;
  let ruleId: string, serviceAccountId: string, organizationId: string;
  let jti = 0;

  before(async () => {
    await pgAdmin(`CREATE DATABASE ${dbName}`);
    issuer = await TestIssuer.start(['ES256']);
    // Concurrent first starts: one migration run (advisory lock), one organization.
    [a, b, c] = await Promise.all([startInstance(databaseUrl), startInstance(databaseUrl), startInstance(databaseUrl)]);
  });
  after(async () => {
    for (const i of [a, b, c]) i?.child.kill('SIGKILL');
    await issuer.close();
    await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  const assertion = () => issuer.sign({ sub: 'ci-job', aud: DEFAULT_AUDIENCE, jti: `multi-${++jti}` });
  const exchangeAt = async (i: Instance, token: string) =>
    call(i, 'POST', '/v1/oauth/token', {
      body: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: token, federation_rule_id: ruleId, organization_id: organizationId },
    });

  test('concurrent first starts agree on one organization', async () => {
    const ids = await Promise.all([a, b, c].map(async (i) => (await call(i, 'GET', '/v1/organizations/me', { headers: admin })).body.id));
    assert.equal(new Set(ids).size, 1, JSON.stringify(ids));
    organizationId = ids[0];
  });

  test('an issuer, account and rule created on B are usable on C immediately', async () => {
    const iss = await call(b, 'POST', '/v1/organizations/federation_issuers', {
      headers: admin,
      body: { name: 'ci', issuer_url: issuer.url, jwks: { type: 'discovery' } },
    });
    assert.equal(iss.status, 200, JSON.stringify(iss.body));
    const sa = await call(b, 'POST', '/v1/organizations/service_accounts', { headers: admin, body: { name: 'ci-bot' } });
    assert.equal(sa.status, 200, JSON.stringify(sa.body));
    serviceAccountId = sa.body.id;
    const rule = await call(b, 'POST', '/v1/organizations/federation_rules', {
      headers: admin,
      body: {
        name: 'ci-rule',
        issuer_id: iss.body.id,
        match: { subject_prefix: 'ci-job' },
        target: { type: 'service_account', service_account_id: serviceAccountId },
        oauth_scope: 'workspace:developer',
        applies_to_all_workspaces: true,
      },
    });
    assert.equal(rule.status, 200, JSON.stringify(rule.body));
    ruleId = rule.body.id;
    const res = await exchangeAt(c, await assertion());
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('a token minted on A works on B and C', async () => {
    const minted = await exchangeAt(a, await assertion());
    assert.equal(minted.status, 200);
    for (const i of [b, c]) {
      const me = await call(i, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${minted.body.access_token}` } });
      assert.equal(me.status, 200);
    }
  });

  test('one assertion sent concurrently to all three instances mints exactly once', async () => {
    for (let round = 0; round < 5; round++) {
      const token = await assertion();
      const results = await Promise.all([a, b, c, a, b, c].map((i) => exchangeAt(i, token)));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401, 401], `round ${round}`);
    }
  });

  test('archiving the service account on C stops its tokens on A at once', async () => {
    const minted = await exchangeAt(b, await assertion());
    const token = { authorization: `Bearer ${minted.body.access_token}` };
    assert.equal((await call(a, 'GET', '/v1/organizations/me', { headers: token })).status, 200);
    assert.equal((await call(c, 'POST', `/v1/organizations/federation_rules/${ruleId}/archive`, { headers: admin })).status, 200);
    assert.equal((await call(c, 'POST', `/v1/organizations/service_accounts/${serviceAccountId}/archive`, { headers: admin })).status, 200);
    assert.equal((await call(a, 'GET', '/v1/organizations/me', { headers: token })).status, 401);
  });

  test('killing an instance loses nothing the others acknowledged', async () => {
    const created = await call(a, 'POST', '/v1/organizations/service_accounts', { headers: admin, body: { name: 'survivor' } });
    assert.equal(created.status, 200);
    a.child.kill('SIGKILL');
    const seen = await call(b, 'GET', `/v1/organizations/service_accounts/${created.body.id}`, { headers: admin });
    assert.equal(seen.status, 200);
    assert.equal(seen.body.name, 'survivor');
    const restarted = await startInstance(databaseUrl);
    a = restarted;
    const again = await call(a, 'GET', `/v1/organizations/service_accounts/${created.body.id}`, { headers: admin });
    assert.equal(again.status, 200);
  });
});
