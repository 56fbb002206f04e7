import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { IdentityTokenError, WorkloadIdentityCredentials, WorkloadIdentityError, type WorkloadIdentityCredentialsOptions } from '../src/index.ts';
import { startLoopbackServer, type LoopbackServer } from './helpers/loopback-server.ts';
import { createTempDir, createTestIssuer, type TempDir, type TestIssuer } from './helpers/test-issuer.ts';
import { startFakeTokenEndpoint, TEST_ORG_ID, TEST_RULE_ID, type FakeTokenEndpoint } from './helpers/token-endpoint.ts';

let endpoint: FakeTokenEndpoint;
let issuer: TestIssuer;
let temp: TempDir;
const sleeps: number[] = [];
const recordSleep = async (ms: number) => {
  sleeps.push(ms);
};

before(async () => {
  endpoint = await startFakeTokenEndpoint();
  issuer = await createTestIssuer();
  temp = await createTempDir();
});
after(async () => {
  await endpoint.close();
  await temp.remove();
});
beforeEach(() => {
  endpoint.exchanges.length = 0;
  endpoint.script.length = 0;
  endpoint.fallback = { kind: 'mint' };
  sleeps.length = 0;
});

function credentials(overrides: WorkloadIdentityCredentialsOptions = {}): WorkloadIdentityCredentials {
  return new WorkloadIdentityCredentials({
    identityTokenProvider: () => issuer.sign(),
    federationRuleId: TEST_RULE_ID,
    organizationId: TEST_ORG_ID,
    baseURL: endpoint.url,
    env: {},
    sleep: recordSleep,
    random: () => 0.5,
    ...overrides,
  });
}

describe('exchange wire format', () => {
  it('POSTs the jwt-bearer grant as JSON with the federation beta header', async () => {
    const assertion = await issuer.sign();
    const creds = credentials({
      identityTokenProvider: () => assertion,
      serviceAccountId: 'svac_01Worker',
      workspaceId: 'wrkspc_01Prod',
    });
    const token = await creds.getToken();
    assert.equal(token.token, endpoint.minted.at(-1));
    const call = endpoint.exchanges[0];
    assert.ok(call);
    assert.deepEqual(call.body, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
      federation_rule_id: TEST_RULE_ID,
      organization_id: TEST_ORG_ID,
      service_account_id: 'svac_01Worker',
      workspace_id: 'wrkspc_01Prod',
    });
    assert.equal(call.headers['anthropic-beta'], 'oauth-2025-04-20,oidc-federation-2026-04-01');
    assert.match(String(call.headers['content-type']), /^application\/json/);
  });

  it('omits optional fields that were not configured', async () => {
    await credentials().getToken();
    const body = endpoint.exchanges[0]?.body ?? {};
    assert.equal('service_account_id' in body, false);
    assert.equal('workspace_id' in body, false);
  });

  it('computes expiresAt from expires_in with the injected clock', async () => {
    endpoint.fallback = { kind: 'mint', expiresIn: 900 };
    const token = await credentials({ now: () => 1_700_000_000_500 }).getToken();
    assert.equal(token.expiresAt, 1_700_000_000 + 900);
  });

  it('accepts a missing token_type and a lower-case bearer', async () => {
    endpoint.script.push({ kind: 'mint', tokenType: null }, { kind: 'mint', tokenType: 'bearer' });
    const creds = credentials();
    assert.match((await creds.getToken()).token, /^sk-ant-oat01-/);
    assert.match((await creds.getToken({ forceRefresh: true })).token, /^sk-ant-oat01-/);
  });

  it('strips trailing slashes and keeps a base path', async () => {
    const creds = credentials({ baseURL: `${endpoint.url}///` });
    assert.equal(creds.tokenEndpoint, `${endpoint.url}/v1/oauth/token`);
    const nested = credentials({ baseURL: 'https://gateway.example/wif/' });
    assert.equal(nested.tokenEndpoint, 'https://gateway.example/wif/v1/oauth/token');
  });
});

describe('configuration from options and environment', () => {
  it('reads the same variables as the SDK and treats empty strings as unset', async () => {
    const tokenFile = await temp.write('env-token.jwt', `${await issuer.sign()}\n`);
    const creds = new WorkloadIdentityCredentials({
      env: {
        ANTHROPIC_FEDERATION_RULE_ID: ` ${TEST_RULE_ID} `,
        ANTHROPIC_ORGANIZATION_ID: TEST_ORG_ID,
        ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_01Env',
        ANTHROPIC_WORKSPACE_ID: '',
        ANTHROPIC_BASE_URL: endpoint.url,
        ANTHROPIC_IDENTITY_TOKEN_FILE: tokenFile,
        ANTHROPIC_IDENTITY_TOKEN: 'ignored-because-file-wins',
      },
    });
    assert.equal(creds.federationRuleId, TEST_RULE_ID);
    assert.equal(creds.workspaceId, undefined);
    await creds.getToken();
    const body = endpoint.exchanges[0]?.body ?? {};
    assert.equal(body.service_account_id, 'svac_01Env');
    assert.equal('workspace_id' in body, false);
    assert.equal(body.assertion, (await readFile(tokenFile, 'utf8')).trim());
  });

  it('uses ANTHROPIC_IDENTITY_TOKEN when no file is set', async () => {
    const assertion = await issuer.sign();
    const creds = new WorkloadIdentityCredentials({
      env: {
        ANTHROPIC_FEDERATION_RULE_ID: TEST_RULE_ID,
        ANTHROPIC_ORGANIZATION_ID: TEST_ORG_ID,
        ANTHROPIC_BASE_URL: endpoint.url,
        ANTHROPIC_IDENTITY_TOKEN_FILE: '   ',
        ANTHROPIC_IDENTITY_TOKEN: assertion,
      },
    });
    await creds.getToken();
    assert.equal(endpoint.exchanges[0]?.body.assertion, assertion);
  });

  it('explicit options win over the environment', async () => {
    const creds = credentials({ env: { ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_fromEnv', ANTHROPIC_BASE_URL: 'https://elsewhere.example' } });
    assert.equal(creds.federationRuleId, TEST_RULE_ID);
    assert.equal(creds.tokenEndpoint, `${endpoint.url}/v1/oauth/token`);
  });

  it('defaults the base URL to https://api.anthropic.com', () => {
    const creds = credentials({ baseURL: undefined });
    assert.equal(creds.tokenEndpoint, 'https://api.anthropic.com/v1/oauth/token');
  });

  it('names the option and variable when the rule or organization is missing', () => {
    assert.throws(() => credentials({ federationRuleId: undefined }), {
      name: 'TypeError',
      message: /federationRuleId is required: pass it or set ANTHROPIC_FEDERATION_RULE_ID/,
    });
    assert.throws(() => credentials({ organizationId: undefined, env: { ANTHROPIC_ORGANIZATION_ID: '' } }), {
      name: 'TypeError',
      message: /ANTHROPIC_ORGANIZATION_ID/,
    });
  });

  it('requires an identity token source', () => {
    assert.throws(() => credentials({ identityTokenProvider: undefined }), {
      name: 'TypeError',
      message: /ANTHROPIC_IDENTITY_TOKEN_FILE or ANTHROPIC_IDENTITY_TOKEN/,
    });
  });

  it('rejects empty option strings and out-of-range limits', () => {
    assert.throws(() => credentials({ workspaceId: ' ' }), /workspaceId must be a non-empty string/);
    assert.throws(() => credentials({ maxAttempts: 0 }), /maxAttempts must be an integer between 1 and 10/);
    assert.throws(() => credentials({ maxAttempts: 11 }), /maxAttempts/);
    assert.throws(() => credentials({ timeoutMs: 1.5 }), /timeoutMs/);
  });
});

describe('transport security', () => {
  for (const baseURL of ['http://api.example.com', 'http://10.0.0.5:8080', 'ftp://127.0.0.1', 'http://localhost.evil.example']) {
    it(`refuses ${baseURL}`, () => {
      assert.throws(() => credentials({ baseURL }), { name: 'TypeError', message: /must use https/ });
    });
  }

  for (const baseURL of ['http://localhost:1', 'http://127.0.0.1:1', 'http://[::1]:1', 'https://api.example.com']) {
    it(`allows ${baseURL}`, () => {
      assert.ok(credentials({ baseURL }).tokenEndpoint.endsWith('/v1/oauth/token'));
    });
  }

  it('rejects an unparsable base URL', () => {
    assert.throws(() => credentials({ baseURL: 'not a url' }), { name: 'TypeError', message: /not a valid URL/ });
  });

  it('does not follow a redirect and does not retry it', async () => {
    const redirector = await startLoopbackServer(() => ({ status: 307, headers: { location: `${endpoint.url}/v1/oauth/token` } }));
    try {
      const creds = credentials({ baseURL: redirector.url });
      await assert.rejects(creds.getToken(), (err: unknown) => {
        assert.ok(err instanceof WorkloadIdentityError);
        assert.equal(err.statusCode, 307);
        assert.match(err.message, /redirect refused/);
        return true;
      });
      assert.equal(redirector.requests.length, 1);
      assert.equal(endpoint.exchanges.length, 0);
    } finally {
      await redirector.close();
    }
  });
});

describe('assertion limits', () => {
  it('refuses an assertion over 16 KiB without any network call', async () => {
    const huge = `eyJhbGciOiJSUzI1NiJ9.${'A'.repeat(16 * 1024)}.sig`;
    await assert.rejects(credentials({ identityTokenProvider: () => huge }).getToken(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.match(err.message, /at most 16384/);
      assert.equal(err.message.includes(huge.slice(0, 40)), false);
      return true;
    });
    assert.equal(endpoint.exchanges.length, 0);
  });

  it('accepts an assertion of exactly 16 KiB', async () => {
    const exact = 'a'.repeat(16 * 1024);
    await credentials({ identityTokenProvider: () => exact }).getToken();
    assert.equal(endpoint.exchanges[0]?.body.assertion, exact);
  });

  it('refuses an empty or non-string identity token', async () => {
    for (const provider of [() => '', () => '  \n', () => 42 as unknown as string]) {
      await assert.rejects(credentials({ identityTokenProvider: provider }).getToken(), {
        name: 'IdentityTokenError',
        message: /empty or non-string/,
      });
    }
    assert.equal(endpoint.exchanges.length, 0);
  });

  it('wraps a throwing custom provider as IdentityTokenError and does not retry it', async () => {
    let calls = 0;
    const creds = credentials({
      identityTokenProvider: () => {
        calls++;
        throw new Error('metadata unreachable');
      },
    });
    await assert.rejects(creds.getToken(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'custom');
      assert.match(err.message, /metadata unreachable/);
      return true;
    });
    assert.equal(calls, 1);
    assert.equal(endpoint.exchanges.length, 0);
  });
});

describe('denials, retries and redaction', () => {
  it('surfaces a 401 as WorkloadIdentityError with status, request id, redacted body and a hint; no retry', async () => {
    endpoint.fallback = { kind: 'deny' };
    const assertion = await issuer.sign();
    await assert.rejects(credentials({ identityTokenProvider: () => assertion }).getToken(), (err: unknown) => {
      assert.ok(err instanceof WorkloadIdentityError);
      assert.equal(err.statusCode, 401);
      assert.match(String(err.requestId), /^req_test/);
      assert.deepEqual(err.body, { error: { type: 'authentication_error', message: 'Authentication failed' } });
      assert.match(err.message, /HTTP 401/);
      assert.match(err.message, /ANTHROPIC_WORKSPACE_ID/);
      assert.equal(err.message.includes(assertion), false);
      assert.equal(JSON.stringify(err.body).includes(assertion), false);
      return true;
    });
    assert.equal(endpoint.exchanges.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it('omits the workspace hint when a workspace was configured', async () => {
    endpoint.fallback = { kind: 'deny' };
    await assert.rejects(credentials({ workspaceId: 'wrkspc_01Prod' }).getToken(), (err: Error) => {
      assert.equal(err.message.includes('ANTHROPIC_WORKSPACE_ID'), false);
      return true;
    });
  });

  it('does not retry 400 invalid_request_error', async () => {
    endpoint.fallback = { kind: 'invalid', message: 'federation_rule_id: expected fdrl_ prefix' };
    await assert.rejects(credentials().getToken(), { name: 'WorkloadIdentityError', message: /HTTP 400.*fdrl_ prefix/ });
    assert.equal(endpoint.exchanges.length, 1);
  });

  it('retries 5xx with growing backoff and succeeds, using a fresh assertion per attempt', async () => {
    endpoint.script.push({ kind: 'status', status: 500, body: 'boom' }, { kind: 'status', status: 503, body: 'busy' });
    const token = await credentials().getToken();
    assert.equal(token.token, endpoint.minted.at(-1));
    assert.equal(endpoint.exchanges.length, 3);
    assert.deepEqual(sleeps, [500, 1000]);
    const assertions = new Set(endpoint.exchanges.map((call) => call.body.assertion));
    assert.equal(assertions.size, 3);
  });

  it('gives up after maxAttempts 5xx responses and reports the last one', async () => {
    endpoint.fallback = { kind: 'status', status: 502, body: 'bad gateway' };
    await assert.rejects(credentials({ maxAttempts: 4 }).getToken(), (err: unknown) => {
      assert.ok(err instanceof WorkloadIdentityError);
      assert.equal(err.statusCode, 502);
      assert.equal(err.body, 'bad gateway');
      return true;
    });
    assert.equal(endpoint.exchanges.length, 4);
    assert.equal(sleeps.length, 3);
  });

  it('honours Retry-After on 429 (capped)', async () => {
    endpoint.script.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' } }, { kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    await credentials().getToken();
    assert.deepEqual(sleeps, [2000, 8000]);
  });

  it('retries network failures and then reports statusCode null', async () => {
    const dead = await startLoopbackServer(() => ({ status: 200 }));
    const deadURL = dead.url;
    await dead.close();
    await assert.rejects(credentials({ baseURL: deadURL, maxAttempts: 2 }).getToken(), (err: unknown) => {
      assert.ok(err instanceof WorkloadIdentityError);
      assert.equal(err.statusCode, null);
      assert.match(err.message, /network error/);
      return true;
    });
    assert.equal(sleeps.length, 1);
  });

  it('times out a hanging token endpoint', async () => {
    endpoint.fallback = { kind: 'mint', delayMs: 500 };
    await assert.rejects(credentials({ timeoutMs: 50, maxAttempts: 1 }).getToken(), {
      name: 'WorkloadIdentityError',
      message: /timed out after 50 ms/,
    });
  });

  it('truncates a long non-JSON error body', async () => {
    endpoint.fallback = { kind: 'status', status: 403, body: 'x'.repeat(5000) };
    await assert.rejects(credentials().getToken(), (err: unknown) => {
      assert.ok(err instanceof WorkloadIdentityError);
      assert.equal(typeof err.body, 'string');
      assert.match(String(err.body), /… <3000 more chars>$/);
      assert.ok(err.message.length < 1000);
      return true;
    });
  });

  it('drops every field except error/error_description/error_uri from JSON error bodies', async () => {
    const assertion = await issuer.sign();
    endpoint.fallback = {
      kind: 'status',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'bad', echoed_assertion: assertion, refresh_token: 'rt-secret' },
    };
    await assert.rejects(credentials({ identityTokenProvider: () => assertion }).getToken(), (err: unknown) => {
      assert.ok(err instanceof WorkloadIdentityError);
      assert.deepEqual(err.body, { error: 'invalid_grant', error_description: 'bad' });
      assert.equal(err.message.includes(assertion), false);
      assert.equal(err.message.includes('rt-secret'), false);
      return true;
    });
  });
});

describe('unusable success responses', () => {
  let custom: LoopbackServer;
  let reply: { status: number; body: string | object; headers?: Record<string, string> };
  before(async () => {
    custom = await startLoopbackServer(() => reply);
  });
  after(() => custom.close());

  const cases: Array<[string, string | object, RegExp]> = [
    ['non-JSON body', 'sk-ant-oat01-leaked-in-text', /not JSON/],
    ['a JSON array', ['sk-ant-oat01-x'], /not a JSON object/],
    ['no access_token', { expires_in: 600 }, /access_token missing/],
    ['string expires_in', { access_token: 'sk-ant-oat01-secretvalue', expires_in: '600' }, /expires_in/],
    ['missing expires_in', { access_token: 'sk-ant-oat01-secretvalue' }, /expires_in/],
    ['a MAC token_type', { access_token: 'sk-ant-oat01-secretvalue', expires_in: 600, token_type: 'mac' }, /not Bearer/],
  ];
  for (const [name, body, expected] of cases) {
    it(`rejects ${name} without echoing the token`, async () => {
      reply = { status: 200, body };
      await assert.rejects(credentials({ baseURL: custom.url }).getToken(), (err: unknown) => {
        assert.ok(err instanceof WorkloadIdentityError);
        assert.match(err.message, expected);
        assert.equal(err.message.includes('sk-ant-oat01'), false);
        assert.equal(err.body, null);
        return true;
      });
    });
  }

  it('refuses a response body over 1 MiB', async () => {
    reply = { status: 200, body: { access_token: 'sk-ant-oat01-x', expires_in: 600, padding: 'p'.repeat(1024 * 1024) } };
    await assert.rejects(credentials({ baseURL: custom.url }).getToken(), { name: 'WorkloadIdentityError', message: /exceeds 1048576 bytes/ });
  });
});
