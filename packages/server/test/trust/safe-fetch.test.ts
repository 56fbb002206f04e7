import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { FetchError, fetchJson, type FetchFailure, type ResolveHost } from '../../src/trust/safe-fetch.ts';
import { createLoopbackTls } from '../helpers/tls.ts';
import { JwksServer, newSigningKey } from './jwks-fixture.ts';

const loopback = new OutboundPolicy(['127.0.0.1/32']);

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FetchError, `expected a FetchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the fetch to fail');
}

function expectCode(err: FetchError, code: FetchFailure): void {
  assert.equal(err.code, code, err.message);
}

describe('fetchJson against a loopback server', () => {
  let server: JwksServer;
  before(async () => {
    server = await JwksServer.start();
    server.publish(await newSigningKey('RS256', 'k1'));
  });
  after(() => server.close());

  it('returns the parsed document', async () => {
    server.mode = 'ok';
    const doc = (await fetchJson(server.jwksUrl, { policy: loopback })) as { keys: Array<{ kid: string }> };
    assert.equal(doc.keys[0]?.kid, 'k1');
  });

  it('fails on HTTP 500 without echoing the body', async () => {
    server.mode = 'status-500';
    const err = await failure(fetchJson(server.jwksUrl, { policy: loopback }));
    expectCode(err, 'http_status');
    assert.match(err.message, /HTTP 500/);
    assert.doesNotMatch(err.message, /internal/);
  });

  it('fails on a body that is not JSON', async () => {
    server.mode = 'garbage';
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback })), 'not_json');
  });

  it('does not follow redirects', async () => {
    server.mode = 'redirect';
    const before = server.requests.redirectTarget;
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback })), 'redirect');
    assert.equal(server.requests.redirectTarget, before, 'the redirect target must not be contacted');
  });

  it('caps the body announced by content-length', async () => {
    server.mode = 'oversized';
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback })), 'too_large');
  });

  it('caps a chunked body while it streams', async () => {
    server.mode = 'chunked-oversized';
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback, maxBytes: 256 * 1024 })), 'too_large');
  });

  it('times out a response that never finishes', async () => {
    server.mode = 'slow';
    const started = Date.now();
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback, timeoutMs: 300 })), 'timeout');
    assert.ok(Date.now() - started < 2_000, 'the deadline bounds the whole request');
  });

  it('stops when aborted', async () => {
    server.mode = 'slow';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback, signal: controller.signal })), 'aborted');
  });
});

describe('fetchJson when the endpoint is down', () => {
  it('reports a network failure', async () => {
    const server = await JwksServer.start();
    const url = server.jwksUrl;
    await server.close();
    expectCode(await failure(fetchJson(url, { policy: loopback })), 'network');
  });
});

describe('fetchJson SSRF guard', () => {
  let server: JwksServer;
  before(async () => {
    server = await JwksServer.start();
    server.publish(await newSigningKey('RS256', 'k1'));
  });
  after(() => server.close());

  const strict = new OutboundPolicy([]);
  const port = () => new URL(server.url).port;

  it('refuses a literal loopback IP that is not allow-listed, without connecting', async () => {
    const before = server.connections;
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: strict })), 'url_refused');
    expectCode(await failure(fetchJson(`https://127.0.0.1:${port()}/jwks`, { policy: strict })), 'url_refused');
    assert.equal(server.connections, before);
  });

  for (const url of [
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:127.0.0.1]/jwks',
    'https://[::ffff:a9fe:a9fe]/jwks',
    'https://10.0.0.1/jwks',
    'https://100.64.0.1/jwks',
    'https://[fd00::1]/jwks',
    'https://[fe80::1]/jwks',
    'https://localhost/jwks',
    'https://user:secret@idp.example.com/jwks',
  ]) {
    it(`refuses ${url}`, async () => {
      const err = await failure(fetchJson(url, { policy: strict }));
      expectCode(err, 'url_refused');
      assert.doesNotMatch(err.message, /secret/, 'credentials never reach error text');
    });
  }

  it('refuses localhost even on its real port when only a different CIDR is allowed', async () => {
    const policy = new OutboundPolicy(['10.0.0.0/8']);
    expectCode(await failure(fetchJson(`http://localhost:${port()}/jwks`, { policy })), 'url_refused');
  });

  const resolveTo =
    (...addresses: string[]): ResolveHost =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a public-looking name that resolves to 127.0.0.1, at connect time', async () => {
    const before = server.connections;
    const err = await failure(fetchJson('https://jwks.example.com/keys', { policy: strict, resolveHost: resolveTo('127.0.0.1') }));
    expectCode(err, 'address_refused');
    assert.equal(server.connections, before);
  });

  for (const address of ['169.254.169.254', '::ffff:127.0.0.1', '::1', '100.64.0.1', 'fd00::1', '192.168.0.1']) {
    it(`refuses a name resolving to ${address}`, async () => {
      expectCode(await failure(fetchJson('https://jwks.example.com/keys', { policy: strict, resolveHost: resolveTo(address) })), 'address_refused');
    });
  }

  it('refuses a name when any of its addresses is private (rebinding with mixed answers)', async () => {
    expectCode(
      await failure(fetchJson('https://jwks.example.com/keys', { policy: strict, resolveHost: resolveTo('8.8.8.8', '127.0.0.1') })),
      'address_refused',
    );
  });

  it('resolves again on every fetch (no pooled connections), so a rebound name is judged afresh', async () => {
    const policy = new OutboundPolicy(['*.example.test']);
    let calls = 0;
    const counting: ResolveHost = async () => {
      calls++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    server.mode = 'ok';
    const url = `http://jwks.example.test:${port()}/jwks`;
    await fetchJson(url, { policy, resolveHost: counting });
    await fetchJson(url, { policy, resolveHost: counting });
    assert.equal(calls, 2);
  });

  it('lets an allow-listed CIDR through for a name that resolves into it', async () => {
    const policy = new OutboundPolicy(['idp.example.test', '127.0.0.1/32']);
    server.mode = 'ok';
    const doc = await fetchJson(`http://idp.example.test:${port()}/jwks`, { policy, resolveHost: resolveTo('127.0.0.1') });
    assert.ok(Array.isArray((doc as { keys: unknown[] }).keys));
  });

  it('reports DNS failures', async () => {
    const failing: ResolveHost = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    expectCode(await failure(fetchJson('https://jwks.example.com/keys', { policy: strict, resolveHost: failing })), 'dns_failed');
  });
});

describe('fetchJson over TLS with a private CA', () => {
  let server: JwksServer;
  let caPem: string;
  before(async () => {
    const tls = await createLoopbackTls();
    caPem = tls.cert;
    server = await JwksServer.start({ tls });
    server.publish(await newSigningKey('ES256', 'ec1'));
  });
  after(() => server.close());

  it('fails when the certificate is not trusted', async () => {
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback })), 'tls');
  });

  it('succeeds with the issuer ca_cert_pem', async () => {
    const doc = (await fetchJson(server.jwksUrl, { policy: loopback, caCertPem: caPem })) as { keys: Array<{ kid: string }> };
    assert.equal(doc.keys[0]?.kid, 'ec1');
  });

  it('fails with a different CA', async () => {
    const other = await createLoopbackTls();
    expectCode(await failure(fetchJson(server.jwksUrl, { policy: loopback, caCertPem: other.cert })), 'tls');
  });

  it('fails cleanly on a malformed ca_cert_pem', async () => {
    expectCode(
      await failure(fetchJson(server.jwksUrl, { policy: loopback, caCertPem: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' })),
      'tls',
    );
  });
});
