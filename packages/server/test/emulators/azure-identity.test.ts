/**
 * Fidelity: the real `@azure/identity@4.13.1` client must accept the emulators unmodified.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ManagedIdentityCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { startEntraFixture, type EntraFixture } from './entra-fixture.ts';
import { startImdsFixture, type ImdsFixture } from './imds-fixture.ts';
import { writeCaFile } from '../helpers/tls.ts';

const run = promisify(execFile);

/** @azure/identity reads these at construction; each test sets and restores them. */
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const managed = [
    'AZURE_POD_IDENTITY_AUTHORITY_HOST',
    'IDENTITY_ENDPOINT',
    'IDENTITY_HEADER',
    'MSI_ENDPOINT',
    'MSI_SECRET',
    'IMDS_ENDPOINT',
    'AZURE_CLIENT_ID',
    'AZURE_TENANT_ID',
    'AZURE_FEDERATED_TOKEN_FILE',
  ];
  const saved = Object.fromEntries(managed.map((name) => [name, process.env[name]]));
  for (const name of managed) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const name of managed) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * The credential first pings IMDS with a 1 s timeout and reports it unavailable when no answer comes;
 * a loaded CI machine running test files in parallel can miss that, so the tests allow 10 s.
 */
const probeTimeout = { requestOptions: { timeout: 10_000 } };

describe('@azure/identity ManagedIdentityCredential against the IMDS emulator', () => {
  let fx: ImdsFixture;
  before(async () => {
    fx = await startImdsFixture();
  });
  after(() => fx.close());

  it('gets a system-assigned token (trailing-slash path, api-version 2018-02-01, Metadata: true)', async () => {
    const token = await withEnv(fx.imds.env(), () => new ManagedIdentityCredential().getToken(`${fx.v1Resource}/.default`, probeTimeout));
    const claims = decodeJwt(token.token);
    assert.equal(claims.aud, fx.v1Resource);
    assert.equal(claims.appid, fx.system.clientId);
    // MSAL turns expires_on into expires_in against its clock, then back into a time against a later
    // reading of it: the result is expires_on, or one second more when a second boundary fell between.
    const expiresOn = Math.floor(token.expiresOnTimestamp / 1000);
    assert.ok(expiresOn - (claims.exp ?? 0) >= 0 && expiresOn - (claims.exp ?? 0) <= 1, `expiresOn ${expiresOn}, exp ${claims.exp}`);
    const last = fx.imds.requests.at(-1);
    assert.equal(last?.metadataHeader, 'true');
    assert.equal(last?.query['api-version'], '2018-02-01');
    assert.equal(last?.query.resource, fx.v1Resource);
  });

  it('gets a user-assigned token selected by client ID', async () => {
    const token = await withEnv(fx.imds.env(), () =>
      new ManagedIdentityCredential({ clientId: fx.user.clientId }).getToken(`${fx.v2Resource.uri}/.default`, probeTimeout),
    );
    const claims = decodeJwt(token.token);
    assert.equal(claims.azp, fx.user.clientId);
    assert.equal(claims.ver, '2.0');
  });

  it('retries through an injected 500 and then succeeds', async () => {
    fx.imds.failNext({ status: 500 });
    const before = fx.imds.requests.length;
    const token = await withEnv(fx.imds.env(), () =>
      new ManagedIdentityCredential({ clientId: fx.user.clientId }).getToken(`${fx.v1Resource}/.default`, probeTimeout),
    );
    assert.equal(decodeJwt(token.token).appid, fx.user.clientId);
    const attempts = fx.imds.requests.slice(before).map((request) => request.status);
    assert.deepEqual(attempts, [500, 200]);
  });

  it('fails for an identity not attached to the VM', async () => {
    await withEnv(fx.imds.env(), () =>
      assert.rejects(new ManagedIdentityCredential({ clientId: fx.foreign.clientId }).getToken(`${fx.v1Resource}/.default`, probeTimeout), (error: Error) => {
        assert.match(error.name, /CredentialUnavailableError|AuthenticationError/);
        return true;
      }),
    );
  });
});

describe('@azure/identity ClientAssertionCredential against the HTTPS Entra emulator', () => {
  let fx: EntraFixture;
  let ca: { path: string; cleanup: () => Promise<void> };
  before(async () => {
    fx = await startEntraFixture();
    ca = await writeCaFile(fx.entra.caCertificate ?? '');
  });
  after(async () => {
    await ca.cleanup();
    await fx.close();
  });

  const script = fileURLToPath(new URL('./fixtures/client-assertion-child.ts', import.meta.url));
  async function runCredential(clientId: string, assertion: string, scope: string): Promise<Record<string, unknown>> {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: ca.path,
        EMULATOR_AUTHORITY: fx.entra.authorityHost,
        EMULATOR_TENANT: fx.entra.tenantId,
        EMULATOR_CLIENT_ID: clientId,
        EMULATOR_SCOPE: scope,
        EMULATOR_ASSERTION: assertion,
      },
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  }

  it('exchanges a Kubernetes assertion for a v2 access token', async () => {
    const result = await runCredential(fx.clientId, await fx.assertion(), `${fx.v2Resource.uri}/.default`);
    assert.equal(typeof result.token, 'string', JSON.stringify(result));
    const { payload } = await fx.verify(result.token as string, '2.0');
    assert.equal(payload.azp, fx.clientId);
    assert.equal(payload.aud, fx.v2Resource.appId);
  });

  it('surfaces the AADSTS700213 error for a subject with no federated credential', async () => {
    const result = await runCredential(fx.clientId, await fx.assertion({ serviceAccount: 'other' }), `${fx.v2Resource.uri}/.default`);
    assert.equal(result.token, undefined);
    assert.match(String(result.error), /^Authentication(Required)?Error$/);
    assert.match(String(result.message), /AADSTS700213/);
  });
});
