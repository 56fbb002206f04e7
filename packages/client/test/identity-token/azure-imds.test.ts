import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { azureImds, IdentityTokenError, type AzureImdsOptions } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer, type ScriptedResponse } from '../helpers/loopback-server.ts';
import { createTestIssuer, type TestIssuer } from '../helpers/test-issuer.ts';

const RESOURCE = 'api://11111111-aaaa-4bbb-8ccc-222222222222';
let imds: LoopbackServer;
let issuer: TestIssuer;
let script: ScriptedResponse[];
let clockMs: number;
const sleeps: number[] = [];

/** IMDS success body: every field a string, `expires_on` = epoch seconds. */
async function imdsSuccess(expiresOnSeconds: number): Promise<ScriptedResponse> {
  const token = await issuer.sign({ aud: RESOURCE });
  return {
    status: 200,
    body: {
      access_token: token,
      refresh_token: '',
      expires_in: '86399',
      expires_on: String(expiresOnSeconds),
      ext_expires_in: '86399',
      not_before: String(expiresOnSeconds - 86399),
      resource: RESOURCE,
      token_type: 'Bearer',
      client_id: 'mi-client',
    },
  };
}

before(async () => {
  issuer = await createTestIssuer('https://login.microsoftonline.com/tenant/v2.0');
  imds = await startLoopbackServer(() => script.shift() ?? { status: 500, body: { error: 'unknown' } });
});
after(() => imds.close());
beforeEach(() => {
  script = [];
  imds.requests.length = 0;
  clockMs = 1_800_000_000_000;
  sleeps.length = 0;
});

function provider(overrides: Partial<AzureImdsOptions> = {}) {
  return azureImds({
    resource: RESOURCE,
    endpoint: `${imds.url}/metadata/identity/oauth2/token`,
    now: () => clockMs,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    env: {},
    ...overrides,
  });
}

describe('azureImds request', () => {
  it('GETs the token with Metadata: true, api-version and resource', async () => {
    const reply = await imdsSuccess(clockMs / 1000 + 86399);
    script.push(reply);
    const token = await provider()();
    assert.equal(token, (reply.body as { access_token: string }).access_token);
    const request = imds.requests[0];
    assert.ok(request);
    assert.equal(request.method, 'GET');
    assert.equal(request.headers.metadata, 'true');
    const url = new URL(request.url, imds.url);
    assert.equal(url.pathname, '/metadata/identity/oauth2/token');
    assert.equal(url.searchParams.get('api-version'), '2018-02-01');
    assert.equal(url.searchParams.get('resource'), RESOURCE);
    assert.equal(url.searchParams.has('client_id'), false);
  });

  it('sends the user-assigned identity selector', async () => {
    script.push(await imdsSuccess(clockMs / 1000 + 3600));
    await provider({ msiResId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u' })();
    const url = new URL(imds.requests[0]?.url ?? '', imds.url);
    assert.match(String(url.searchParams.get('msi_res_id')), /userAssignedIdentities\/u$/);
  });

  it('refuses more than one selector and an empty resource', () => {
    assert.throws(() => provider({ clientId: 'a', objectId: 'b' }), { name: 'TypeError', message: /at most one of client_id, object_id, msi_res_id/ });
    assert.throws(() => provider({ resource: ' ' }), { name: 'TypeError', message: /resource/ });
    assert.throws(() => provider({ clientId: '' }), { name: 'TypeError', message: /client_id must be a non-empty string/ });
  });

  it('uses AZURE_POD_IDENTITY_AUTHORITY_HOST as the IMDS host', async () => {
    script.push(await imdsSuccess(clockMs / 1000 + 3600));
    await provider({ endpoint: undefined, env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `${imds.url}/` } })();
    assert.equal(imds.requests.length, 1);
    assert.match(imds.requests[0]?.url ?? '', /^\/metadata\/identity\/oauth2\/token\?/);
  });
});

describe('azureImds caching', () => {
  it('serves the cached token until 5 minutes before expires_on, then fetches again', async () => {
    const expiresOn = clockMs / 1000 + 3600;
    script.push(await imdsSuccess(expiresOn), await imdsSuccess(expiresOn + 3600));
    const get = provider();
    const first = await get();
    clockMs += (3600 - 301) * 1000;
    assert.equal(await get(), first);
    assert.equal(imds.requests.length, 1);
    clockMs += 2000;
    assert.notEqual(await get(), first);
    assert.equal(imds.requests.length, 2);
  });

  it('shares one in-flight request between concurrent callers', async () => {
    const reply = await imdsSuccess(clockMs / 1000 + 3600);
    script.push({ ...reply, delayMs: 40 });
    const get = provider();
    const tokens = await Promise.all([get(), get(), get(), get()]);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(imds.requests.length, 1);
  });

  it('does not cache a token without a usable expires_on', async () => {
    const reply = await imdsSuccess(0);
    (reply.body as Record<string, unknown>).expires_on = 'soon';
    script.push(reply, await imdsSuccess(clockMs / 1000 + 3600));
    const get = provider();
    await get();
    await get();
    assert.equal(imds.requests.length, 2);
  });

  it('two providers never share a cache', async () => {
    script.push(await imdsSuccess(clockMs / 1000 + 3600), await imdsSuccess(clockMs / 1000 + 3600));
    await provider()();
    await provider()();
    assert.equal(imds.requests.length, 2);
  });
});

describe('azureImds errors and retries', () => {
  it('does not retry 400 (identity not assigned) and surfaces the error code', async () => {
    script.push({ status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } });
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'azure-imds');
      assert.equal(err.statusCode, 400);
      assert.equal(err.errorCode, 'invalid_request');
      assert.match(err.message, /^azure-imds: HTTP 400 \(invalid_request\): Identity not found$/);
      return true;
    });
    assert.equal(imds.requests.length, 1);
  });

  it('does not retry 404', async () => {
    script.push({ status: 404, body: { error: 'not_found' } });
    await assert.rejects(provider()(), { statusCode: 404 });
    assert.equal(imds.requests.length, 1);
  });

  it('retries 410 every 10 s for about 70 s', async () => {
    for (let i = 0; i < 3; i++) script.push({ status: 410, body: { error: 'service_unavailable' } });
    script.push(await imdsSuccess(clockMs / 1000 + 3600));
    await provider()();
    assert.deepEqual(sleeps, [10_000, 10_000, 10_000]);
  });

  it('gives up on 410 after 7 retries', async () => {
    for (let i = 0; i < 9; i++) script.push({ status: 410 });
    await assert.rejects(provider()(), { statusCode: 410 });
    assert.equal(imds.requests.length, 8);
    assert.equal(
      sleeps.reduce((a, b) => a + b, 0),
      70_000,
    );
  });

  it('honours Retry-After on 429, capped at 30 s', async () => {
    script.push({ status: 429, headers: { 'retry-after': '3' } }, { status: 429, headers: { 'retry-after': '999' } });
    script.push(await imdsSuccess(clockMs / 1000 + 3600));
    await provider()();
    assert.deepEqual(sleeps, [3000, 30_000]);
  });

  it('retries 5xx with backoff and stops after maxAttempts', async () => {
    for (let i = 0; i < 5; i++) script.push({ status: 503, body: { error: 'service_unavailable', error_description: 'busy' } });
    await assert.rejects(provider({ maxAttempts: 3 })(), { statusCode: 503, errorCode: 'service_unavailable' });
    assert.equal(imds.requests.length, 3);
    assert.deepEqual(sleeps, [1000, 2000]);
  });

  it('retries a network failure and reports it without a status', async () => {
    const dead = await startLoopbackServer(() => ({ status: 200 }));
    await dead.close();
    await assert.rejects(provider({ endpoint: `${dead.url}/metadata/identity/oauth2/token`, maxAttempts: 2 })(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.statusCode, null);
      assert.match(err.message, /network error \(ECONNREFUSED\)/);
      return true;
    });
    assert.equal(sleeps.length, 1);
  });

  it('times out a hanging endpoint', async () => {
    script.push({ ...(await imdsSuccess(clockMs / 1000 + 3600)), delayMs: 300 });
    await assert.rejects(provider({ timeoutMs: 40, maxAttempts: 1 })(), { message: /timed out after 40 ms/ });
  });

  it('rejects a 200 without access_token and never echoes the body', async () => {
    script.push({ status: 200, body: { token: 'eyJsecret.eyJsecret.sig', expires_on: '1' } });
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.match(err.message, /no access_token/);
      assert.equal(err.message.includes('eyJsecret'), false);
      return true;
    });
  });

  it('rejects an oversized response', async () => {
    script.push({ status: 200, body: { access_token: 'a'.repeat(70 * 1024), expires_on: '1' } });
    await assert.rejects(provider()(), { message: /exceeds 65536 bytes/ });
  });

  it('does not follow redirects', async () => {
    script.push({ status: 302, headers: { location: 'http://169.254.169.254/' } });
    await assert.rejects(provider()(), { statusCode: 302, message: /redirect/ });
    assert.equal(imds.requests.length, 1);
  });
});
