import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { JWT_BEARER, startEntraFixture, type EntraFixture } from './entra-fixture.ts';

interface AadstsBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
}

describe('Entra emulator token endpoint', () => {
  let fx: EntraFixture;
  before(async () => {
    fx = await startEntraFixture();
  });
  after(() => fx.close());

  const grant = async (overrides: Record<string, string | undefined> = {}): Promise<Record<string, string>> => {
    const fields: Record<string, string | undefined> = {
      grant_type: 'client_credentials',
      client_id: fx.clientId,
      scope: `${fx.v2Resource.uri}/.default`,
      client_assertion_type: JWT_BEARER,
      client_assertion: await fx.assertion(),
      ...overrides,
    };
    return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };

  async function expectAadsts(response: Response, status: number, error: string, code: number): Promise<AadstsBody> {
    const body = (await response.json()) as AadstsBody;
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.error, error);
    assert.deepEqual(body.error_codes, [code]);
    assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
    assert.match(body.error_description, /Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(body.trace_id, /^[0-9a-f-]{36}$/);
    return body;
  }

  it('issues a v2 token (numbers in the response, azp/azpacr, aud = resource app ID, no x5t header)', async () => {
    const response = await fx.postToken(await grant());
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(typeof body.expires_in, 'number');
    assert.equal(typeof body.ext_expires_in, 'number');
    assert.ok((body.expires_in as number) > 3500 && (body.expires_in as number) <= 3599);
    const token = body.access_token as string;
    const header = decodeProtectedHeader(token);
    assert.equal(header.typ, 'JWT');
    assert.equal(header.x5t, undefined);
    assert.equal(header.kid, fx.entra.activeKid);
    const { payload } = await fx.verify(token, '2.0');
    assert.equal(payload.ver, '2.0');
    assert.equal(payload.aud, fx.v2Resource.appId);
    assert.equal(payload.azp, fx.clientId);
    assert.equal(payload.azpacr, '2');
    assert.equal(payload.appid, undefined);
    assert.equal(payload.oid, fx.objectId);
    assert.equal(payload.sub, fx.objectId);
    assert.equal(payload.tid, fx.entra.tenantId);
    assert.equal(payload.idtyp, 'app');
    assert.deepEqual(payload.roles, ['Token.Exchange']);
    assert.equal(payload.nbf, payload.iat);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3599);
  });

  it('issues a v1 token for a v1 resource even from the v2 endpoint (appid, aud as requested, x5t = kid)', async () => {
    const response = await fx.postToken(await grant({ scope: `${fx.v1Resource.uri}/.default` }));
    assert.equal(response.status, 200);
    const token = ((await response.json()) as { access_token: string }).access_token;
    const header = decodeProtectedHeader(token);
    assert.equal(header.x5t, header.kid);
    const { payload } = await fx.verify(token, '1.0');
    assert.equal(payload.iss, `${fx.entra.baseUrl}/${fx.entra.tenantId}/`);
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.aud, fx.v1Resource.uri);
    assert.equal(payload.appid, fx.clientId);
    assert.equal(payload.appidacr, '2');
    assert.equal(payload.idp, payload.iss);
    assert.equal(payload.azp, undefined);
    await assert.rejects(fx.verify(token, '2.0'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' });
  });

  it('answers string-typed fields on the v1 /oauth2/token endpoint', async () => {
    const fields = await grant({ scope: undefined, resource: fx.v1Resource.appId });
    const response = await fx.postToken(fields, { path: 'oauth2/token' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    for (const field of ['expires_in', 'ext_expires_in', 'expires_on', 'not_before']) assert.match(String(body[field]), /^\d+$/);
    assert.equal(typeof body.expires_on, 'string');
    assert.equal(body.resource, fx.v1Resource.appId);
  });

  it('echoes client-request-id as correlation_id in errors', async () => {
    const correlation = randomUUID();
    const response = await fx.postToken(await grant({ client_id: randomUUID() }), { headers: { 'client-request-id': correlation } });
    const body = await expectAadsts(response, 400, 'unauthorized_client', 700016);
    assert.equal(body.correlation_id, correlation);
    assert.equal(response.headers.get('client-request-id'), correlation);
  });

  it('rejects a subject that matches no federated credential with AADSTS700213', async () => {
    const assertion = await fx.assertion({ serviceAccount: 'intruder' });
    const body = await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700213);
    assert.ok(body.error_description.includes('system:serviceaccount:prod:intruder'));
    assert.ok(!body.error_description.includes(assertion), 'the assertion itself is never echoed');
  });

  it('rejects an audience that matches no federated credential with AADSTS700212', async () => {
    const assertion = await fx.assertion({ audiences: ['api://SomethingElse'] });
    await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700212);
  });

  it('rejects an issuer that matches no federated credential with AADSTS700211', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const assertion = await new SignJWT({ sub: 'system:serviceaccount:prod:worker', aud: ['api://AzureADTokenExchange'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'x' })
      .setIssuer('https://evil.example')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700211);
  });

  it('rejects an issuer matched case-insensitively only (matching is exact)', async () => {
    const upper = fx.cluster.issuer.replace('http://', 'HTTP://');
    const { privateKey } = await generateKeyPair('RS256');
    const assertion = await new SignJWT({ sub: 'system:serviceaccount:prod:worker', aud: 'api://AzureADTokenExchange' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(upper)
      .setExpirationTime('10m')
      .sign(privateKey);
    await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700211);
  });

  it('rejects a forged signature (right iss/sub/aud and kid, foreign key) with AADSTS700027', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const assertion = await new SignJWT({ sub: 'system:serviceaccount:prod:worker', aud: ['api://AzureADTokenExchange'] })
      .setProtectedHeader({ alg: 'RS256', kid: fx.cluster.activeKid })
      .setIssuer(fx.cluster.issuer)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700027);
  });

  it('rejects an expired assertion with AADSTS700024', async () => {
    const assertion = await fx.assertion();
    fx.clock.now = new Date(fx.clock.now.getTime() + 3601_000);
    try {
      await expectAadsts(await fx.postToken(await grant({ client_assertion: assertion })), 401, 'invalid_client', 700024);
    } finally {
      fx.clock.now = new Date();
    }
  });

  it('rejects a malformed assertion with AADSTS50027', async () => {
    await expectAadsts(await fx.postToken(await grant({ client_assertion: 'not.a.jwt' })), 400, 'invalid_request', 50027);
  });

  it('answers AADSTS90061 when the issuer discovery cannot be fetched', async () => {
    const deadIssuer = 'http://127.0.0.1:9/nowhere';
    fx.entra.directory.registerApplication({
      clientId: 'c0ffee00-0000-4000-8000-000000000001',
      objectId: randomUUID(),
      federatedCredentials: [{ issuer: deadIssuer, subject: 'job' }],
    });
    const { privateKey } = await generateKeyPair('RS256');
    const assertion = await new SignJWT({ sub: 'job', aud: 'api://AzureADTokenExchange' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(deadIssuer)
      .setExpirationTime('10m')
      .sign(privateKey);
    const fields = await grant({ client_id: 'c0ffee00-0000-4000-8000-000000000001', client_assertion: assertion });
    await expectAadsts(await fx.postToken(fields), 400, 'invalid_request', 90061);
  });

  it('rejects an unknown tenant with AADSTS90002', async () => {
    await expectAadsts(await fx.postToken(await grant(), { tenant: randomUUID() }), 400, 'invalid_request', 90002);
  });

  it('rejects scopes that are not exactly one <resource>/.default with AADSTS70011', async () => {
    for (const scope of [fx.v2Resource.uri, `${fx.v1Resource.uri}/.default ${fx.v2Resource.uri}/.default`, '/.default', `${fx.v2Resource.uri}/read`]) {
      await expectAadsts(await fx.postToken(await grant({ scope })), 400, 'invalid_scope', 70011);
    }
  });

  it('ignores OIDC scopes MSAL may add next to the .default scope', async () => {
    const response = await fx.postToken(await grant({ scope: `${fx.v2Resource.uri}/.default openid profile offline_access` }));
    assert.equal(response.status, 200);
  });

  it('rejects an unknown resource with AADSTS500011', async () => {
    await expectAadsts(await fx.postToken(await grant({ scope: 'api://unknown/.default' })), 400, 'invalid_resource', 500011);
  });

  it('rejects a missing or wrongly typed assertion with AADSTS7000218', async () => {
    await expectAadsts(await fx.postToken(await grant({ client_assertion: undefined })), 401, 'invalid_client', 7000218);
    await expectAadsts(await fx.postToken(await grant({ client_assertion_type: 'urn:x' })), 401, 'invalid_client', 7000218);
  });

  it('rejects a missing or unsupported grant_type', async () => {
    await expectAadsts(await fx.postToken(await grant({ grant_type: undefined })), 400, 'invalid_request', 900144);
    await expectAadsts(await fx.postToken(await grant({ grant_type: 'password' })), 400, 'unsupported_grant_type', 70003);
  });

  it('treats a JSON body as missing parameters (form encoding only)', async () => {
    const response = await fx.fetch(`${fx.entra.baseUrl}/${fx.entra.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await grant()),
    });
    await expectAadsts(response, 400, 'invalid_request', 900144);
  });

  it('refuses bodies over 64 KiB and non-POST methods', async () => {
    const big = await fx.postToken({ ...(await grant()), padding: 'x'.repeat(70 * 1024) });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const get = await fx.fetch(`${fx.entra.baseUrl}/${fx.entra.tenantId}/oauth2/v2.0/token`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  });
});
