import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gcpMetadata } from '@openwif/client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { GcpMetadataEmulator } from '../../src/emulators/gcp/gcp-metadata-emulator.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';

const IDENTITY = '/computeMetadata/v1/instance/service-accounts/default/identity';

describe('GCP metadata server emulator', () => {
  let gcp: GcpMetadataEmulator;
  before(async () => {
    gcp = await GcpMetadataEmulator.start();
  });
  after(() => gcp.close());

  const get = (path: string, headers: Record<string, string> = { 'metadata-flavor': 'Google' }) => fetch(`${gcp.baseUrl}${path}`, { headers });

  it('answers the raw JWT as text, every response with Metadata-Flavor: Google', async () => {
    const res = await get(`${IDENTITY}?audience=${encodeURIComponent(DEFAULT_AUDIENCE)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('metadata-flavor'), 'Google');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createRemoteJWKSet(new URL(`${gcp.baseUrl}/oauth2/v3/certs`)), {
      issuer: gcp.issuer,
      audience: DEFAULT_AUDIENCE,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    // format=standard (the default): exactly these claims, one hour, sub and azp the numeric ID.
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'azp', 'exp', 'iat', 'iss', 'sub']);
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.equal(payload.sub, gcp.serviceAccount.uniqueId);
    assert.equal(payload.azp, gcp.serviceAccount.uniqueId);
    assert.match(payload.sub!, /^\d{21}$/);
  });

  it('format=full adds the email and the VM; licenses=TRUE adds its license IDs; the email names the account too', async () => {
    const full = decodeJwt(
      await (await get(`/computeMetadata/v1/instance/service-accounts/${encodeURIComponent(gcp.serviceAccount.email)}/identity?audience=a&format=full`)).text(),
    );
    assert.equal(full.email, gcp.serviceAccount.email);
    assert.equal(full.email_verified, true);
    const vm = (full.google as { compute_engine: Record<string, unknown> }).compute_engine;
    assert.equal(vm.project_id, gcp.instance.projectId);
    assert.equal(vm.project_number, gcp.instance.projectNumber);
    assert.equal(vm.instance_id, gcp.instance.instanceId);
    assert.equal(vm.license_id, undefined);
    const licensed = decodeJwt(await (await get(`${IDENTITY}?audience=a&format=full&licenses=TRUE`)).text());
    assert.deepEqual((licensed.google as { compute_engine: Record<string, unknown> }).compute_engine.license_id, gcp.instance.licenseIds);
  });

  it('refuses what the real server refuses, still saying Metadata-Flavor: Google', async () => {
    const cases: Array<[string, Record<string, string> | undefined, number]> = [
      [`${IDENTITY}?audience=a`, {}, 403],
      [`${IDENTITY}?audience=a`, { 'metadata-flavor': 'Google', 'x-forwarded-for': '10.0.0.1' }, 403],
      [IDENTITY, undefined, 400],
      [`${IDENTITY}?audience=`, undefined, 400],
      [`${IDENTITY}?audience=a&audience=b`, undefined, 400],
      [`${IDENTITY}?audience=a&format=compact`, undefined, 400],
      [`${IDENTITY}?audience=${'a'.repeat(1001)}`, undefined, 400],
      ['/computeMetadata/v1/instance/service-accounts/other@x.iam.gserviceaccount.com/identity?audience=a', undefined, 404],
      ['/computeMetadata/v1/instance/service-accounts/%E0%A4%A/identity?audience=a', undefined, 404],
    ];
    for (const [path, headers, status] of cases) {
      const res = await get(path, headers);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get('metadata-flavor'), 'Google', path);
    }
    const post = await fetch(`${gcp.baseUrl}${IDENTITY}?audience=a`, { method: 'POST', headers: { 'metadata-flavor': 'Google' } });
    assert.equal(post.status, 405);
  });

  it("serves @openwif/client's gcpMetadata provider, which retries through injected 503s", async () => {
    const provider = gcpMetadata({ audience: DEFAULT_AUDIENCE, env: gcp.env(), sleep: async () => undefined });
    gcp.failNext({ status: 503, count: 2 });
    const claims = decodeJwt(await provider());
    assert.equal(claims.aud, DEFAULT_AUDIENCE);
    assert.equal(claims.email, gcp.serviceAccount.email, 'the provider asks for format=full');
  });
});

describe('a GCP workload federates to OpenWIF through the emulator', () => {
  let gcp: GcpMetadataEmulator;
  let server: TestServer;
  before(async () => {
    gcp = await GcpMetadataEmulator.start();
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    await gcp.close();
  });

  it('an identity token from the metadata server is exchanged, matched on the service account email', async () => {
    const federation = await seedFederation(server, {
      issuerUrl: gcp.issuer,
      match: { subject_prefix: gcp.serviceAccount.uniqueId, claims: { email: gcp.serviceAccount.email } },
    });
    const token = await gcpMetadata({ audience: DEFAULT_AUDIENCE, env: gcp.env() })();
    const res = await exchange(server, federation, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.access_token as string, /^sk-ant-oat01-/);

    const otherVm = await GcpMetadataEmulator.start({
      serviceAccount: { email: 'other@demo-project.iam.gserviceaccount.com', uniqueId: gcp.serviceAccount.uniqueId },
    });
    try {
      // Same numeric ID from another metadata server: not the issuer the rule trusts.
      const foreign = await gcpMetadata({ audience: DEFAULT_AUDIENCE, env: otherVm.env() })();
      assert.equal((await exchange(server, federation, foreign)).status, 401);
    } finally {
      await otherVm.close();
    }
  });
});
