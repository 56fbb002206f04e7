import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { ImdsEmulator } from '../../src/emulators/imds/imds-emulator.ts';
import { startImdsFixture, type ImdsFixture } from './imds-fixture.ts';

describe('IMDS emulator', () => {
  let fx: ImdsFixture;
  before(async () => {
    fx = await startImdsFixture();
  });
  after(() => fx.close());
  afterEach(() => fx.imds.clearFaults());

  const tokenUrl = (query: Record<string, string> | string, trailingSlash = false): string => {
    const search = typeof query === 'string' ? query : new URLSearchParams(query).toString();
    return `${fx.imds.baseUrl}/metadata/identity/oauth2/token${trailingSlash ? '/' : ''}?${search}`;
  };
  const get = (url: string, headers: Record<string, string> = { Metadata: 'true' }, method = 'GET') => fetch(url, { method, headers });
  const base = () => ({ 'api-version': '2018-02-01', resource: fx.v1Resource });

  async function expectError(response: Response, status: number, error: string, description?: RegExp): Promise<void> {
    const body = (await response.json()) as { error: string; error_description: string };
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.error, error);
    assert.equal(typeof body.error_description, 'string');
    if (description) assert.match(body.error_description, description);
  }

  it('issues a system-assigned v1 token with every field a string and expires_on = exp', async () => {
    for (const trailingSlash of [false, true]) {
      const response = await get(tokenUrl({ ...base(), bypass_cache: 'true' }, trailingSlash));
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, unknown>;
      for (const value of Object.values(body)) assert.equal(typeof value, 'string');
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.resource, fx.v1Resource);
      assert.equal(body.client_id, fx.system.clientId);
      assert.match(body.expires_in as string, /^\d+$/);
      assert.ok(Number(body.expires_in) > 86_000);
      const jwks = createRemoteJWKSet(new URL(`${fx.entra.baseUrl}/${fx.entra.tenantId}/discovery/keys`));
      const { payload } = await jwtVerify(body.access_token as string, jwks, { issuer: fx.entra.issuer('1.0'), audience: fx.v1Resource });
      assert.equal(String(payload.exp), body.expires_on);
      assert.equal(String(payload.nbf), body.not_before);
      assert.equal(payload.appid, fx.system.clientId);
      assert.equal(payload.oid, fx.system.objectId);
      assert.equal(payload.xms_mirid, fx.system.resourceId);
      assert.equal(payload.ver, '1.0');
    }
  });

  it('issues a v2-shaped token when the resource accepts v2 and echoes the selector used', async () => {
    const response = await get(tokenUrl({ 'api-version': '2019-08-01', resource: fx.v2Resource.uri, msi_res_id: fx.user.resourceId }));
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, string>;
    assert.equal(body.msi_res_id, fx.user.resourceId);
    assert.equal(body.client_id, fx.user.clientId);
    const claims = decodeJwt(body.access_token ?? '');
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.aud, fx.v2Resource.appId);
    assert.equal(claims.azp, fx.user.clientId);
  });

  it('selects user-assigned identities by client_id and object_id', async () => {
    const byClient = (await (await get(tokenUrl({ ...base(), client_id: fx.user.clientId }))).json()) as Record<string, string>;
    assert.equal(decodeJwt(byClient.access_token ?? '').oid, fx.user.objectId);
    const byObject = (await (await get(tokenUrl({ ...base(), object_id: fx.user.objectId }))).json()) as Record<string, string>;
    assert.equal(byObject.object_id, fx.user.objectId);
    assert.equal(byObject.client_id, fx.user.clientId);
  });

  it('serves the cached token for the same identity and resource unless bypass_cache=true', async () => {
    const first = (await (await get(tokenUrl({ ...base(), client_id: fx.user.clientId }))).json()) as Record<string, string>;
    const second = (await (await get(tokenUrl({ ...base(), client_id: fx.user.clientId }))).json()) as Record<string, string>;
    assert.equal(second.access_token, first.access_token);
    const fresh = (await (await get(tokenUrl({ ...base(), client_id: fx.user.clientId, bypass_cache: 'true' }))).json()) as Record<string, string>;
    assert.notEqual(fresh.access_token, first.access_token);
  });

  it('answers a missing or non-"true" Metadata header with 400 bad_request_102, fast (the probe)', async () => {
    const started = Date.now();
    await expectError(await fetch(`${fx.imds.baseUrl}/metadata/identity/oauth2/token`), 400, 'bad_request_102', /^Required metadata header not specified$/);
    assert.ok(Date.now() - started < 1000);
    for (const value of ['True', 'TRUE', '1', 'yes', '']) {
      await expectError(await get(tokenUrl(base()), { Metadata: value }), 400, 'bad_request_102');
    }
  });

  it('uses a configured error code for the missing header', async () => {
    const other = await ImdsEmulator.start({ tokenSource: fx.entra, metadataErrorCode: 'invalid_request' });
    try {
      await expectError(await fetch(`${other.baseUrl}/metadata/identity/oauth2/token`), 400, 'invalid_request', /metadata header/);
    } finally {
      await other.close();
    }
  });

  it('rejects X-Forwarded-For', async () => {
    await expectError(await get(tokenUrl(base()), { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' }), 400, 'bad_request');
  });

  it('rejects a missing, malformed or pre-identity api-version', async () => {
    await expectError(await get(tokenUrl({ resource: fx.v1Resource })), 400, 'invalid_request', /api-version/);
    for (const version of ['2017-12-01', 'latest', '2018-2-1']) {
      await expectError(await get(tokenUrl({ resource: fx.v1Resource, 'api-version': version })), 400, 'invalid_request', /api-version/);
    }
  });

  it('rejects a missing resource and an unknown resource', async () => {
    await expectError(await get(tokenUrl({ 'api-version': '2018-02-01' })), 400, 'invalid_request', /resource/);
    await expectError(await get(tokenUrl({ 'api-version': '2018-02-01', resource: 'api://nope' })), 400, 'invalid_resource', /^AADSTS500011/);
  });

  it('rejects duplicate query parameters', async () => {
    await expectError(await get(tokenUrl(`api-version=2018-02-01&resource=${fx.v1Resource}&resource=api://x`)), 400, 'invalid_request', /more than once/);
  });

  it('rejects more than one selector, unknown identities and identities not attached to this VM', async () => {
    await expectError(await get(tokenUrl({ ...base(), client_id: fx.user.clientId, object_id: fx.user.objectId })), 400, 'invalid_request', /Only one/);
    await expectError(await get(tokenUrl({ ...base(), client_id: '00000000-0000-0000-0000-000000000000' })), 400, 'invalid_request', /^Identity not found$/);
    await expectError(await get(tokenUrl({ ...base(), client_id: fx.foreign.clientId })), 400, 'invalid_request', /^Identity not found$/);
    await expectError(await get(tokenUrl({ ...base(), msi_res_id: fx.foreign.resourceId })), 400, 'invalid_request', /^Identity not found$/);
  });

  it('without a selector: the single UAMI when no system identity, 400 when several', async () => {
    const single = await ImdsEmulator.start({ tokenSource: fx.entra, userAssignedClientIds: [fx.user.clientId] });
    const several = await ImdsEmulator.start({ tokenSource: fx.entra, userAssignedClientIds: [fx.user.clientId, fx.foreign.clientId] });
    const none = await ImdsEmulator.start({ tokenSource: fx.entra });
    try {
      const query = new URLSearchParams(base()).toString();
      const ok = (await (await get(`${single.baseUrl}/metadata/identity/oauth2/token?${query}`)).json()) as Record<string, string>;
      assert.equal(ok.client_id, fx.user.clientId);
      await expectError(await get(`${several.baseUrl}/metadata/identity/oauth2/token?${query}`), 400, 'invalid_request', /Multiple user assigned/);
      await expectError(await get(`${none.baseUrl}/metadata/identity/oauth2/token?${query}`), 400, 'invalid_request', /^Identity not found$/);
    } finally {
      await Promise.all([single.close(), several.close(), none.close()]);
    }
  });

  it('answers 405 to other verbs and 404 to other paths', async () => {
    await expectError(await get(tokenUrl(base()), { Metadata: 'true' }, 'POST'), 405, 'method_not_allowed');
    await expectError(await get(`${fx.imds.baseUrl}/metadata/instance?api-version=2021-02-01`), 404, 'not_found');
  });

  it('injects status faults with Retry-After, one per valid request, then recovers', async () => {
    fx.imds.failNext({ status: 429, retryAfterSeconds: 3, count: 2 });
    fx.imds.failNext({ status: 410 });
    const first = await get(tokenUrl(base()));
    assert.equal(first.headers.get('retry-after'), '3');
    await expectError(first, 429, 'too_many_requests');
    await expectError(await get(tokenUrl(base()), {}), 400, 'bad_request_102');
    await expectError(await get(tokenUrl(base())), 429, 'too_many_requests');
    const gone = await get(tokenUrl(base()));
    assert.equal(gone.headers.get('retry-after'), null);
    await expectError(gone, 410, 'service_unavailable');
    assert.equal((await get(tokenUrl(base()))).status, 200);
    for (const status of [404, 500, 503] as const) {
      fx.imds.failNext({ status });
      assert.equal((await get(tokenUrl(base()))).status, status);
    }
  });

  it('injects a timeout: the request hangs, then the connection drops', async () => {
    fx.imds.failNext({ timeoutMs: 5_000 });
    await assert.rejects(fetch(tokenUrl(base()), { headers: { Metadata: 'true' }, signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    fx.imds.failNext({ timeoutMs: 50 });
    await assert.rejects(get(tokenUrl(base())), TypeError);
  });

  it('refuses invalid fault definitions', () => {
    assert.throws(() => fx.imds.failNext({ status: 418 as 404 }), RangeError);
    assert.throws(() => fx.imds.failNext({ status: 500, count: 0 }), RangeError);
    assert.throws(() => fx.imds.failNext({ timeoutMs: 120_000 }), RangeError);
    assert.throws(() => fx.imds.failNext({ status: 500, count: 5000 }), RangeError);
  });

  it('records requests for retry assertions', async () => {
    const before = fx.imds.requests.length;
    await (await get(tokenUrl(base()), {})).body?.cancel();
    const last = fx.imds.requests.at(-1);
    assert.ok(fx.imds.requests.length === Math.min(before + 1, 100));
    assert.equal(last?.status, 400);
    assert.equal(last?.metadataHeader, undefined);
    assert.equal(last?.query.resource, fx.v1Resource);
  });
});
