import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.ts';
import type { Workspace } from '../../src/domain/types.ts';
import { DENY_REASONS, type DenyReason } from '../../src/exchange/deny-reasons.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey, TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, OPAQUE_401, seedFederation, type Federation } from '../helpers/federation-fixture.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
let jtiCounter = 0;
const jti = () => `jti-${process.pid}-${++jtiCounter}`;

/**
 * One test per reason code: the caller sees only the opaque 401, and the authentication event
 * records the reason (spec §5.3, §5.4).
 */
describe('every deny reason', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let workspaceA: Workspace;
  let workspaceB: Workspace;

  before(async () => {
    server = await startTestServer();
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
  const tested = new Set<DenyReason>();

  async function expectDenied(reason: DenyReason, fed: Federation, assertion: string, extra: Record<string, unknown> = {}) {
    tested.add(reason);
    const res = await exchange(server, fed, assertion, extra);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.deepEqual({ type: res.body.type, error: res.body.error }, OPAQUE_401);
    const event = await lastEvent(server, fed.rule.id);
    assert.ok(event, 'an event is recorded');
    assert.equal(event.outcome, 'denied');
    assert.equal(event.reason, reason);
    assert.equal(event.request_id, res.body.request_id);
    assert.equal(event.federation_rule_id, fed.rule.id);
    return event;
  }

  const fed = (options: Parameters<typeof seedFederation>[1] extends infer O ? Partial<O> : never = {}) =>
    seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' }, ...options });

  test('rule_archived', async () => {
    const f = await fed({ rule: { archived_at: new Date().toISOString() } });
    await expectDenied('rule_archived', f, await good());
  });

  test('issuer_archived', async () => {
    const f = await fed({ issuer: { archived_at: new Date().toISOString() } });
    const event = await expectDenied('issuer_archived', f, await good());
    assert.equal(event.claims, null, 'nothing was verified');
  });

  test('assertion_malformed: not three parts, JWE, non-base64url, non-JSON header', async () => {
    const f = await fed();
    for (const bad of ['abc', 'a.b.c.d.e', 'eyJ!.eyJ.sig', `${Buffer.from('not json').toString('base64url')}.${b64({})}.c2ln`]) {
      await expectDenied('assertion_malformed', f, bad);
    }
    await expectDenied('assertion_malformed', f, await good({ sub: 'workload-1\u0000admin' }));
  });

  test('alg_not_allowed: alg none, HS256 signed with the public key, crit, nested JWT', async () => {
    const f = await fed();
    const key = issuer.key('RS256');
    const payload = { iss: issuer.url, sub: 'workload-1', aud: DEFAULT_AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 };
    await expectDenied('alg_not_allowed', f, `${b64({ alg: 'none', kid: key.kid })}.${b64(payload)}.`);
    const signingInput = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(payload)}`;
    const hmac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(signingInput).digest('base64url');
    await expectDenied('alg_not_allowed', f, `${signingInput}.${hmac}`);
    await expectDenied('alg_not_allowed', f, await issuer.signRaw({ alg: 'RS256', kid: key.kid, crit: ['exp'], exp: 1 }, payload));
    await expectDenied('alg_not_allowed', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { header: { cty: 'JWT' } }));
  });

  test('kid_missing', async () => {
    const f = await fed();
    await expectDenied('kid_missing', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { header: { kid: undefined } }));
  });

  test('issuer_mismatch: trailing slash and case differences are mismatches', async () => {
    const f = await fed();
    await expectDenied('issuer_mismatch', f, await good({ iss: `${issuer.url}/` }));
    await expectDenied('issuer_mismatch', f, await good({ iss: issuer.url.toUpperCase() }));
    await expectDenied('issuer_mismatch', f, await good({ iss: undefined }));
  });

  test('kid_not_found: a key the issuer never published', async () => {
    const f = await fed();
    const stranger = await newSigningKey('RS256', 'unpublished');
    await expectDenied('kid_not_found', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { key: stranger }));
  });

  test('jwks_unavailable: the key endpoint cannot be reached', async () => {
    const f = await fed({ jwks: { type: 'explicit_url', url: 'http://127.0.0.1:1/jwks' } });
    await expectDenied('jwks_unavailable', f, await good());
  });

  test('signature_invalid: flipped bit, stripped signature, key of another issuer under a known kid', async () => {
    const f = await fed();
    const token = await good();
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 1;
    await expectDenied('signature_invalid', f, `${h}.${p}.${sig.toString('base64url')}`);
    const impostor = await newSigningKey('RS256', issuer.key('RS256').kid);
    await expectDenied('signature_invalid', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { key: impostor }));
    const tampered = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'workload-1-admin' });
    await expectDenied('signature_invalid', f, `${h}.${tampered}.${s}`);
  });

  test('sub_missing, exp_missing, iat_missing', async () => {
    const f = await fed();
    await expectDenied('sub_missing', f, await good({ sub: undefined }));
    await expectDenied('sub_missing', f, await good({ sub: ['workload-1'] }));
    await expectDenied('exp_missing', f, await good({ exp: undefined }));
    await expectDenied('exp_missing', f, await good({ exp: String(Math.floor(Date.now() / 1000) + 60) }));
    await expectDenied('iat_missing', f, await good({ iat: undefined }));
  });

  test('expired, iat_in_future, not_yet_valid (30 s leeway)', async () => {
    const f = await fed();
    const now = Math.floor(Date.now() / 1000);
    await expectDenied('expired', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { now: now - 400, lifetimeSeconds: 300 }));
    await expectDenied('iat_in_future', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { now: now + 120 }));
    await expectDenied('not_yet_valid', f, await good({ nbf: now + 120 }));
    // Inside the leeway both are fine.
    const ok = await exchange(server, f, await good({ nbf: now + 20, iat: now + 20 }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('lifetime_exceeded: exp − iat over the issuer maximum, and exp before iat', async () => {
    const f = await fed({ issuer: { max_jwt_lifetime_seconds: 600 } });
    await expectDenied('lifetime_exceeded', f, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }, { lifetimeSeconds: 601 }));
    const now = Math.floor(Date.now() / 1000);
    await expectDenied('lifetime_exceeded', f, await good({ iat: now, exp: now - 15 }));
  });

  test('match_audience: default audience enforced when the rule has none', async () => {
    const f = await fed();
    await expectDenied('match_audience', f, await good({ aud: 'https://evil.example' }));
    await expectDenied('match_audience', f, await good({ aud: undefined }));
    const explicit = await fed({ match: { subject_prefix: 'workload-1', audience: 'api://app-1' } });
    await expectDenied('match_audience', explicit, await good({ aud: DEFAULT_AUDIENCE }));
    const ok = await exchange(server, explicit, await good({ aud: ['other', 'api://app-1'] }));
    assert.equal(ok.status, 200, 'any element of an aud array may match');
  });

  test('match_subject_prefix', async () => {
    const f = await fed({ match: { subject_prefix: 'repo:acme/*' } });
    await expectDenied('match_subject_prefix', f, await good({ sub: 'repo:evil/app' }));
    const exact = await fed({ match: { subject_prefix: 'workload-1' } });
    await expectDenied('match_subject_prefix', exact, await good({ sub: 'workload-10' }));
  });

  test('match_claims: absent, different, or not a string', async () => {
    const f = await fed({ match: { claims: { tid: 'tenant-1', oid: 'object-1' } } });
    await expectDenied('match_claims', f, await good({ tid: 'tenant-1' }));
    await expectDenied('match_claims', f, await good({ tid: 'tenant-1', oid: 'object-2' }));
    await expectDenied('match_claims', f, await good({ tid: ['tenant-1'], oid: 'object-1' }));
  });

  test('match_condition: false, and a run-time error', async () => {
    const f = await fed({ match: { condition: 'claims.env == "prod"' } });
    await expectDenied('match_condition', f, await good({ env: 'dev' }));
    await expectDenied('match_condition', f, await good({}));
    const ok = await exchange(server, f, await good({ env: 'prod' }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('service_account_archived, service_account_mismatch, service_account_role', async () => {
    const archived = await fed({ serviceAccount: { archived_at: new Date().toISOString() } });
    await expectDenied('service_account_archived', archived, await good());
    const f = await fed();
    await expectDenied('service_account_mismatch', f, await good(), { service_account_id: newId('serviceAccount') });
    const demoted = await fed({ rule: { oauth_scope: 'org:admin' }, serviceAccount: { organization_role: 'developer' } });
    await expectDenied('service_account_role', demoted, await good());
  });

  test('workspace_not_found, workspace_not_enabled, workspace_id_required, workspace_membership', async () => {
    const f = await fed();
    await expectDenied('workspace_not_found', f, await good(), { workspace_id: newId('workspace') });
    await expectDenied('workspace_not_enabled', f, await good(), { workspace_id: workspaceA.id });
    const two = await fed({ rule: { workspace_ids: [workspaceA.id, workspaceB.id] } });
    await server.stores.memberships.upsert({
      service_account_id: two.serviceAccount.id,
      workspace_id: workspaceA.id,
      workspace_role: 'workspace_developer',
      created_at: new Date().toISOString(),
      created_by_actor_id: null,
    });
    await expectDenied('workspace_id_required', two, await good());
    await expectDenied('workspace_membership', two, await good(), { workspace_id: workspaceB.id });
    const ok = await exchange(server, two, await good(), { workspace_id: workspaceA.id });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('jti_reused: the second exchange of one assertion fails, the first succeeded', async () => {
    const f = await fed();
    const token = await good();
    const first = await exchange(server, f, token);
    assert.equal(first.status, 200);
    await expectDenied('jti_reused', f, token);
  });

  test('every reason in the catalog has a test above', () => {
    assert.deepEqual([...tested].sort(), (Object.keys(DENY_REASONS) as DenyReason[]).sort());
  });
});
