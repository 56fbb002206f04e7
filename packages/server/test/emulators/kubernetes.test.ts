import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { KubernetesIssuer } from '../../src/emulators/kubernetes/kubernetes-issuer.ts';
import type { ProjectedTokenOptions } from '../../src/emulators/kubernetes/service-account-token.ts';

const request: ProjectedTokenOptions = {
  namespace: 'prod',
  serviceAccount: 'worker',
  audiences: ['api://AzureADTokenExchange'],
  pod: { name: 'worker-7d9f' },
};

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Kubernetes issuer emulator', () => {
  let cluster: KubernetesIssuer;
  let dir: string;
  before(async () => {
    cluster = await KubernetesIssuer.start({ issuerPath: '/tenant-id/cluster-id/' });
    dir = await mkdtemp(join(tmpdir(), 'openwif-k8s-'));
  });
  after(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the minimal discovery document and a JWKS whose kid is the SPKI SHA-256', async () => {
    assert.equal(cluster.issuer, `${cluster.baseUrl}/tenant-id/cluster-id/`);
    const response = await fetch(`${cluster.baseUrl}/tenant-id/cluster-id/.well-known/openid-configuration`);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=3600');
    const discovery = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(discovery, {
      issuer: cluster.issuer,
      jwks_uri: `${cluster.baseUrl}/tenant-id/cluster-id/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const { keys } = (await (await fetch(discovery.jwks_uri as string)).json()) as { keys: Array<Record<string, string>> };
    const [key] = keys;
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(key ?? {}).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    const spki = createPublicKey({ key: { kty: 'RSA', n: key?.n ?? '', e: key?.e ?? '' }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    assert.equal(key?.kid, createHash('sha256').update(spki).digest('base64url'));
  });

  it('mints tokens with array aud, nested kubernetes.io claims and a header without typ', async () => {
    const token = await cluster.mintToken({ ...request, node: { name: 'aks-node-0' } });
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', kid: cluster.activeKid });
    const jwks = createRemoteJWKSet(new URL(`${cluster.baseUrl}/tenant-id/cluster-id/openid/v1/jwks`));
    const { payload } = await jwtVerify(token, jwks, { issuer: cluster.issuer, audience: 'api://AzureADTokenExchange' });
    assert.deepEqual(payload.aud, ['api://AzureADTokenExchange']);
    assert.equal(payload.sub, 'system:serviceaccount:prod:worker');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    const k8s = payload['kubernetes.io'] as Record<string, Record<string, string> | string>;
    assert.equal(k8s.namespace, 'prod');
    assert.equal((k8s.serviceaccount as Record<string, string>).name, 'worker');
    assert.match((k8s.serviceaccount as Record<string, string>).uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((k8s.pod as Record<string, string>).name, 'worker-7d9f');
    assert.equal((k8s.node as Record<string, string>).name, 'aks-node-0');
    const again = decodeJwt(await cluster.mintToken(request));
    assert.deepEqual((again['kubernetes.io'] as Record<string, unknown>).serviceaccount, k8s.serviceaccount, 'UIDs are stable');
    assert.notEqual(again.jti, payload.jti);
  });

  it('refuses invalid token requests like the API server', async () => {
    const bad: ProjectedTokenOptions[] = [
      { ...request, expirationSeconds: 599 },
      { ...request, expirationSeconds: 86_401 },
      { ...request, expirationSeconds: 3600.5 },
      { ...request, audiences: [] },
      { ...request, audiences: [''] },
      { ...request, namespace: 'Prod' },
      { ...request, namespace: 'a'.repeat(64) },
      { ...request, serviceAccount: 'bad name' },
      { ...request, pod: { name: '../etc' } },
    ];
    for (const options of bad) await assert.rejects(cluster.mintToken(options), { name: 'InvalidTokenRequestError' });
  });

  it('writes the projected token atomically with mode 0644 and no temp files left', async () => {
    const path = join(dir, 'nested', 'azure-identity-token');
    const { token, expiresAt } = await cluster.writeProjectedToken(path, { ...request, expirationSeconds: 600 });
    assert.equal(await readFile(path, 'utf8'), token);
    assert.equal((await stat(path)).mode & 0o777, 0o644);
    assert.equal(expiresAt.getTime() / 1000, decodeJwt(token).exp);
    assert.deepEqual(await readdir(join(dir, 'nested')), ['azure-identity-token']);
  });

  it('rotates the token file until stopped, and refuses bad intervals', async () => {
    const path = join(dir, 'rotating-token');
    const rotation = cluster.startRotation(path, request, 50);
    await waitFor(() => rotation.writeCount >= 1);
    const first = await readFile(path, 'utf8');
    await waitFor(async () => (await readFile(path, 'utf8')) !== first);
    assert.equal(decodeJwt(await readFile(path, 'utf8')).sub, 'system:serviceaccount:prod:worker');
    rotation.stop();
    const stoppedAt = rotation.writeCount;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(rotation.writeCount <= stoppedAt + 1);
    assert.throws(() => cluster.startRotation(path, request, 5), RangeError);
    assert.throws(() => cluster.startRotation(path, request, 3_600_000), RangeError);
    assert.throws(() => cluster.startRotation(path, { ...request, expirationSeconds: 10 }), { name: 'InvalidTokenRequestError' });
  });

  it('records write failures instead of crashing', async () => {
    const blocker = join(dir, 'not-a-dir');
    await cluster.writeProjectedToken(blocker, request);
    const rotation = cluster.startRotation(join(blocker, 'token'), request, 50);
    await waitFor(() => rotation.lastError !== undefined);
    assert.equal(rotation.writeCount, 0);
    rotation.stop();
  });

  it('keeps a rotated key published: old tokens verify, new tokens use the new kid', async () => {
    const oldToken = await cluster.mintToken(request);
    const oldKid = cluster.activeKid;
    const { kid } = await cluster.rotateKeys();
    assert.notEqual(kid, oldKid);
    const newToken = await cluster.mintToken(request);
    assert.equal(decodeProtectedHeader(newToken).kid, kid);
    const jwks = createRemoteJWKSet(new URL(`${cluster.baseUrl}/tenant-id/cluster-id/openid/v1/jwks`));
    await jwtVerify(oldToken, jwks, { issuer: cluster.issuer });
    await jwtVerify(newToken, jwks, { issuer: cluster.issuer });
  });

  it('answers 404 elsewhere (including the issuer without its path) and 405 to POST', async () => {
    assert.equal((await fetch(`${cluster.baseUrl}/.well-known/openid-configuration`)).status, 404);
    assert.equal((await fetch(`${cluster.baseUrl}/tenant-id/cluster-id/openid/v1/jwks`, { method: 'POST' })).status, 405);
  });

  it('stops rotations on close', async () => {
    const other = await KubernetesIssuer.start();
    const path = join(dir, 'closing-token');
    const rotation = other.startRotation(path, request, 50);
    await waitFor(() => rotation.writeCount >= 1);
    await other.close();
    const count = rotation.writeCount;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(rotation.writeCount <= count + 1);
    await assert.rejects(KubernetesIssuer.start({ issuerPath: 'no-leading-slash' }), TypeError);
  });
});
