import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { azureAppService, IdentityTokenError, type AzureAppServiceOptions } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer, type ScriptedResponse } from '../helpers/loopback-server.ts';
import { createTestIssuer, type TestIssuer } from '../helpers/test-issuer.ts';

const RESOURCE = 'api://33333333-aaaa-4bbb-8ccc-444444444444';
const IDENTITY_HEADER = 'rotating-identity-header-secret';
let host: LoopbackServer;
let issuer: TestIssuer;
let script: ScriptedResponse[];
const sleeps: number[] = [];

before(async () => {
  issuer = await createTestIssuer();
  host = await startLoopbackServer(() => script.shift() ?? { status: 500 });
});
after(() => host.close());
beforeEach(() => {
  script = [];
  host.requests.length = 0;
  sleeps.length = 0;
});

function provider(overrides: Partial<AzureAppServiceOptions> = {}) {
  return azureAppService({
    resource: RESOURCE,
    env: { IDENTITY_ENDPOINT: `${host.url}/msi/token`, IDENTITY_HEADER },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

describe('azureAppService', () => {
  it('GETs IDENTITY_ENDPOINT with X-IDENTITY-HEADER and api-version 2019-08-01', async () => {
    const token = await issuer.sign({ aud: RESOURCE });
    script.push({
      status: 200,
      body: { access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: RESOURCE, token_type: 'Bearer' },
    });
    assert.equal(await provider({ clientId: 'uami-client' })(), token);
    const request = host.requests[0];
    assert.ok(request);
    assert.equal(request.headers['x-identity-header'], IDENTITY_HEADER);
    const url = new URL(request.url, host.url);
    assert.equal(url.pathname, '/msi/token');
    assert.equal(url.searchParams.get('api-version'), '2019-08-01');
    assert.equal(url.searchParams.get('resource'), RESOURCE);
    assert.equal(url.searchParams.get('client_id'), 'uami-client');
  });

  it('surfaces the App Service error message, never the identity header', async () => {
    script.push({ status: 400, body: { statusCode: 400, message: 'Unable to load the proper Managed Identity.', correlationId: 'c-1' } });
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'azure-app-service');
      assert.match(err.message, /HTTP 400: Unable to load the proper Managed Identity\./);
      assert.equal(err.message.includes(IDENTITY_HEADER), false);
      return true;
    });
    assert.equal(host.requests.length, 1);
  });

  it('retries 500 and succeeds', async () => {
    script.push({ status: 500 }, { status: 200, body: { access_token: await issuer.sign(), expires_on: '9999999999' } });
    await provider()();
    assert.equal(host.requests.length, 2);
    assert.deepEqual(sleeps, [1000]);
  });

  it('requires the endpoint and identity header', () => {
    assert.throws(() => provider({ env: { IDENTITY_ENDPOINT: `${host.url}/msi/token` } }), /IDENTITY_HEADER/);
    assert.throws(() => provider({ env: { IDENTITY_HEADER } }), /IDENTITY_ENDPOINT/);
    assert.throws(() => provider({ principalId: 'p', miResId: 'm' }), /at most one of/);
    assert.throws(() => provider({ endpoint: 'not a url' }), /not a valid URL/);
  });
});
