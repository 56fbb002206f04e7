import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { EntraEmulator, GcpMetadataEmulator, isEmulatorKind, KubernetesIssuer, startEmulator, EMULATOR_KINDS } from '../../src/emulators/index.ts';

describe('emulators index', () => {
  it('starts every kind through startEmulator with a loopback baseUrl and closes it', async () => {
    const entra = await startEmulator('entra', {});
    const imds = await startEmulator('imds', { tokenSource: entra });
    const k8s = await startEmulator('k8s', {});
    const github = await startEmulator('github', { tls: true });
    const gcp = await startEmulator('gcp', {});
    try {
      assert.ok(gcp instanceof GcpMetadataEmulator);
      assert.match(gcp.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(entra instanceof EntraEmulator);
      assert.ok(k8s instanceof KubernetesIssuer);
      assert.match(entra.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(imds.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(github.baseUrl, /^https:\/\//);
      assert.equal(typeof github.caCertificate, 'string');
    } finally {
      await Promise.all([imds.close(), entra.close(), k8s.close(), github.close(), gcp.close()]);
    }
    await assert.rejects(fetch(`${k8s.baseUrl}/.well-known/openid-configuration`), TypeError);
  });

  it('recognises only the known kinds', () => {
    assert.deepEqual([...EMULATOR_KINDS], ['entra', 'imds', 'k8s', 'github', 'gcp']);
    assert.equal(isEmulatorKind('aws'), false);
    assert.equal(isEmulatorKind('ENTRA'), false);
  });

  it('rejects bad options with a clear error', async () => {
    await assert.rejects(startEmulator('entra', { tenantId: 'contoso' }), TypeError);
    await assert.rejects(startEmulator('entra', { tls: false, accessTokenLifetimeSeconds: 0 }), RangeError);
    await assert.rejects(startEmulator('github', { tokenLifetimeSeconds: -1 }), RangeError);
    await assert.rejects(startEmulator('gcp', { tokenLifetimeSeconds: 0 }), RangeError);
    await assert.rejects(startEmulator('k8s', { maxExpirationSeconds: 60 }), RangeError);
    await assert.rejects(startEmulator('k8s', { keyGraceSeconds: -1 }), RangeError);
  });

  it('drops a client that never finishes its headers (header timeout) without crashing', { timeout: 20_000 }, async () => {
    const k8s = await startEmulator('k8s', {});
    try {
      const port = Number(new URL(k8s.baseUrl).port);
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n'));
        socket.resume();
        socket.on('close', () => resolve(true));
        socket.on('error', () => undefined);
      });
      assert.equal(closed, true);
      assert.equal((await fetch(`${k8s.baseUrl}/openid/v1/jwks`)).status, 200);
    } finally {
      await k8s.close();
    }
  });

  it('answers 431 to oversized headers', async () => {
    const k8s = await startEmulator('k8s', {});
    try {
      const response = await fetch(`${k8s.baseUrl}/openid/v1/jwks`, { headers: { 'x-big': 'a'.repeat(20 * 1024) } });
      assert.equal(response.status, 431);
    } finally {
      await k8s.close();
    }
  });
});
