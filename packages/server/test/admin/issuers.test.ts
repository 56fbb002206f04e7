import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey } from '../helpers/test-issuer.ts';
import { createLoopbackTls } from '../helpers/tls.ts';
import { adminCall, expectError, expectOk } from './admin-fixture.ts';

const PATH = '/v1/organizations/federation_issuers';

describe('federation issuers: validation', () => {
  let server: TestServer;
  let rsaJwk: Record<string, unknown>;
  let caPem: string;

  before(async () => {
    server = await startTestServer();
    rsaJwk = (await newSigningKey('RS256', 'rsa-1')).publicJwk as Record<string, unknown>;
    caPem = (await createLoopbackTls()).cert;
  });
  after(() => server.close());

  const base = { name: 'iss', issuer_url: 'https://idp.example.com' };
  const inline = (keys: unknown) => ({ ...base, jwks: { type: 'inline', keys } });
  const invalidCreates: Array<[string, () => Record<string, unknown>, RegExp]> = [
    ['missing name', () => ({ issuer_url: base.issuer_url }), /^name: Field required/],
    ['missing issuer_url', () => ({ name: 'x' }), /^issuer_url: Field required/],
    ['name not a string', () => ({ ...base, name: 7 }), /^name: must be string/],
    ['name uppercase', () => ({ ...base, name: 'Issuer' }), /^name: must contain only lowercase/],
    ['name with space', () => ({ ...base, name: 'my issuer' }), /^name:/],
    ['name empty', () => ({ ...base, name: '' }), /^name:/],
    ['name 256 chars', () => ({ ...base, name: 'a'.repeat(256) }), /^name:/],
    ['issuer_url empty', () => ({ ...base, issuer_url: '' }), /^issuer_url:/],
    ['issuer_url too long', () => ({ ...base, issuer_url: `https://a.example/${'x'.repeat(2048)}` }), /^issuer_url:/],
    ['issuer_url array', () => ({ ...base, issuer_url: ['https://a.example'] }), /^issuer_url: must be string/],
    ['check_jti string', () => ({ ...base, check_jti: 'yes' }), /^check_jti: must be boolean/],
    ['check_jti "true" is not coerced', () => ({ ...base, check_jti: 'true' }), /^check_jti:/],
    ['max lifetime 0', () => ({ ...base, max_jwt_lifetime_seconds: 0 }), /^max_jwt_lifetime_seconds: must be >= 1/],
    ['max lifetime above 49 h', () => ({ ...base, max_jwt_lifetime_seconds: 176401 }), /^max_jwt_lifetime_seconds: must be <= 176400/],
    ['max lifetime fractional', () => ({ ...base, max_jwt_lifetime_seconds: 1.5 }), /^max_jwt_lifetime_seconds: must be integer/],
    ['max lifetime as string', () => ({ ...base, max_jwt_lifetime_seconds: '60' }), /^max_jwt_lifetime_seconds:/],
    ['jwks not an object', () => ({ ...base, jwks: 'discovery' }), /^jwks:/],
    ['jwks unknown type', () => ({ ...base, jwks: { type: 'x509' } }), /^jwks\.type: must be one of/],
    ['jwks missing type', () => ({ ...base, jwks: {} }), /^jwks\.type: Field required/],
    ['jwks field of another variant', () => ({ ...base, jwks: { type: 'discovery', keys: [] } }), /^jwks\.keys: not a field/],
    ['explicit_url without url', () => ({ ...base, jwks: { type: 'explicit_url' } }), /^jwks\.url: Field required/],
    ['explicit_url url number', () => ({ ...base, jwks: { type: 'explicit_url', url: 5 } }), /^jwks\.url: must be string/],
    ['ca_cert_pem too long', () => ({ ...base, jwks: { type: 'discovery', ca_cert_pem: 'x'.repeat(8193) } }), /^jwks\.ca_cert_pem: must be at most 8192/],
    ['ca_cert_pem not PEM', () => ({ ...base, jwks: { type: 'discovery', ca_cert_pem: 'hello' } }), /^jwks\.ca_cert_pem: must be a PEM/],
    [
      'ca_cert_pem garbage PEM',
      () => ({ ...base, jwks: { type: 'discovery', ca_cert_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } }),
      /^jwks\.ca_cert_pem: could not be parsed/,
    ],
    ['inline keys wrapped object', () => inline({ keys: [rsaJwk] }), /^jwks\.keys: must be an array/],
    ['inline keys empty', () => inline([]), /^jwks\.keys: must hold 1-100/],
    ['inline 101 keys', () => inline(Array.from({ length: 101 }, (_, i) => ({ ...rsaJwk, kid: `k${i}` }))), /^jwks\.keys: must hold 1-100/],
    ['inline key not object', () => inline(['abc']), /^jwks\.keys\.0: must be a JWK object/],
    ['inline key without kid', () => inline([{ ...rsaJwk, kid: undefined }]), /^jwks\.keys\.0\.kid:/],
    ['inline duplicate kid', () => inline([rsaJwk, rsaJwk]), /^jwks\.keys\.1\.kid: duplicate/],
    ['inline private key', () => inline([{ ...rsaJwk, d: 'secret' }]), /^jwks\.keys\.0: private or symmetric/],
    ['inline symmetric key', () => inline([{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }]), /^jwks\.keys\.0: private or symmetric/],
    ['inline OKP key', () => inline([{ kty: 'OKP', kid: 'o', crv: 'Ed25519', x: 'AAAA' }]), /^jwks\.keys\.0\.kty:/],
    ['inline EC bad curve', () => inline([{ kty: 'EC', kid: 'e', crv: 'secp256k1', x: 'AA', y: 'AA' }]), /^jwks\.keys\.0\.crv:/],
    [
      'inline EC curve that is an object with a toString member',
      () => inline([{ kty: 'EC', kid: 'e', crv: { toString: null }, x: 'AA', y: 'AA' }]),
      /^jwks\.keys\.0\.crv:/,
    ],
    ['inline EC not on curve', () => inline([{ kty: 'EC', kid: 'e', crv: 'P-256', x: 'AAAA', y: 'AAAA' }]), /^jwks\.keys\.0: is not a valid EC public key/],
    [
      'inline RSA 512-bit modulus',
      () => inline([{ kty: 'RSA', kid: 'r', e: 'AQAB', n: 'x'.repeat(86) }]),
      /^jwks\.keys\.0: RSA keys must be at least 2048 bits/,
    ],
    ['inline encryption key', () => inline([{ ...rsaJwk, use: 'enc' }]), /^jwks\.keys: (key "[^"]+" would never be used|no usable public signing keys)/],
    // Keys the exchange would silently drop must not be saved (every exchange would fail kid_not_found).
    [
      'inline key with a symmetric alg',
      () => inline([{ ...rsaJwk, alg: 'HS256' }]),
      /^jwks\.keys: (key "[^"]+" would never be used|no usable public signing keys)/,
    ],
    [
      'inline key for encryption only',
      () => inline([{ ...rsaJwk, key_ops: ['encrypt'] }]),
      /^jwks\.keys: (key "[^"]+" would never be used|no usable public signing keys)/,
    ],
    ['one unusable key among good ones', () => inline([rsaJwk, { ...rsaJwk, kid: 'second', alg: 'HS256' }]), /^jwks\.keys: key "second" would never be used/],
  ];
  for (const [label, body, message] of invalidCreates) {
    test(`create rejects ${label}`, async () => {
      expectError(await adminCall(server, 'POST', PATH, body()), 400, 'invalid_request_error', message);
    });
  }

  test('valid key sources are stored and presented exactly', async () => {
    const withCa = expectOk(
      await adminCall(server, 'POST', PATH, {
        ...base,
        name: 'with-ca',
        jwks: { type: 'explicit_url', url: 'https://keys.example.com/jwks', ca_cert_pem: caPem },
      }),
    );
    assert.deepEqual(withCa.jwks, { type: 'explicit_url', url: 'https://keys.example.com/jwks', ca_cert_pem: caPem });
    const inlineIssuer = expectOk(await adminCall(server, 'POST', PATH, { ...inline([rsaJwk]), name: 'inline-ok' }));
    assert.deepEqual(inlineIssuer.jwks, { type: 'inline', keys: [rsaJwk] });
  });

  test('update: null leaves fields unchanged, jwks is replaced whole, archived → 400', async () => {
    const created = expectOk(await adminCall(server, 'POST', PATH, { ...base, name: 'upd', check_jti: false, max_jwt_lifetime_seconds: 120 }));
    const same = expectOk(
      await adminCall(server, 'POST', `${PATH}/${created.id}`, { name: null, issuer_url: null, jwks: null, check_jti: null, max_jwt_lifetime_seconds: null }),
    );
    assert.equal(same.name, 'upd');
    assert.equal(same.check_jti, false);
    assert.equal(same.max_jwt_lifetime_seconds, 120);
    assert.deepEqual(same.jwks, created.jwks);
    const replaced = expectOk(
      await adminCall(server, 'POST', `${PATH}/${created.id}`, { jwks: { type: 'discovery', discovery_base: 'https://disco.example.com' } }),
    );
    assert.deepEqual(replaced.jwks, { type: 'discovery', discovery_base: 'https://disco.example.com', ca_cert_pem: null });
    for (const [body, message] of [
      [{ jwks_polling_disabled: true }, /^jwks_polling_disabled: only false/],
      [{ name: 'BAD' }, /^name:/],
      [{ max_jwt_lifetime_seconds: 0 }, /^max_jwt_lifetime_seconds:/],
      [{ check_jti: 1 }, /^check_jti:/],
      [{ jwks: { type: 'inline', keys: [] } }, /^jwks\.keys:/],
    ] as const) {
      expectError(await adminCall(server, 'POST', `${PATH}/${created.id}`, body), 400, 'invalid_request_error', message);
    }
    expectOk(await adminCall(server, 'POST', `${PATH}/${created.id}/archive`));
    expectError(await adminCall(server, 'POST', `${PATH}/${created.id}`, { check_jti: true }), 400, 'invalid_request_error', /archived/);
  });

  test('names are unique among live issuers (409), issuer_url is not, archiving frees the name', async () => {
    const first = expectOk(await adminCall(server, 'POST', PATH, { ...base, name: 'dup' }));
    expectError(await adminCall(server, 'POST', PATH, { ...base, name: 'dup' }), 409, 'conflict_error', /dup/);
    const other = expectOk(await adminCall(server, 'POST', PATH, { ...base, name: 'dup-2' }));
    assert.equal(other.issuer_url, first.issuer_url);
    expectError(await adminCall(server, 'POST', `${PATH}/${other.id}`, { name: 'dup' }), 409, 'conflict_error');
    expectOk(await adminCall(server, 'POST', `${PATH}/${first.id}/archive`));
    expectOk(await adminCall(server, 'POST', PATH, { ...base, name: 'dup' }));
  });
});

describe('federation issuers: outbound URL policy without an allow-list', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ outboundAllow: [] });
  });
  after(() => server.close());

  const dialled: Array<[string, Record<string, unknown>, RegExp]> = [
    ['http issuer', { issuer_url: 'http://idp.example.com' }, /^issuer_url: url must use https scheme/],
    ['private IPv4 literal', { issuer_url: 'https://10.0.0.1/' }, /^issuer_url: url must use a DNS name/],
    ['loopback IPv4', { issuer_url: 'https://127.0.0.1' }, /^issuer_url:/],
    ['IPv6 literal', { issuer_url: 'https://[::1]/' }, /^issuer_url:/],
    ['metadata address', { issuer_url: 'https://169.254.169.254/latest' }, /^issuer_url:/],
    ['localhost with port', { issuer_url: 'https://localhost:8443' }, /^issuer_url: url must use port 443/],
    ['single-label host', { issuer_url: 'https://intranet' }, /^issuer_url: url must use a public DNS name/],
    ['credentials in URL', { issuer_url: 'https://user:pw@idp.example.com' }, /^issuer_url: must not contain credentials/],
    ['not a URL', { issuer_url: 'idp.example.com' }, /^issuer_url: must be an absolute URL/],
    ['file scheme', { issuer_url: 'file:///etc/passwd' }, /^issuer_url: url must use https/],
    [
      'discovery_base private',
      { issuer_url: 'https://idp.example.com', jwks: { type: 'discovery', discovery_base: 'https://192.168.1.10' } },
      /^jwks\.discovery_base:/,
    ],
    [
      'explicit url http',
      { issuer_url: 'https://idp.example.com', jwks: { type: 'explicit_url', url: 'http://keys.example.com/jwks' } },
      /^jwks\.url: url must use https/,
    ],
    [
      'explicit url port',
      { issuer_url: 'https://idp.example.com', jwks: { type: 'explicit_url', url: 'https://keys.example.com:8443/jwks' } },
      /^jwks\.url: url must use port 443/,
    ],
  ];
  for (const [label, fields, message] of dialled) {
    test(`rejects ${label}`, async () => {
      expectError(await adminCall(server, 'POST', PATH, { name: 'ssrf', ...fields }), 400, 'invalid_request_error', message);
    });
  }

  test('URLs that are never dialled are only compared, so internal issuer URLs are fine there', async () => {
    const jwk = (await newSigningKey('ES256', 'ec-1')).publicJwk;
    const asInline = expectOk(
      await adminCall(server, 'POST', PATH, { name: 'internal-inline', issuer_url: 'http://10.0.0.1:8080/realm', jwks: { type: 'inline', keys: [jwk] } }),
    );
    assert.equal(asInline.issuer_url, 'http://10.0.0.1:8080/realm');
    expectOk(
      await adminCall(server, 'POST', PATH, {
        name: 'internal-explicit',
        issuer_url: 'https://localhost:8443',
        jwks: { type: 'explicit_url', url: 'https://keys.example.com/jwks' },
      }),
    );
    expectOk(
      await adminCall(server, 'POST', PATH, {
        name: 'internal-base',
        issuer_url: 'http://kubernetes.default.svc',
        jwks: { type: 'discovery', discovery_base: 'https://oidc.example.com/cluster' },
      }),
    );
  });

  test('updating the issuer_url re-applies the policy when discovery dials it', async () => {
    const created = expectOk(await adminCall(server, 'POST', PATH, { name: 'repoint', issuer_url: 'https://idp.example.com' }));
    expectError(await adminCall(server, 'POST', `${PATH}/${created.id}`, { issuer_url: 'https://10.1.2.3' }), 400, 'invalid_request_error', /^issuer_url:/);
    expectError(
      await adminCall(server, 'POST', `${PATH}/${created.id}`, { jwks: { type: 'explicit_url', url: 'https://127.0.0.1/jwks' } }),
      400,
      'invalid_request_error',
      /^jwks\.url:/,
    );
  });
});
