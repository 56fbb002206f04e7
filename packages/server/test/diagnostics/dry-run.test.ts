import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TRACE_STEPS } from '../../src/diagnostics/trace-steps.ts';
import { newId } from '../../src/domain/ids.ts';
import { DEFAULT_AUDIENCE, eventCount, exchange, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { call, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { addOrganization, asAdmin, startDiagnosticsServer } from './helpers.ts';

const RULES = '/v1/organizations/federation_rules';
let jtiCounter = 0;
const jti = () => `dry-${process.pid}-${++jtiCounter}`;

interface Step {
  step: string;
  status: string;
  hint?: string;
  actual?: string;
}

describe('POST /v1/organizations/federation_rules/{id}/test', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let other: { organizationId: string; adminToken: string };
  let workloadToken: string;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    other = await addOrganization(server);
    const ok = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }));
    assert.equal(ok.status, 200);
    workloadToken = ok.body.access_token;
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  const testRule = (ruleId: string, body: unknown) => asAdmin(server, 'POST', `${RULES}/${ruleId}/test`, body);

  test('a dry run consumes no jti and stores no event: the same assertion then exchanges', async () => {
    const assertion = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() });
    const eventsBefore = await eventCount(server, fed.rule.id);
    for (let i = 0; i < 2; i++) {
      const res = await testRule(fed.rule.id, { assertion });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'match');
      assert.equal(res.body.reason, null);
      assert.equal(res.body.failed_step, null);
      assert.equal(res.body.mode, 'assertion');
      const steps = res.body.steps as Step[];
      assert.deepEqual(
        steps.map((s) => s.step),
        [...TRACE_STEPS],
      );
      const notPassed = steps.filter((s) => s.status !== 'pass').map((s) => s.step);
      assert.deepEqual(notPassed, ['claims', 'condition', 'replay'], 'unconfigured matchers and the replay check are skipped');
      assert.match(steps.find((s) => s.step === 'replay')!.hint!, /^skipped \(dry run\)/);
    }
    assert.equal(await eventCount(server, fed.rule.id), eventsBefore, 'no event was stored');
    const real = await exchange(server, fed, assertion);
    assert.equal(real.status, 200, 'the jti was not consumed by the dry run');
    assert.equal(await eventCount(server, fed.rule.id), eventsBefore + 1);
  });

  test('claims mode: matching only, verification steps skipped', async () => {
    const res = await testRule(fed.rule.id, { claims: { sub: 'workload-1', aud: DEFAULT_AUDIENCE } });
    assert.equal(res.status, 200);
    assert.equal(res.body.outcome, 'match');
    assert.equal(res.body.mode, 'claims');
    const steps = res.body.steps as Step[];
    for (const name of ['header', 'iss', 'signature', 'required_claims', 'lifetime']) {
      const step = steps.find((s) => s.step === name)!;
      assert.equal(step.status, 'skipped');
      assert.match(step.hint!, /claims were given/);
    }
    const denied = await testRule(fed.rule.id, { claims: { sub: 'workload-2', aud: DEFAULT_AUDIENCE } });
    assert.equal(denied.body.reason, 'match_subject_prefix');
  });

  test('workspace_id and service_account_id are applied as in the exchange', async () => {
    const right = await testRule(fed.rule.id, {
      claims: { sub: 'workload-1', aud: DEFAULT_AUDIENCE },
      workspace_id: 'default',
      service_account_id: fed.serviceAccount.id,
    });
    assert.equal(right.body.outcome, 'match');
    const workspace = (right.body.steps as Step[]).find((s) => s.step === 'workspace')!;
    assert.match(workspace.actual!, new RegExp(fed.defaultWorkspaceId));
    const wrong = await testRule(fed.rule.id, { claims: { sub: 'workload-1', aud: DEFAULT_AUDIENCE }, service_account_id: newId('serviceAccount') });
    assert.equal(wrong.body.reason, 'service_account_mismatch');
  });

  test('bad bodies are 400s with a clear message', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /Send assertion .* or claims/],
      [{ assertion: 'a.b.c', claims: { sub: 'x' } }, /either assertion or claims, not both/],
      [{ claims: ['sub'] }, /claims/],
      [{ claims: 'sub' }, /claims/],
      [{ claims: { blob: 'x'.repeat(17_000) } }, /claims: must be at most 16384 bytes/],
      [{ assertion: 'x'.repeat(16_385) }, /assertion/],
      [{ assertion: '' }, /assertion/],
      [{ assertion: 'a.b.c', workspace_id: 'team-a' }, /workspace_id: must be a workspace ID/],
      [{ assertion: 'a.b.c', service_account_id: 'admin' }, /service_account_id: must be a service account ID/],
      [{ assertion: 'a.b.c', grant_type: 'x' }, /grant_type: Extra inputs are not permitted/],
    ];
    for (const [body, message] of cases) {
      const res = await testRule(fed.rule.id, body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, message);
    }
    const notJson = await call(server, 'POST', `${RULES}/${fed.rule.id}/test`, {
      raw: '{"assertion":',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    const huge = await call(server, 'POST', `${RULES}/${fed.rule.id}/test`, {
      raw: JSON.stringify({ claims: { blob: 'x'.repeat(70_000) } }),
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 413);
  });

  test('unknown rules and rules of another organization are 404', async () => {
    const unknown = await testRule('fdrl_01nosuchrule', { claims: { sub: 'x' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.type, 'not_found_error');
    const foreign = await call(server, 'POST', `${RULES}/${fed.rule.id}/test`, {
      body: { claims: { sub: 'workload-1' } },
      headers: { authorization: `Bearer ${other.adminToken}` },
    });
    assert.equal(foreign.status, 404);
    const foreignLint = await call(server, 'GET', `${RULES}/${fed.rule.id}/lint`, { headers: { authorization: `Bearer ${other.adminToken}` } });
    assert.equal(foreignLint.status, 404);
  });

  test('401 without or with a bad credential, 403 for a token without org:admin, on every diagnostic route', async () => {
    const routes: [string, string, unknown][] = [
      ['POST', `${RULES}/${fed.rule.id}/test`, { claims: { sub: 'workload-1' } }],
      ['POST', `${RULES}/test`, { claims: { sub: 'workload-1' } }],
      ['GET', `${RULES}/${fed.rule.id}/lint`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const withBody = body === undefined ? {} : { body };
      const none = await call(server, method, path, withBody);
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.equal(none.body.error.type, 'authentication_error');
      const bad = await call(server, method, path, { ...withBody, headers: { authorization: 'Bearer owif-admin-nope' } });
      assert.equal(bad.status, 401);
      const workload = await call(server, method, path, { ...withBody, headers: { authorization: `Bearer ${workloadToken}` } });
      assert.equal(workload.status, 403, `${method} ${path}: ${JSON.stringify(workload.body)}`);
      assert.equal(workload.body.error.type, 'permission_error');
    }
  });

  test('the rule update route still answers beside the static /test path', async () => {
    const res = await asAdmin(server, 'GET', `${RULES}/${fed.rule.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, fed.rule.id);
  });
});

describe('POST /v1/organizations/federation_rules/test (every rule)', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let otherIssuer: TestIssuer;
  let matching: Federation;
  let wrongSubject: Federation;
  let archived: Federation;
  let elsewhere: Federation;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
    otherIssuer = await TestIssuer.start();
    matching = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-*' } });
    // Same issuer URL, a second issuer object: its rules are candidates too.
    wrongSubject = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'batch-*' } });
    archived = await seedFederation(server, {
      issuerUrl: issuer.url,
      match: { subject_prefix: 'workload-*' },
      rule: { archived_at: new Date().toISOString() },
    });
    elsewhere = await seedFederation(server, { issuerUrl: otherIssuer.url, match: { subject_prefix: 'workload-*' } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
    await otherIssuer.close();
  });

  const testAll = (body: unknown) => asAdmin(server, 'POST', '/v1/organizations/federation_rules/test', body);

  test('an assertion is tested against the live rules of issuers with its exact iss', async () => {
    const assertion = await issuer.sign({ sub: 'workload-7', aud: DEFAULT_AUDIENCE, jti: jti() });
    const res = await testAll({ assertion });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.type, 'federation_rules_test');
    assert.equal(res.body.mode, 'assertion');
    assert.equal(res.body.iss, issuer.url);
    assert.deepEqual(res.body.matched_rule_ids, [matching.rule.id]);
    const ids = res.body.results.map((r: { rule_id: string }) => r.rule_id).sort();
    assert.deepEqual(ids, [matching.rule.id, wrongSubject.rule.id].sort(), 'archived rules and other issuers are not candidates');
    const miss = res.body.results.find((r: { rule_id: string }) => r.rule_id === wrongSubject.rule.id);
    assert.equal(miss.outcome, 'no_match');
    assert.equal(miss.failed_step, 'subject_prefix');
    assert.equal(miss.reason, 'match_subject_prefix');
    assert.match(miss.hint, /differs after 0 matching characters/);
    assert.equal(res.body.truncated, false);
    assert.ok(!res.body.results.some((r: { rule_id: string }) => r.rule_id === archived.rule.id || r.rule_id === elsewhere.rule.id));
    // Still a dry run: the assertion exchanges afterwards.
    assert.equal((await exchange(server, matching, assertion)).status, 200);
  });

  test('a token that verifies for no rule lists each rule’s first failing step', async () => {
    const res = await testAll({ assertion: await issuer.sign({ sub: 'workload-7', aud: 'https://nope.example', jti: jti() }) });
    assert.deepEqual(res.body.matched_rule_ids, []);
    assert.equal(res.body.results.length, 2);
    assert.ok(res.body.results.every((r: { failed_step: string }) => r.failed_step === 'audience'));
  });

  test('no issuer has the exact iss: no candidates, near issuers named', async () => {
    const res = await testAll({ assertion: await issuer.sign({ sub: 'workload-7', aud: DEFAULT_AUDIENCE, iss: `${issuer.url}/` }) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.results, []);
    assert.equal(res.body.issuer_hints.length, 3, 'every live issuer registered with that URL is named');
    assert.ok(res.body.issuer_hints.every((h: { issuer_url: string; hint: string }) => h.issuer_url === issuer.url && /slash/.test(h.hint)));
    const noIss = await testAll({ assertion: await issuer.sign({ sub: 'workload-7', iss: undefined }) });
    assert.equal(noIss.body.iss, null);
    assert.deepEqual(noIss.body.results, []);
    const garbage = await testAll({ assertion: 'not-a-jwt' });
    assert.equal(garbage.status, 200);
    assert.deepEqual(garbage.body.results, []);
  });

  test('claims are tested against every live rule of the organization', async () => {
    const res = await testAll({ claims: { sub: 'workload-3', aud: DEFAULT_AUDIENCE } });
    assert.equal(res.status, 200);
    assert.equal(res.body.mode, 'claims');
    assert.deepEqual([...res.body.matched_rule_ids].sort(), [matching.rule.id, elsewhere.rule.id].sort());
    assert.equal(res.body.results.length, 3);
  });

  test('bad bodies are 400s', async () => {
    assert.equal((await testAll({})).status, 400);
    assert.equal((await testAll({ claims: { sub: 'x' }, assertion: 'a.b.c' })).status, 400);
    assert.equal((await testAll({ claims: { sub: 'x' }, workspace_id: 'nope' })).status, 400);
  });
});

describe('POST /v1/organizations/federation_rules/test is bounded', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
    // One issuer per rule, all with the same URL: the cap is reached across issuers.
    for (let i = 0; i < 101; i++) await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: `workload-${i}` } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('at most 100 rules are tested, and truncated says so', async () => {
    const byClaims = await asAdmin(server, 'POST', '/v1/organizations/federation_rules/test', { claims: { sub: 'workload-0', aud: DEFAULT_AUDIENCE } });
    assert.equal(byClaims.status, 200);
    assert.equal(byClaims.body.results.length, 100);
    assert.equal(byClaims.body.truncated, true);
    const byAssertion = await asAdmin(server, 'POST', '/v1/organizations/federation_rules/test', {
      assertion: await issuer.sign({ sub: 'workload-100', aud: DEFAULT_AUDIENCE }),
    });
    assert.equal(byAssertion.status, 200);
    assert.equal(byAssertion.body.results.length, 100);
    assert.equal(byAssertion.body.truncated, true);
    // Newest first: the last-created rule (workload-100) is among those tested, and matches.
    assert.equal(byAssertion.body.matched_rule_ids.length, 1);
  });
});

describe('GET /v1/organizations/federation_rules/{id}/lint', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('a broad rule gets its warnings, a tight one none', async () => {
    const broad = await seedFederation(server, {
      issuerUrl: issuer.url,
      match: { subject_prefix: 'system:serviceaccount:prod*' },
      rule: { oauth_scope: 'org:admin', token_lifetime_seconds: 7200 },
      serviceAccount: { organization_role: 'admin' },
    });
    const res = await asAdmin(server, 'GET', `/v1/organizations/federation_rules/${broad.rule.id}/lint`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.type, 'federation_rule_lint');
    assert.equal(res.body.rule_id, broad.rule.id);
    const codes = res.body.warnings.map((w: { code: string }) => w.code).sort();
    assert.deepEqual(codes, ['admin_scope', 'kubernetes_wildcard_namespace', 'long_token_lifetime', 'no_audience']);
    for (const warning of res.body.warnings) {
      assert.equal(warning.severity, 'warning');
      assert.equal(typeof warning.field, 'string');
      assert.ok(warning.message.length > 0);
    }
    const tight = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1', audience: 'api://app' } });
    const clean = await asAdmin(server, 'GET', `/v1/organizations/federation_rules/${tight.rule.id}/lint`);
    assert.deepEqual(clean.body, { type: 'federation_rule_lint', rule_id: tight.rule.id, warnings: [] });
  });

  test('unknown rule is 404', async () => {
    const res = await asAdmin(server, 'GET', '/v1/organizations/federation_rules/fdrl_01nosuchrule/lint');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.type, 'not_found_error');
  });
});
