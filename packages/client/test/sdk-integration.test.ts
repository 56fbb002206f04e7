import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { WorkloadIdentityCredentials, fileToken } from '../src/index.ts';
import { createTempDir, createTestIssuer, type TempDir, type TestIssuer } from './helpers/test-issuer.ts';
import { startFakeTokenEndpoint, TEST_ORG_ID, TEST_RULE_ID, type FakeTokenEndpoint } from './helpers/token-endpoint.ts';

let endpoint: FakeTokenEndpoint;
let issuer: TestIssuer;
let temp: TempDir;

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
  endpoint.apiBearers.length = 0;
  endpoint.minted.length = 0;
  endpoint.revoked.clear();
  endpoint.fallback = { kind: 'mint' };
});

async function credentialsFromTokenFile(): Promise<WorkloadIdentityCredentials> {
  const tokenFile = await temp.write('sdk-token.jwt', await issuer.sign());
  return new WorkloadIdentityCredentials({
    identityTokenProvider: fileToken(tokenFile),
    federationRuleId: TEST_RULE_ID,
    organizationId: TEST_ORG_ID,
    baseURL: endpoint.url,
    env: {},
  });
}

describe('official @anthropic-ai/sdk client', () => {
  it('sends the minted token as a Bearer on API calls and reuses it', async () => {
    const creds = await credentialsFromTokenFile();
    const client = new Anthropic({ baseURL: endpoint.url, credentials: creds.provider, maxRetries: 0 });
    const org = await client.organization.retrieve();
    assert.equal(org.id, TEST_ORG_ID);
    await client.organization.retrieve();
    assert.equal(endpoint.exchanges.length, 1);
    assert.deepEqual(endpoint.apiBearers, [endpoint.minted[0], endpoint.minted[0]]);
  });

  it('after a 401 the SDK forces a new exchange through the provider and retries with the new token', async () => {
    const creds = await credentialsFromTokenFile();
    const client = new Anthropic({ baseURL: endpoint.url, credentials: creds.provider, maxRetries: 1 });
    await client.organization.retrieve();
    const firstToken = endpoint.minted[0];
    assert.ok(firstToken);
    endpoint.revoked.add(firstToken);
    const org = await client.organization.retrieve();
    assert.equal(org.id, TEST_ORG_ID);
    assert.equal(endpoint.exchanges.length, 2);
    assert.deepEqual(endpoint.apiBearers, [firstToken, firstToken, endpoint.minted[1]]);
  });

  it('surfaces an exchange denial as the request error, without the assertion', async () => {
    const creds = await credentialsFromTokenFile();
    endpoint.fallback = { kind: 'deny' };
    const client = new Anthropic({ baseURL: endpoint.url, credentials: creds.provider, maxRetries: 0 });
    await assert.rejects(client.organization.retrieve(), (err: Error) => {
      assert.match(err.message, /HTTP 401/);
      assert.equal(err.message.includes(String(endpoint.exchanges[0]?.body.assertion)), false);
      return true;
    });
    assert.deepEqual(endpoint.apiBearers, []);
  });
});
