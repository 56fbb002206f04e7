import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchangeBody, seedFederation, type Federation } from '../helpers/federation-fixture.ts';

/**
 * Issue 13, hostile requests: malformed bodies of every kind get a 4xx in the error envelope,
 * never a 5xx and never a token, and the server keeps serving afterwards.
 */
describe('hostile requests', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let seq = 0;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['ES256']);
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  const assertion = () => issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: `req-${process.pid}-${++seq}` });

  /** Sends raw bytes; returns status and text. */
  async function send(path: string, body: string | Uint8Array<ArrayBuffer> | undefined, headers: Record<string, string>, method = 'POST') {
    const res = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, text };
  }

  function expect4xx(reply: { status: number; text: string }, label: string) {
    assert.ok(reply.status >= 400 && reply.status < 500, `${label}: expected 4xx, got ${reply.status}: ${reply.text.slice(0, 300)}`);
    assert.equal(reply.text.includes('access_token'), false, `${label}: no token`);
    const body = JSON.parse(reply.text);
    assert.equal(body.type, 'error', `${label}: error envelope`);
    assert.match(body.request_id, /^req_/, `${label}: request_id`);
  }

  const json = { 'content-type': 'application/json' };
  const token = (body: unknown, headers: Record<string, string> = json) => send('/v1/oauth/token', JSON.stringify(body), headers);

  test('every field of the token body: missing, wrong type, empty, huge', async () => {
    const good = exchangeBody(fed, server, await assertion());
    const wrongValues: unknown[] = [null, 0, 1e400, true, [], ['x'], {}, { $gt: '' }, '', ' ', 'x'.repeat(2048)];
    for (const field of Object.keys(good)) {
      const without: Record<string, unknown> = { ...good };
      delete without[field];
      expect4xx(await token(without), `${field} missing`);
      for (const value of wrongValues) {
        // An empty or odd optional field is as refusable as a required one; but `null` optional fields are omitted values.
        expect4xx(await token({ ...good, [field]: value }), `${field} = ${JSON.stringify(value)?.slice(0, 40)}`);
      }
    }
    for (const [field, value] of [
      ['service_account_id', 5],
      ['workspace_id', ['default']],
      ['service_account_id', ''],
      ['workspace_id', 'x'.repeat(5000)],
    ] as const) {
      expect4xx(await token({ ...good, [field]: value }), `${field} = ${JSON.stringify(value).slice(0, 40)}`);
    }
  });

  test('a field repeated: JSON duplicate keys and repeated form fields', async () => {
    const good = exchangeBody(fed, server, await assertion());
    const prefix = JSON.stringify(good).slice(0, -1);
    for (const field of ['grant_type', 'assertion', 'federation_rule_id', 'organization_id']) {
      const reply = await send('/v1/oauth/token', `${prefix},${JSON.stringify(field)}:"attacker-value"}`, json);
      expect4xx(reply, `JSON ${field} twice`);
    }
    const form = new URLSearchParams(good as Record<string, string>);
    form.append('federation_rule_id', fed.rule.id);
    expect4xx(await send('/v1/oauth/token', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' }), 'form field twice');
  });

  test('wrong content types are refused', async () => {
    const body = JSON.stringify(exchangeBody(fed, server, await assertion()));
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/jwt',
      'application/json-patch+json',
      'application/octet-stream',
      '*/*',
    ]) {
      expect4xx(await send('/v1/oauth/token', body, { 'content-type': type }), type);
    }
    expect4xx(await send('/v1/oauth/token', new Uint8Array(Buffer.from(body)), {}), 'no content type');
  });

  test('invalid UTF-8 bytes in JSON and form bodies', async () => {
    const good = JSON.stringify(exchangeBody(fed, server, await assertion()));
    const bytes = Buffer.from(good);
    const cut = good.indexOf('fdrl_') + 6;
    const corrupt = Buffer.concat([bytes.subarray(0, cut), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), bytes.subarray(cut)]);
    expect4xx(await send('/v1/oauth/token', new Uint8Array(corrupt), json), 'invalid UTF-8 in JSON');
    // Lone surrogates escaped inside JSON strings decode to invalid UTF-16: still only a 4xx.
    expect4xx(await send('/v1/oauth/token', good.replace('"fdrl_', '"\\ud800fdrl_'), json), 'lone surrogate escape');
    const form = Buffer.concat([
      Buffer.from('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion='),
      Buffer.from([0xff, 0xc0, 0x80]),
      Buffer.from('%FF%C0&federation_rule_id=fdrl_01x&organization_id='),
    ]);
    expect4xx(await send('/v1/oauth/token', new Uint8Array(form), { 'content-type': 'application/x-www-form-urlencoded' }), 'invalid UTF-8 in form');
    const adminBody = Buffer.concat([Buffer.from('{"name":"ws-'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect4xx(await send('/v1/organizations/workspaces', new Uint8Array(adminBody), { ...server.adminHeaders }), 'invalid UTF-8 in an admin body');
  });

  test('prototype-pollution keys are refused or ignored, never applied', async () => {
    const good = exchangeBody(fed, server, await assertion());
    const polluted = `{"__proto__":{"organization_id":${JSON.stringify(server.organizationId)}},${JSON.stringify(good).slice(1)}`;
    const reply = await send('/v1/oauth/token', polluted, json);
    assert.ok(reply.status === 400 || reply.status === 200, `${reply.status}: ${reply.text}`);
    assert.equal(({} as Record<string, unknown>)['organization_id'], undefined);
    const adminReply = await send('/v1/organizations/workspaces', '{"name":"pp","constructor":{"prototype":{"isAdmin":true}}}', server.adminHeaders);
    assert.ok(adminReply.status < 500, adminReply.text);
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined);
  });

  test('100k levels of nesting, closed or not, get a 4xx on every endpoint and the server stays up', async () => {
    const deep = '['.repeat(100_000);
    const deepClosed = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`;
    const targets: Array<[string, Record<string, string>]> = [
      ['/v1/oauth/token', json],
      ['/v1/organizations/workspaces', server.adminHeaders],
      ['/v1/organizations/federation_rules', server.adminHeaders],
      ['/v1/organizations/federation_issuers', server.adminHeaders],
    ];
    for (const [path, headers] of targets) {
      for (const [label, body] of [
        ['open', deep],
        ['closed', deepClosed],
        ['object', deepObject],
      ] as const) {
        expect4xx(await send(path, body, headers), `${path} ${label}`);
      }
    }
    // Deep values inside an otherwise valid admin body, where the schema lets free-form JSON in.
    // Built as text: JSON.stringify itself overflows the stack on such values.
    const deepValue = '__DEEP__';
    const deepText = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const bodies: Array<[string, unknown]> = [
      [
        '/v1/organizations/federation_rules',
        {
          name: 'deep',
          issuer_id: fed.issuer.id,
          match: { claims: { x: deepValue } },
          oauth_scope: 'workspace:developer',
          target: { type: 'service_account', service_account_id: fed.serviceAccount.id },
          applies_to_all_workspaces: true,
        },
      ],
      [
        '/v1/organizations/federation_rules',
        {
          name: 'deep2',
          issuer_id: fed.issuer.id,
          match: { subject_prefix: 'x' },
          attributes: deepValue,
          oauth_scope: 'workspace:developer',
          target: { type: 'service_account', service_account_id: fed.serviceAccount.id },
          applies_to_all_workspaces: true,
        },
      ],
      ['/v1/organizations/federation_issuers', { name: 'deep', issuer_url: 'https://deep.example.com', jwks: { type: 'inline', keys: [deepValue] } }],
      ['/v1/organizations/workspaces', { name: deepValue }],
      ['/v1/organizations/service_accounts', { name: 'deep', description: deepValue }],
    ];
    for (const [path, body] of bodies) {
      const reply = await send(path, JSON.stringify(body).replace('"__DEEP__"', deepText), server.adminHeaders);
      expect4xx(reply, `${path} with a 5000-level value`);
    }
    const health = await send('/healthz', undefined, {}, 'GET');
    assert.equal(health.status, 200);
  });

  test('huge bodies are refused with 413 on every endpoint', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(300 * 1024) });
    expect4xx(await send('/v1/organizations/workspaces', big, server.adminHeaders), 'admin 300 KiB');
    const bigToken = JSON.stringify({ ...exchangeBody(fed, server, await assertion()), pad: 'x'.repeat(64 * 1024) });
    const reply = await send('/v1/oauth/token', bigToken, json);
    assert.equal(reply.status, 413, reply.text);
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])));
    expect4xx(await send('/v1/oauth/token', many, json), '5000 unknown fields');
  });

  test('hostile query strings and paths on the Admin API', async () => {
    const paths = [
      '/v1/organizations/workspaces?limit=-1',
      '/v1/organizations/workspaces?limit=1e400',
      '/v1/organizations/workspaces?limit=99999999999999999999',
      '/v1/organizations/workspaces?limit=1&limit=2',
      '/v1/organizations/service_accounts?page=' + 'A'.repeat(5000),
      '/v1/organizations/service_accounts?page=%00%ff',
      '/v1/organizations/federation_rules/' + encodeURIComponent('../../etc/passwd'),
      '/v1/organizations/federation_rules/fdrl_' + 'A'.repeat(300),
      '/v1/organizations/service_accounts/%E0%A4%A',
      '/v1/organizations/workspaces/wrkspc_01%00',
    ];
    for (const path of paths) {
      const reply = await send(path, undefined, { authorization: server.adminHeaders['authorization']! }, 'GET');
      expect4xx(reply, path);
    }
    // SQL in a filter is just a value that matches nothing.
    const injected = await send(
      `/v1/organizations/federation_rules?issuer_id=${encodeURIComponent("fdis_x' OR 1=1 --")}`,
      undefined,
      { authorization: server.adminHeaders['authorization']! },
      'GET',
    );
    assert.ok(injected.status === 200 || injected.status === 400, injected.text);
    if (injected.status === 200) assert.deepEqual(JSON.parse(injected.text).data, []);
  });

  test('after everything the server still exchanges', async () => {
    const reply = await token(exchangeBody(fed, server, await assertion()));
    assert.equal(reply.status, 200, reply.text);
  });
});
