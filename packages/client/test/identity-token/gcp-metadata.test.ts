import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gcpMetadata, IdentityTokenError, type GcpMetadataOptions } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer, type ScriptedResponse } from '../helpers/loopback-server.ts';
import { createTestIssuer, type TestIssuer } from '../helpers/test-issuer.ts';

const GOOGLE = { 'metadata-flavor': 'Google' };
let metadata: LoopbackServer;
let issuer: TestIssuer;
let script: ScriptedResponse[];
const sleeps: number[] = [];

before(async () => {
  issuer = await createTestIssuer('https://accounts.google.com');
  metadata = await startLoopbackServer(() => script.shift() ?? { status: 500, headers: GOOGLE, body: 'internal' });
});
after(() => metadata.close());
beforeEach(() => {
  script = [];
  metadata.requests.length = 0;
  sleeps.length = 0;
});

function provider(overrides: Partial<GcpMetadataOptions> = {}) {
  return gcpMetadata({
    audience: 'https://api.anthropic.com',
    env: { GCE_METADATA_HOST: new URL(metadata.url).host },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

describe('gcpMetadata', () => {
  it('GETs the identity endpoint with Metadata-Flavor: Google and format=full', async () => {
    const jwt = await issuer.sign({ email: 'worker@proj.iam.gserviceaccount.com' });
    script.push({ status: 200, headers: GOOGLE, body: jwt });
    assert.equal(await provider()(), jwt);
    const request = metadata.requests[0];
    assert.ok(request);
    assert.equal(request.headers['metadata-flavor'], 'Google');
    const url = new URL(request.url, metadata.url);
    assert.equal(url.pathname, '/computeMetadata/v1/instance/service-accounts/default/identity');
    assert.equal(url.searchParams.get('audience'), 'https://api.anthropic.com');
    assert.equal(url.searchParams.get('format'), 'full');
    assert.equal(url.searchParams.has('licenses'), false);
  });

  it('accepts a host option with scheme and the standard format with licenses', async () => {
    script.push({ status: 200, headers: GOOGLE, body: await issuer.sign() });
    await provider({ host: metadata.url, env: {}, format: 'standard', licenses: true })();
    const url = new URL(metadata.requests[0]?.url ?? '', metadata.url);
    assert.equal(url.searchParams.get('format'), 'standard');
    assert.equal(url.searchParams.get('licenses'), 'TRUE');
  });

  it('refuses a response without Metadata-Flavor: Google, even a 200', async () => {
    script.push({ status: 200, body: await issuer.sign() });
    await assert.rejects(provider()(), { name: 'IdentityTokenError', message: /lacks "Metadata-Flavor: Google"/ });
    assert.equal(metadata.requests.length, 1);
  });

  it('does not retry 403 and quotes the short error text', async () => {
    script.push({ status: 403, headers: GOOGLE, body: 'Missing required header' });
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'gcp-metadata');
      assert.equal(err.statusCode, 403);
      assert.match(err.message, /HTTP 403: Missing required header/);
      return true;
    });
    assert.equal(metadata.requests.length, 1);
  });

  it('retries 5xx then gives up after maxAttempts', async () => {
    await assert.rejects(provider({ maxAttempts: 3 })(), { statusCode: 500 });
    assert.equal(metadata.requests.length, 3);
    assert.deepEqual(sleeps, [500, 1000]);
  });

  it('rejects a 200 body that is not a compact JWT (e.g. an HTML page)', async () => {
    script.push({ status: 200, headers: GOOGLE, body: '<html>login</html>' });
    await assert.rejects(provider()(), { message: /not a JWT/ });
  });

  it('validates its options', () => {
    assert.throws(() => provider({ audience: ' ' }), { name: 'TypeError', message: /audience/ });
    assert.throws(() => provider({ format: 'compact' as 'full' }), { name: 'TypeError', message: /format/ });
    assert.throws(() => provider({ host: 'http://[bad' }), { name: 'TypeError', message: /metadata host/ });
  });
});
