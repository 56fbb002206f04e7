import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveIdentityTokenProvider } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.ts';
import { createTempDir, createTestIssuer, type TempDir, type TestIssuer } from '../helpers/test-issuer.ts';

let temp: TempDir;
let issuer: TestIssuer;
let server: LoopbackServer;
let anthropicFile: string;
let azureFile: string;
let awsFile: string;
let markerToken: string;

before(async () => {
  temp = await createTempDir();
  issuer = await createTestIssuer();
  markerToken = await issuer.sign();
  anthropicFile = await temp.write('anthropic.jwt', markerToken);
  azureFile = await temp.write('azure.jwt', await issuer.sign());
  awsFile = await temp.write('aws.jwt', markerToken);
  server = await startLoopbackServer((request) => {
    const path = new URL(request.url, 'http://x').pathname;
    if (path.endsWith('/oauth2/v2.0/token')) return { status: 200, body: { access_token: 'entra.access.token', expires_in: 3599 } };
    if (path === '/idtoken') return { status: 200, body: { value: 'gh.oidc.token' } };
    if (path === '/msi/token') return { status: 200, body: { access_token: 'appsvc.access.token', expires_on: '9999999999' } };
    if (path.startsWith('/computeMetadata')) return { status: 200, headers: { 'metadata-flavor': 'Google' }, body: 'gcp.identity.token' };
    if (path === '/metadata/identity/oauth2/token') return { status: 200, body: { access_token: 'imds.access.token', expires_on: '9999999999' } };
    return { status: 404 };
  });
});
after(async () => {
  await server.close();
  await temp.remove();
});

function everything(): Record<string, string | undefined> {
  return {
    ANTHROPIC_IDENTITY_TOKEN_FILE: anthropicFile,
    ANTHROPIC_IDENTITY_TOKEN: 'literal.anthropic.token',
    AZURE_FEDERATED_TOKEN_FILE: azureFile,
    AZURE_CLIENT_ID: 'client',
    AZURE_TENANT_ID: 'tenant-1',
    AZURE_AUTHORITY_HOST: server.url,
    ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/idtoken?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
    AWS_WEB_IDENTITY_TOKEN_FILE: awsFile,
    IDENTITY_ENDPOINT: `${server.url}/msi/token`,
    IDENTITY_HEADER: 'header',
    GCE_METADATA_HOST: new URL(server.url).host,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: server.url,
  };
}

const ORDER = [
  ['anthropic-token-file', 'ANTHROPIC_IDENTITY_TOKEN_FILE'],
  ['anthropic-token', 'ANTHROPIC_IDENTITY_TOKEN'],
  ['entra-federated', 'AZURE_FEDERATED_TOKEN_FILE'],
  ['github-actions', 'ACTIONS_ID_TOKEN_REQUEST_URL'],
  ['aws-web-identity', 'AWS_WEB_IDENTITY_TOKEN_FILE'],
  ['azure-app-service', 'IDENTITY_ENDPOINT'],
  ['gcp-metadata', 'GCE_METADATA_HOST'],
  ['azure-imds', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'],
] as const;

const EXPECTED_TOKEN: Record<string, () => string> = {
  'anthropic-token-file': () => markerToken,
  'anthropic-token': () => 'literal.anthropic.token',
  'entra-federated': () => 'entra.access.token',
  'github-actions': () => 'gh.oidc.token',
  'aws-web-identity': () => markerToken,
  'azure-app-service': () => 'appsvc.access.token',
  'gcp-metadata': () => 'gcp.identity.token',
  'azure-imds': () => 'imds.access.token',
};

describe('resolveIdentityTokenProvider precedence', () => {
  // Remove the markers of every higher-priority source, one step at a time.
  for (let index = 0; index < ORDER.length; index++) {
    const [source] = ORDER[index] ?? [];
    it(`picks ${source} when every higher source is absent, and its token works`, async () => {
      const env: Record<string, string | undefined> = everything();
      for (const [, variable] of ORDER.slice(0, index)) env[variable] = '';
      const resolved = resolveIdentityTokenProvider(env, { azureResource: 'api://app' });
      assert.equal(resolved.source, source);
      assert.equal(await resolved.provider(), EXPECTED_TOKEN[resolved.source]?.());
    });
  }

  it('AKS Entra detection needs the client and tenant too', () => {
    const resolved = resolveIdentityTokenProvider({ AZURE_FEDERATED_TOKEN_FILE: azureFile, AZURE_CLIENT_ID: 'client', GCE_METADATA_HOST: 'h:1' }, {});
    assert.equal(resolved.source, 'gcp-metadata');
  });

  it('the azureResource option alone enables the IMDS fallback', () => {
    assert.equal(resolveIdentityTokenProvider({}, { azureResource: 'api://app' }).source, 'azure-imds');
  });

  it('an Azure source without azureResource is a clear configuration error', () => {
    assert.throws(() => resolveIdentityTokenProvider({ AZURE_FEDERATED_TOKEN_FILE: azureFile, AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't' }), {
      name: 'TypeError',
      message: /entra-federated detected but azureResource/,
    });
    assert.throws(() => resolveIdentityTokenProvider({ IDENTITY_ENDPOINT: 'http://127.0.0.1:1/msi', IDENTITY_HEADER: 'h' }), /azure-app-service detected/);
  });

  it('the Entra scope is the resource plus /.default', async () => {
    const env = everything();
    env.ANTHROPIC_IDENTITY_TOKEN_FILE = '';
    env.ANTHROPIC_IDENTITY_TOKEN = '';
    const before = server.requests.length;
    await resolveIdentityTokenProvider(env, { azureResource: 'api://app/' }).provider();
    const form = new URLSearchParams(server.requests[before]?.body);
    assert.equal(form.get('scope'), 'api://app/.default');
  });

  it('lists what was checked when nothing matches', () => {
    assert.throws(() => resolveIdentityTokenProvider({ ANTHROPIC_IDENTITY_TOKEN_FILE: '  ' }), {
      name: 'TypeError',
      message: /no identity token source found: checked ANTHROPIC_IDENTITY_TOKEN_FILE/,
    });
  });
});
