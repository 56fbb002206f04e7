import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { entraFederated, IdentityTokenError, type EntraFederatedOptions } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer, type ScriptedResponse } from '../helpers/loopback-server.ts';
import { createTempDir, createTestIssuer, type TempDir, type TestIssuer } from '../helpers/test-issuer.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '55555555-aaaa-4bbb-8ccc-666666666666';
const SCOPE = 'api://77777777-aaaa-4bbb-8ccc-888888888888/.default';
let entra: LoopbackServer;
let aks: TestIssuer;
let entraIssuer: TestIssuer;
let temp: TempDir;
let tokenFile: string;
let script: ScriptedResponse[];
const sleeps: number[] = [];

function aadstsError(status: number, code: number, error: string, text: string): ScriptedResponse {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-05-01 10:00:00Z`,
      error_codes: [code],
      timestamp: '2026-05-01 10:00:00Z',
      trace_id: 't-1',
      correlation_id: 'c-1',
    },
  };
}

before(async () => {
  aks = await createTestIssuer('https://westeurope.oic.prod-aks.azure.com/tenant/cluster/');
  entraIssuer = await createTestIssuer(`https://login.microsoftonline.com/${TENANT}/v2.0`);
  temp = await createTempDir();
  entra = await startLoopbackServer(() => script.shift() ?? { status: 500 });
});
after(async () => {
  await entra.close();
  await temp.remove();
});
beforeEach(async () => {
  script = [];
  entra.requests.length = 0;
  sleeps.length = 0;
  tokenFile = await temp.write('azure-identity-token', await aks.sign({ aud: ['api://AzureADTokenExchange'] }));
});

function provider(overrides: Partial<EntraFederatedOptions> = {}) {
  return entraFederated({
    scope: SCOPE,
    env: {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: `${entra.url}/`,
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

async function entraSuccess(): Promise<ScriptedResponse> {
  return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: await entraIssuer.sign() } };
}

describe('entraFederated request', () => {
  it('POSTs client_credentials with the projected token as client_assertion', async () => {
    const reply = await entraSuccess();
    script.push(reply);
    const token = await provider()();
    assert.equal(token, (reply.body as { access_token: string }).access_token);
    const request = entra.requests[0];
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, `/${TENANT}/oauth2/v2.0/token`, 'trailing slash of AZURE_AUTHORITY_HOST is normalised');
    assert.match(String(request.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(request.body);
    assert.deepEqual(Object.fromEntries(form), {
      client_id: CLIENT_ID,
      grant_type: 'client_credentials',
      scope: SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: (await readFile(tokenFile, 'utf8')).trim(),
    });
  });

  it('re-reads the token file and asks Entra on every call (no caching)', async () => {
    script.push(await entraSuccess(), await entraSuccess());
    const get = provider();
    await get();
    const rotated = await aks.sign({ aud: ['api://AzureADTokenExchange'] });
    await temp.write('azure-identity-token', rotated);
    await get();
    assert.equal(entra.requests.length, 2);
    assert.equal(new URLSearchParams(entra.requests[1]?.body).get('client_assertion'), rotated);
  });

  it('explicit options win over the environment', async () => {
    script.push(await entraSuccess());
    await provider({ tenantId: 'contoso.onmicrosoft.com', clientId: 'explicit-client', authorityHost: entra.url })();
    assert.equal(entra.requests[0]?.url, '/contoso.onmicrosoft.com/oauth2/v2.0/token');
    assert.equal(new URLSearchParams(entra.requests[0]?.body).get('client_id'), 'explicit-client');
  });
});

describe('entraFederated errors', () => {
  it('surfaces AADSTS700213 (subject mismatch) without retrying and without the assertion', async () => {
    script.push(aadstsError(400, 700213, 'invalid_client', 'No matching federated identity record found for presented assertion subject.'));
    const assertion = (await readFile(tokenFile, 'utf8')).trim();
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'entra-federated');
      assert.equal(err.statusCode, 400);
      assert.equal(err.errorCode, 'AADSTS700213');
      assert.match(err.message, /HTTP 400 \(AADSTS700213\): invalid_client; AADSTS700213: No matching federated identity record/);
      assert.equal(err.message.includes('Trace ID'), false, 'only the first line of error_description is quoted');
      assert.equal(err.message.includes(assertion), false);
      return true;
    });
    assert.equal(entra.requests.length, 1);
  });

  it('reads the AADSTS code from the description when error_codes is absent (401 invalid_client)', async () => {
    script.push({ status: 401, body: { error: 'invalid_client', error_description: 'AADSTS700024: Client assertion is not within its valid time range.' } });
    await assert.rejects(provider()(), { statusCode: 401, errorCode: 'AADSTS700024' });
    assert.equal(entra.requests.length, 1);
  });

  it('retries 503 and 429 (Retry-After) then succeeds', async () => {
    script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '4' } }, await entraSuccess());
    await provider()();
    assert.equal(entra.requests.length, 3);
    assert.deepEqual(sleeps, [1000, 4000]);
  });

  it('stops after maxAttempts server errors', async () => {
    script.push({ status: 500 }, { status: 502 }, { status: 504 }, { status: 500 });
    await assert.rejects(provider({ maxAttempts: 2 })(), { statusCode: 502 });
    assert.equal(entra.requests.length, 2);
  });

  it('rejects a 200 without access_token', async () => {
    script.push({ status: 200, body: { token_type: 'Bearer', expires_in: 3599 } });
    await assert.rejects(provider()(), { message: /no access_token/ });
  });

  it('fails on a missing token file before calling Entra', async () => {
    await assert.rejects(provider({ tokenFile: `${temp.path}/absent` })(), { platform: 'entra-federated', errorCode: 'ENOENT' });
    assert.equal(entra.requests.length, 0);
  });

  it('validates configuration', () => {
    assert.throws(() => provider({ authorityHost: 'http://login.example.com' }), { name: 'TypeError', message: /must use https/ });
    assert.throws(() => provider({ tenantId: '../other' }), { name: 'TypeError', message: /tenantId/ });
    assert.throws(() => provider({ scope: 'api://a/.default api://b/.default' }), { name: 'TypeError', message: /single resource scope/ });
    assert.throws(() => provider({ env: { AZURE_TENANT_ID: TENANT, AZURE_FEDERATED_TOKEN_FILE: tokenFile } }), /AZURE_CLIENT_ID/);
    assert.throws(() => provider({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID } }), /AZURE_FEDERATED_TOKEN_FILE/);
  });
});
