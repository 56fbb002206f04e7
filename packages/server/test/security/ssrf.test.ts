import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { JwksConfig } from '../../src/domain/types.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, OPAQUE_401, seedFederation } from '../helpers/federation-fixture.ts';
import { RequestCounter, signJson } from './raw-jws.ts';

const ISSUERS = '/v1/organizations/federation_issuers';

/** Addresses an attacker would point the server at: metadata, private, loopback in every spelling. */
const HOSTILE_URLS = [
  'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://169.254.169.254/',
  'https://[fd00:ec2::254]/',
  'https://10.0.0.1/',
  'https://10.255.255.255:443/keys',
  'https://172.16.0.1/',
  'https://192.168.1.1/',
  'https://100.64.0.1/',
  'https://0.0.0.0/',
  'https://[::]/',
  'https://[::1]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'https://[fe80::1]/',
  'https://127.0.0.1/',
  'https://127.1/',
  'https://0x7f.1/',
  'https://0x7f000001/',
  'https://2130706433/',
  'https://017700000001/',
  'https://0177.0.0.1/',
  'https://localhost/',
  'https://localhost./',
  'https://LOCALHOST/',
  'https://api.anthropic.com@127.0.0.1/',
  'https://api.anthropic.com:x@127.0.0.1/',
  'https://user:pass@issuer.example.com/',
  'https://127.0.0.1#@api.anthropic.com/',
  'https://127.0.0.1\\@api.anthropic.com/',
  'https://issuer.example.com:8443/',
  'http://issuer.example.com/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'ftp://issuer.example.com/',
  'dict://127.0.0.1:11211/',
  'https://issuer',
  'not a url',
];

/**
 * Issue 13, SSRF: with no outbound allowance, no Admin API write can point the server at a
 * non-public address, and an issuer that somehow points there (stored before a policy change)
 * is never dialled; redirects to private addresses are never followed.
 */
describe('SSRF through issuer_url, jwks.url and discovery_base', () => {
  let server: TestServer;
  let counter: RequestCounter;

  before(async () => {
    server = await startTestServer({ outboundAllow: [] });
    counter = await RequestCounter.start();
  });
  after(async () => {
    await server.close();
    await counter.close();
  });

  const admin = () => ({ authorization: server.adminHeaders['authorization']! });
  let n = 0;

  test('every hostile URL is refused in issuer_url, jwks.url and jwks.discovery_base, on create and update', async () => {
    // A discovery issuer: changing its issuer_url re-points the discovery fetch, so it is policed too.
    const created = await call(server, 'POST', ISSUERS, { headers: admin(), body: { name: 'legit', issuer_url: 'https://issuer.example.com/tenant' } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const accepted: string[] = [];
    for (const url of [...HOSTILE_URLS, counter.url, `${counter.url}/jwks`]) {
      const bodies: Array<Record<string, unknown>> = [
        { issuer_url: url },
        { issuer_url: 'https://issuer.example.com', jwks: { type: 'explicit_url', url } },
        { issuer_url: 'https://issuer.example.com', jwks: { type: 'discovery', discovery_base: url } },
      ];
      for (const body of bodies) {
        const create = await call(server, 'POST', ISSUERS, { headers: admin(), body: { name: `hostile-${++n}`, ...body } });
        if (create.status !== 400) accepted.push(`create ${JSON.stringify(body)} → ${create.status}`);
        else assert.equal(create.body.error.type, 'invalid_request_error');
        const update = await call(server, 'POST', `${ISSUERS}/${created.body.id}`, { headers: admin(), body });
        if (update.status !== 400) accepted.push(`update ${JSON.stringify(body)} → ${update.status}`);
      }
    }
    assert.deepEqual(accepted, []);
    const list = await call(server, 'GET', `${ISSUERS}?limit=100`, { headers: admin() });
    assert.deepEqual(
      (list.body.data as Array<{ name: string }>).map((i) => i.name),
      ['legit'],
    );
    assert.deepEqual(counter.hits, []);
  });

  test('refusal messages never echo URL credentials', async () => {
    const reply = await call(server, 'POST', ISSUERS, {
      headers: admin(),
      body: { name: 'creds', issuer_url: 'https://user:s3cr3t-pa55@issuer.example.com/' },
    });
    assert.equal(reply.status, 400);
    assert.equal(JSON.stringify(reply.body).includes('s3cr3t-pa55'), false);
  });

  test('issuers already stored with private URLs are never dialled at exchange time', async () => {
    const key = await newSigningKey('RS256', 'k-ssrf');
    const port = new URL(counter.url).port;
    const stored: Array<{ issuerUrl: string; jwks: JwksConfig }> = [
      { issuerUrl: counter.url, jwks: { type: 'discovery' } },
      { issuerUrl: 'https://issuer.example.com', jwks: { type: 'explicit_url', url: `${counter.url}/jwks` } },
      { issuerUrl: 'https://issuer.example.com', jwks: { type: 'discovery', discovery_base: counter.url } },
      { issuerUrl: `http://0x7f.1:${port}`, jwks: { type: 'discovery' } },
      { issuerUrl: `http://2130706433:${port}`, jwks: { type: 'discovery' } },
      { issuerUrl: `http://localhost.:${port}`, jwks: { type: 'discovery' } },
      { issuerUrl: `http://[::ffff:127.0.0.1]:${port}`, jwks: { type: 'discovery' } },
    ];
    for (const { issuerUrl, jwks } of stored) {
      const fed = await seedFederation(server, { issuerUrl, jwks, match: { subject_prefix: 'wl' } });
      const now = Math.floor(Date.now() / 1000);
      const assertion = await signJson(
        { alg: 'RS256', kid: key.kid },
        { iss: issuerUrl, sub: 'wl', aud: DEFAULT_AUDIENCE, iat: now, exp: now + 60, jti: randomUUID() },
        key,
      );
      const reply = await exchange(server, fed, assertion);
      assert.equal(reply.status, 401, JSON.stringify(reply.body));
      assert.deepEqual({ type: reply.body.type, error: reply.body.error }, OPAQUE_401);
      assert.equal((await lastEvent(server, fed.rule.id))?.reason, 'jwks_unavailable', issuerUrl);
    }
    assert.deepEqual(counter.hits, [], 'nothing reached the loopback listener');
  });
});

describe('redirects to private addresses are not followed', () => {
  let server: TestServer;
  let redirector: Server;
  let redirectorUrl = '';
  let redirectorHits = 0;
  let target: RequestCounter;

  before(async () => {
    // 127.0.0.2 is loopback too, but not in this server's allowance: only 127.0.0.1 is.
    target = await RequestCounter.start('127.0.0.2');
    redirector = createServer((req, res) => {
      redirectorHits++;
      const location = req.url?.startsWith('/metadata') ? 'http://169.254.169.254/latest/meta-data/' : `${target.url}${req.url}`;
      res.writeHead(302, { location });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    server = await startTestServer({ outboundAllow: ['127.0.0.1'] });
  });
  after(async () => {
    await server.close();
    await target.close();
    await new Promise<void>((resolve) => redirector.close(() => resolve()));
  });

  test('discovery and JWKS answers that redirect elsewhere end in jwks_unavailable, the target never dialled', async () => {
    const key = await newSigningKey('ES256', 'k-redirect');
    const cases: Array<{ issuerUrl: string; jwks: JwksConfig }> = [
      { issuerUrl: redirectorUrl, jwks: { type: 'discovery' } },
      { issuerUrl: redirectorUrl, jwks: { type: 'explicit_url', url: `${redirectorUrl}/jwks` } },
      { issuerUrl: redirectorUrl, jwks: { type: 'explicit_url', url: `${redirectorUrl}/metadata` } },
    ];
    for (const { issuerUrl, jwks } of cases) {
      const fed = await seedFederation(server, { issuerUrl, jwks, match: { subject_prefix: 'wl' } });
      const now = Math.floor(Date.now() / 1000);
      const assertion = await signJson(
        { alg: 'ES256', kid: key.kid },
        { iss: issuerUrl, sub: 'wl', aud: DEFAULT_AUDIENCE, iat: now, exp: now + 60, jti: randomUUID() },
        key,
      );
      const reply = await exchange(server, fed, assertion);
      assert.equal(reply.status, 401, JSON.stringify(reply.body));
      assert.equal((await lastEvent(server, fed.rule.id))?.reason, 'jwks_unavailable');
    }
    assert.ok(redirectorHits >= cases.length, `the redirector was asked ${redirectorHits} times`);
    assert.deepEqual(target.hits, [], 'the redirect target was never dialled');
  });
});
