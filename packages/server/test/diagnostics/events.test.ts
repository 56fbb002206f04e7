import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_AUDIENCE, exchange, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { call, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { addOrganization, asAdmin, startDiagnosticsServer, storedEvent } from './helpers.ts';

const EVENTS = '/v1/organizations/federation_events';
const WIRE_KEYS = [
  'type',
  'id',
  'created_at',
  'request_id',
  'outcome',
  'reason',
  'detail',
  'federation_rule_id',
  'issuer_id',
  'service_account_id',
  'workspace_id',
  'requested_service_account_id',
  'subject',
  'jti',
  'claims',
  'ip_address',
  'user_agent',
].sort();

let jtiCounter = 0;
const jti = () => `events-${process.pid}-${++jtiCounter}`;

describe('GET /v1/organizations/federation_events', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let ruleA: Federation;
  let ruleB: Federation;
  let other: { organizationId: string; adminToken: string };
  let workloadToken: string;
  let successAssertion: string;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
    ruleA = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-a' } });
    ruleB = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-b' } });
    // Real exchanges: ruleA gets one success and two subject denials, ruleB one audience denial.
    successAssertion = await issuer.sign({ sub: 'workload-a', aud: DEFAULT_AUDIENCE, jti: jti() });
    const ok = await exchange(server, ruleA, successAssertion);
    assert.equal(ok.status, 200);
    workloadToken = ok.body.access_token;
    for (const sub of ['workload-x', 'workload-y']) {
      assert.equal((await exchange(server, ruleA, await issuer.sign({ sub, aud: DEFAULT_AUDIENCE, jti: jti() }))).status, 401);
    }
    assert.equal((await exchange(server, ruleB, await issuer.sign({ sub: 'workload-b', aud: 'https://other.example', jti: jti() }))).status, 401);

    other = await addOrganization(server);
    await server.stores.authEvents.record(storedEvent(other.organizationId, { created_at: new Date().toISOString(), federation_rule_id: ruleA.rule.id }));
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  const list = (query = '') => asAdmin(server, 'GET', `${EVENTS}${query}`);

  test('lists the organization’s events newest first, in the wire shape', async () => {
    const res = await list();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.next_page, null);
    assert.equal(res.body.data.length, 4, 'the other organization’s event is not listed');
    const times = res.body.data.map((e: { created_at: string }) => e.created_at);
    assert.deepEqual(times, [...times].sort().reverse());
    for (const event of res.body.data) {
      assert.deepEqual(Object.keys(event).sort(), WIRE_KEYS);
      assert.equal(event.type, 'federation_authentication_event');
      assert.match(event.id, /^fdev_/);
    }
    const success = res.body.data.find((e: { outcome: string }) => e.outcome === 'success');
    assert.equal(success.federation_rule_id, ruleA.rule.id);
    assert.equal(success.issuer_id, ruleA.issuer.id);
    assert.equal(success.service_account_id, ruleA.serviceAccount.id);
    assert.equal(success.workspace_id, ruleA.defaultWorkspaceId);
    assert.equal(success.subject, 'workload-a');
    assert.equal(success.claims.sub, 'workload-a');
    assert.equal(success.reason, null);
    assert.ok(!JSON.stringify(res.body).includes(successAssertion.split('.')[2]!), 'the raw assertion is never exposed');
  });

  test('filters: federation_rule_id, issuer_id, outcome, reason, and their combination', async () => {
    const byRule = await list(`?federation_rule_id=${ruleB.rule.id}`);
    assert.deepEqual(
      byRule.body.data.map((e: { reason: string }) => e.reason),
      ['match_audience'],
    );
    const byIssuer = await list(`?issuer_id=${ruleA.issuer.id}`);
    assert.equal(byIssuer.body.data.length, 3);
    assert.ok(byIssuer.body.data.every((e: { issuer_id: string }) => e.issuer_id === ruleA.issuer.id));
    const denied = await list('?outcome=denied');
    assert.equal(denied.body.data.length, 3);
    const success = await list('?outcome=success');
    assert.equal(success.body.data.length, 1);
    const subject = await list('?reason=match_subject_prefix');
    assert.equal(subject.body.data.length, 2);
    const combined = await list(`?federation_rule_id=${ruleA.rule.id}&outcome=denied&reason=match_audience`);
    assert.deepEqual(combined.body.data, []);
    const unknownRule = await list('?federation_rule_id=fdrl_01nosuchrule');
    assert.deepEqual(unknownRule.body, { data: [], next_page: null });
  });

  test('created_after / created_before are exclusive bounds, in any RFC 3339 offset', async () => {
    const rule = ruleA.rule.id;
    for (const ms of ['000', '001', '002']) {
      await server.stores.authEvents.record(
        storedEvent(server.organizationId, { created_at: `2025-03-01T10:00:00.${ms}Z`, federation_rule_id: rule, reason: 'expired' }),
      );
    }
    const times = async (query: string) => {
      const res = await list(`?reason=expired&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.map((e: { created_at: string }) => e.created_at.slice(20, 23));
    };
    assert.deepEqual(await times('created_after=2025-03-01T10:00:00.000Z'), ['002', '001']);
    assert.deepEqual(await times('created_before=2025-03-01T10:00:00.002Z'), ['001', '000']);
    assert.deepEqual(await times('created_after=2025-03-01T10:00:00.0005Z&created_before=2025-03-01T10:00:00.0015Z'), ['001']);
    assert.deepEqual(await times(`created_after=${encodeURIComponent('2025-03-01T11:59:59.999+02:00')}`), ['002', '001', '000']);
    assert.deepEqual(await times(`created_before=${encodeURIComponent('2025-03-01T05:00:00.002-05:00')}`), ['001', '000']);
    assert.deepEqual(await times(`created_before=${encodeURIComponent('2025-03-01T05:00:00-05:00')}`), []);
    assert.deepEqual(await times('created_after=2025-03-02T00:00:00Z'), []);
    assert.deepEqual(await times('created_after=2025-03-01T12:00:00.001+02:00'), ['002'], 'an unencoded + offset still parses');
  });

  test('pagination: limit and page walk every event once, newest first', async () => {
    const seen: string[] = [];
    let page: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=2${page ? `&page=${encodeURIComponent(page)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.data.length <= 2);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      page = res.body.next_page;
      pages++;
    } while (page !== null && pages < 20);
    const all = await list('?limit=100');
    assert.deepEqual(
      seen,
      all.body.data.map((e: { id: string }) => e.id),
    );
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(pages >= 4);
  });

  test('the default page size is 20', async () => {
    for (let i = 0; i < 21; i++) {
      await server.stores.authEvents.record(
        storedEvent(server.organizationId, {
          created_at: `2024-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
          federation_rule_id: ruleB.rule.id,
          reason: 'iat_missing',
        }),
      );
    }
    const first = await list('?reason=iat_missing');
    assert.equal(first.body.data.length, 20);
    assert.equal(typeof first.body.next_page, 'string');
    const second = await list(`?reason=iat_missing&page=${encodeURIComponent(first.body.next_page)}`);
    assert.equal(second.body.data.length, 1);
    assert.equal(second.body.data[0].created_at, '2024-01-01T00:00:00.000Z');
    assert.equal(second.body.next_page, null);
  });

  test('bad query parameters are 400s naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['?page=%25%25not-a-cursor', /page/],
      ['?limit=0', /limit/],
      ['?limit=101', /limit/],
      ['?limit=ten', /limit/],
      ['?outcome=maybe', /outcome/],
      ['?reason=match_subjectprefix', /reason: unknown reason code/],
      ['?created_after=yesterday', /created_after: must be an RFC 3339/],
      ['?created_before=2025-02-30T00:00:00Z', /created_before: .* is not a valid date-time/],
      ['?created_after=2025-03-01T10:00:00', /created_after/],
      ['?created_after=2025-03-02T00:00:00Z&created_before=2025-03-01T00:00:00Z', /created_after: must be earlier/],
      ['?created_before=0099-01-01T00:00:00Z', /created_before/],
    ];
    for (const [query, message] of cases) {
      const res = await list(query);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, message, query);
    }
  });

  test('GET one event; unknown and other-organization IDs are 404', async () => {
    const newest = (await list('?limit=1')).body.data[0];
    const one = await asAdmin(server, 'GET', `${EVENTS}/${newest.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, newest);
    assert.equal((await asAdmin(server, 'GET', `${EVENTS}/fdev_01nosuchevent`)).status, 404);
    const foreign = (await server.stores.authEvents.list(other.organizationId, { limit: 1, cursor: null, ruleId: null, outcome: null, reason: null }))
      .items[0]!;
    const res = await asAdmin(server, 'GET', `${EVENTS}/${foreign.id}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.type, 'not_found_error');
  });

  test('another organization’s admin sees only its own events', async () => {
    const res = await call(server, 'GET', EVENTS, { headers: { authorization: `Bearer ${other.adminToken}` } });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.length, 1);
    assert.equal(res.body.data[0].federation_rule_id, ruleA.rule.id);
    const ours = (await list('?limit=1')).body.data[0];
    assert.equal((await call(server, 'GET', `${EVENTS}/${ours.id}`, { headers: { authorization: `Bearer ${other.adminToken}` } })).status, 404);
  });

  test('401 without or with a bad credential, 403 for a token without org:admin', async () => {
    for (const path of [EVENTS, `${EVENTS}/fdev_01whatever`]) {
      const none = await call(server, 'GET', path);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.type, 'authentication_error');
      assert.equal((await call(server, 'GET', path, { headers: { authorization: 'Bearer owif-admin-wrong' } })).status, 401);
      const workload = await call(server, 'GET', path, { headers: { authorization: `Bearer ${workloadToken}` } });
      assert.equal(workload.status, 403);
      assert.equal(workload.body.error.type, 'permission_error');
    }
  });
});
