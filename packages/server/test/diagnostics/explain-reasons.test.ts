import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { STEP_OF_REASON, TRACE_STEPS } from '../../src/diagnostics/trace-steps.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Workspace } from '../../src/domain/types.ts';
import { DENY_REASONS, type DenyReason } from '../../src/exchange/deny-reasons.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import type { TestServer } from '../helpers/start-server.ts';
import { newSigningKey, TestIssuer } from '../helpers/test-issuer.ts';
import { asAdmin, startDiagnosticsServer } from './helpers.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
let jtiCounter = 0;
const jti = () => `explain-${process.pid}-${++jtiCounter}`;

/** Written out independently of src/diagnostics/trace-steps.ts, so a wrong mapping there fails here. */
const EXPECTED_STEP: Record<DenyReason, string> = {
  rule_archived: 'rule',
  issuer_archived: 'issuer',
  assertion_malformed: 'header',
  alg_not_allowed: 'header',
  kid_missing: 'header',
  issuer_mismatch: 'iss',
  kid_not_found: 'signature',
  jwks_unavailable: 'signature',
  signature_invalid: 'signature',
  sub_missing: 'required_claims',
  exp_missing: 'required_claims',
  expired: 'required_claims',
  iat_missing: 'required_claims',
  iat_in_future: 'required_claims',
  not_yet_valid: 'required_claims',
  lifetime_exceeded: 'lifetime',
  match_audience: 'audience',
  match_subject_prefix: 'subject_prefix',
  match_claims: 'claims',
  match_condition: 'condition',
  service_account_archived: 'service_account',
  service_account_mismatch: 'service_account',
  service_account_role: 'service_account',
  workspace_not_found: 'workspace',
  workspace_id_required: 'workspace',
  workspace_not_enabled: 'workspace',
  workspace_membership: 'workspace',
  jti_reused: 'replay',
};

interface Step {
  step: string;
  status: 'pass' | 'fail' | 'skipped';
  expected?: string;
  actual?: string;
  hint?: string;
}

/**
 * One dry run per reason code, each checked against the real exchange: the trace's reason is
 * the reason the exchange then records for the same assertion and request.
 */
describe('rule test explains every deny reason', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let workspaceA: Workspace;
  let workspaceB: Workspace;
  const tested = new Set<DenyReason>();

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start(['RS256', 'ES256']);
    const mk = async (name: string): Promise<Workspace> => {
      const w: Workspace = { ...(await server.stores.workspaces.getDefault(server.organizationId)), id: newId('workspace'), name, is_default: false };
      await server.stores.workspaces.insert(w);
      return w;
    };
    workspaceA = await mk('team-a');
    workspaceB = await mk('team-b');
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  const good = (extra: Record<string, unknown> = {}) => issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti(), ...extra });
  const fed = (options: Partial<Parameters<typeof seedFederation>[1]> = {}) =>
    seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' }, ...options });

  function assertWellFormed(trace: { steps: Step[] }) {
    assert.deepEqual(
      trace.steps.map((s) => s.step),
      [...TRACE_STEPS],
      'every pipeline step, in order',
    );
  }

  /** The dry run names `reason`; the real exchange of the same request then records exactly that. */
  async function expectTrace(reason: DenyReason, f: Federation, body: Record<string, unknown>, options: { exchange?: boolean } = {}) {
    tested.add(reason);
    const res = await asAdmin(server, 'POST', `/v1/organizations/federation_rules/${f.rule.id}/test`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const trace = res.body;
    assert.equal(trace.type, 'federation_rule_test');
    assert.equal(trace.rule_id, f.rule.id);
    assert.equal(trace.outcome, 'no_match');
    assert.equal(trace.reason, reason, JSON.stringify(trace.steps));
    assert.equal(trace.failed_step, EXPECTED_STEP[reason]);
    assertWellFormed(trace);
    const steps = trace.steps as Step[];
    const firstFail = steps.findIndex((s) => s.status === 'fail');
    assert.equal(steps[firstFail]?.step, EXPECTED_STEP[reason], 'the first failing step is the reason’s step');
    for (const earlier of steps.slice(0, firstFail)) assert.notEqual(earlier.status, 'fail');
    assert.ok(typeof steps[firstFail]?.hint === 'string' && steps[firstFail].hint.length > 0, 'a failing step explains itself');

    if (options.exchange !== false && typeof body.assertion === 'string') {
      const { assertion, ...extra } = body;
      const real = await exchange(server, f, assertion as string, extra);
      assert.equal(real.status, 401);
      assert.equal((await lastEvent(server, f.rule.id))?.reason, reason, 'the exchange records what the dry run predicted');
    }
    return { trace, step: (name: string) => steps.find((s) => s.step === name)! };
  }

  test('rule_archived: later independent steps are still evaluated', async () => {
    const f = await fed({ rule: { archived_at: new Date().toISOString() } });
    const { step } = await expectTrace('rule_archived', f, { assertion: await good() });
    assert.equal(step('signature').status, 'pass');
    assert.equal(step('subject_prefix').status, 'pass');
  });

  test('issuer_archived: verification is skipped, claims mode still matches', async () => {
    const f = await fed({ issuer: { archived_at: new Date().toISOString() } });
    const { step } = await expectTrace('issuer_archived', f, { assertion: await good() });
    assert.equal(step('signature').status, 'skipped');
    assert.equal(step('audience').status, 'skipped');
    await expectTrace('issuer_archived', f, { claims: { sub: 'workload-1', aud: DEFAULT_AUDIENCE } });
  });

  test('assertion_malformed: not three parts, JWE, non-JSON header', async () => {
    const f = await fed();
    for (const bad of ['abc', 'a.b.c.d.e', `${Buffer.from('not json').toString('base64url')}.${b64({})}.c2ln`]) {
      const { step } = await expectTrace('assertion_malformed', f, { assertion: bad });
      assert.equal(step('iss').status, 'skipped');
      assert.equal(step('audience').status, 'skipped');
    }
  });

  test('alg_not_allowed: alg none, HS256, crit, nested JWT', async () => {
    const f = await fed();
    const key = issuer.key('RS256');
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: issuer.url, sub: 'workload-1', aud: DEFAULT_AUDIENCE, iat: now, exp: now + 60 };
    const none = await expectTrace('alg_not_allowed', f, { assertion: `${b64({ alg: 'none', kid: key.kid })}.${b64(payload)}.` });
    assert.match(none.step('header').actual ?? '', /"none"/);
    const signingInput = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(payload)}`;
    const hmac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(signingInput).digest('base64url');
    await expectTrace('alg_not_allowed', f, { assertion: `${signingInput}.${hmac}` });
    await expectTrace('alg_not_allowed', f, { assertion: await issuer.signRaw({ alg: 'RS256', kid: key.kid, crit: ['exp'], exp: 1 }, payload) });
    await expectTrace('alg_not_allowed', f, { assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { header: { cty: 'JWT' } }) });
  });

  test('kid_missing: later verification steps are not reported as passed', async () => {
    const f = await fed();
    const { step } = await expectTrace('kid_missing', f, {
      assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { header: { kid: undefined } }),
    });
    for (const name of ['iss', 'signature', 'required_claims', 'lifetime']) assert.equal(step(name).status, 'skipped', name);
    assert.match(step('header').actual ?? '', /kid nothing \(claim missing\)/);
  });

  test('issuer_mismatch: header passes, iss fails with both values shown', async () => {
    const f = await fed();
    const { step } = await expectTrace('issuer_mismatch', f, { assertion: await good({ iss: 'https://elsewhere.example' }) });
    assert.equal(step('header').status, 'pass');
    assert.equal(step('iss').expected, JSON.stringify(issuer.url));
    assert.equal(step('iss').actual, '"https://elsewhere.example"');
    assert.equal(step('signature').status, 'skipped');
  });

  test('kid_not_found: an unpublished key, and an over-long kid (checked after iss)', async () => {
    const f = await fed();
    const stranger = await newSigningKey('RS256', 'unpublished');
    await expectTrace('kid_not_found', f, { assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { key: stranger }) });
    const longKid = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { header: { kid: 'k'.repeat(300) } });
    const { step } = await expectTrace('kid_not_found', f, { assertion: longKid });
    assert.equal(step('iss').status, 'pass', 'iss is compared before the key is looked up');
    const wrongIssuer = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, iss: 'https://wrong.example' }, { header: { kid: 'k'.repeat(300) } });
    await expectTrace('issuer_mismatch', f, { assertion: wrongIssuer });
  });

  test('jwks_unavailable', async () => {
    const f = await fed({ jwks: { type: 'explicit_url', url: 'http://127.0.0.1:1/jwks' } });
    await expectTrace('jwks_unavailable', f, { assertion: await good() });
  });

  test('signature_invalid: flipped bit and impostor key', async () => {
    const f = await fed();
    const [h, p, s] = (await good()).split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 1;
    const { step } = await expectTrace('signature_invalid', f, { assertion: `${h}.${p}.${sig.toString('base64url')}` });
    assert.equal(step('iss').status, 'pass');
    assert.equal(step('required_claims').status, 'skipped');
    const impostor = await newSigningKey('RS256', issuer.key('RS256').kid);
    await expectTrace('signature_invalid', f, { assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { key: impostor }) });
  });

  test('sub_missing, exp_missing, iat_missing', async () => {
    const f = await fed();
    await expectTrace('sub_missing', f, { assertion: await good({ sub: undefined }) });
    await expectTrace('exp_missing', f, { assertion: await good({ exp: undefined }) });
    await expectTrace('iat_missing', f, { assertion: await good({ iat: undefined }) });
  });

  test('expired, iat_in_future, not_yet_valid', async () => {
    const f = await fed();
    const now = Math.floor(Date.now() / 1000);
    await expectTrace('expired', f, {
      assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { now: now - 400, lifetimeSeconds: 300 }),
    });
    await expectTrace('iat_in_future', f, { assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { now: now + 120 }) });
    await expectTrace('not_yet_valid', f, { assertion: await good({ nbf: now + 120 }) });
  });

  test('lifetime_exceeded shows the lifetime against the issuer maximum', async () => {
    const f = await fed({ issuer: { max_jwt_lifetime_seconds: 600 } });
    const { step } = await expectTrace('lifetime_exceeded', f, {
      assertion: await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { lifetimeSeconds: 601 }),
    });
    assert.equal(step('lifetime').actual, 'exp − iat = 601 s');
    assert.match(step('lifetime').expected ?? '', /≤ 600 s/);
    assert.equal(step('required_claims').status, 'pass');
  });

  test('match_audience (assertion and claims)', async () => {
    const f = await fed({ match: { subject_prefix: 'workload-1', audience: 'api://app-1' } });
    const { step } = await expectTrace('match_audience', f, { assertion: await good({ aud: 'api://app-2' }) });
    assert.equal(step('audience').expected, '"api://app-1"');
    assert.equal(step('subject_prefix').status, 'pass', 'the other matchers are still evaluated');
    await expectTrace('match_audience', f, { claims: { sub: 'workload-1', aud: 'api://app-2' } });
  });

  test('match_subject_prefix', async () => {
    const f = await fed({ match: { subject_prefix: 'repo:acme/*' } });
    await expectTrace('match_subject_prefix', f, { assertion: await good({ sub: 'repo:evil/app' }) });
  });

  test('match_claims', async () => {
    const f = await fed({ match: { claims: { tid: 'tenant-1', oid: 'object-1' } } });
    const { step } = await expectTrace('match_claims', f, { assertion: await good({ tid: 'tenant-1', oid: 'object-2' }) });
    assert.equal(step('subject_prefix').status, 'skipped', 'not configured in the rule');
    assert.match(step('claims').hint ?? '', /oid/);
  });

  test('match_condition: false, and a stored match that no longer compiles', async () => {
    const f = await fed({ match: { condition: 'claims.env == "prod"' } });
    const { step } = await expectTrace('match_condition', f, { assertion: await good({ env: 'dev' }) });
    assert.equal(step('condition').expected, '"claims.env == \\"prod\\""');
    const broken = await fed({ match: { subject_prefix: 'workload-1', condition: 'claims.env ==' } });
    const res = await expectTrace('match_condition', broken, { claims: { sub: 'workload-1', aud: DEFAULT_AUDIENCE } });
    assert.match(res.step('condition').hint ?? '', /no longer compiles/);
  });

  test('service_account_archived, service_account_mismatch, service_account_role', async () => {
    const archived = await fed({ serviceAccount: { archived_at: new Date().toISOString() } });
    const { step } = await expectTrace('service_account_archived', archived, { assertion: await good() });
    assert.equal(step('workspace').status, 'skipped');
    const f = await fed();
    await expectTrace('service_account_mismatch', f, { assertion: await good(), service_account_id: newId('serviceAccount') });
    const demoted = await fed({ rule: { oauth_scope: 'org:admin' }, serviceAccount: { organization_role: 'developer' } });
    await expectTrace('service_account_role', demoted, { assertion: await good() });
  });

  test('workspace_not_found, workspace_not_enabled, workspace_id_required, workspace_membership', async () => {
    const f = await fed();
    await expectTrace('workspace_not_found', f, { assertion: await good(), workspace_id: newId('workspace') });
    await expectTrace('workspace_not_enabled', f, { assertion: await good(), workspace_id: workspaceA.id });
    const two = await fed({ rule: { workspace_ids: [workspaceA.id, workspaceB.id] } });
    await server.stores.memberships.upsert({
      service_account_id: two.serviceAccount.id,
      workspace_id: workspaceA.id,
      workspace_role: 'workspace_developer',
      created_at: new Date().toISOString(),
      created_by_actor_id: null,
    });
    const required = await expectTrace('workspace_id_required', two, { assertion: await good() });
    assert.equal(required.step('service_account').status, 'pass');
    await expectTrace('workspace_membership', two, { assertion: await good(), workspace_id: workspaceB.id });
  });

  test('jti_reused cannot be seen without consuming the jti: the replay step says so', async () => {
    tested.add('jti_reused');
    const f = await fed();
    const token = await good();
    assert.equal((await exchange(server, f, token)).status, 200);
    const res = await asAdmin(server, 'POST', `/v1/organizations/federation_rules/${f.rule.id}/test`, { assertion: token });
    assert.equal(res.status, 200);
    assert.equal(res.body.outcome, 'match');
    assertWellFormed(res.body);
    const replay = (res.body.steps as Step[]).find((s) => s.step === 'replay')!;
    assert.equal(replay.status, 'skipped');
    assert.match(replay.hint ?? '', /^skipped \(dry run\)/);
    assert.match(replay.actual ?? '', /explain-/);
    assert.equal(STEP_OF_REASON.jti_reused, EXPECTED_STEP.jti_reused);
    const again = await exchange(server, f, token);
    assert.equal(again.status, 401);
    assert.equal((await lastEvent(server, f.rule.id))?.reason, 'jti_reused');
  });

  test('every reason in the catalog has an explain test above', () => {
    assert.deepEqual([...tested].sort(), (Object.keys(DENY_REASONS) as DenyReason[]).sort());
  });
});
