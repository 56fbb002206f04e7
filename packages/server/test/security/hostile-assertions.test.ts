import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.ts';
import { startTestServer, call, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey, TestIssuer, type SigningKey } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, OPAQUE_401, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { b64json, b64url, RequestCounter, signJson, signText } from './raw-jws.ts';

/**
 * Issue 13, hostile assertions: each one is refused with the opaque 401 (or a 400 for a request
 * that is not even well-formed), nothing is minted, nothing is fetched from a URL an attacker
 * names, and the server keeps answering. deny-reasons.test.ts has one case per reason; this
 * suite goes wide within each reason.
 */
describe('hostile assertions', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let rsa: SigningKey;
  let ec: SigningKey;
  let counter: RequestCounter;
  let seq = 0;
  const nowS = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: issuer.url,
    sub: 'workload-1',
    aud: DEFAULT_AUDIENCE,
    iat: nowS(),
    exp: nowS() + 300,
    jti: `hostile-${process.pid}-${++seq}`,
    ...extra,
  });

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256', 'ES256']);
    rsa = issuer.key('RS256');
    ec = issuer.key('ES256');
    counter = await RequestCounter.start();
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
    await counter.close();
  });

  async function expectRefused(assertion: string, federation: Federation = fed, reasons?: string[]) {
    const res = await exchange(server, federation, assertion);
    assert.ok(res.status === 401 || res.status === 400, `expected 401/400, got ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.access_token, undefined);
    if (res.status === 401) {
      assert.deepEqual({ type: res.body.type, error: res.body.error }, OPAQUE_401);
      if (reasons) {
        const event = await lastEvent(server, federation.rule.id);
        assert.ok(event && reasons.includes(String(event.reason)), `reason ${event?.reason} not in ${reasons.join(', ')}`);
      }
    }
    return res;
  }

  async function successCount(federation: Federation): Promise<number> {
    const page = await server.stores.authEvents.list(server.organizationId, {
      limit: 100,
      cursor: null,
      ruleId: federation.rule.id,
      outcome: 'success',
      reason: null,
    });
    return page.items.length;
  }

  test('alg none in every spelling, with and without a signature', async () => {
    // The last two: objects whose toString is not callable (found by the fuzzer: describing them threw).
    for (const alg of ['none', 'None', 'NONE', 'nOnE', '', null, { toString: null }, [{ toString: 0 }]]) {
      const head = b64json({ alg, kid: rsa.kid, typ: 'JWT' });
      await expectRefused(`${head}.${b64json(claims())}.`, fed, ['alg_not_allowed', 'assertion_malformed']);
      await expectRefused(`${head}.${b64json(claims())}.${b64url('sig')}`, fed, ['alg_not_allowed']);
    }
  });

  test('HMAC signed with the public key (JWK text, PEM, modulus) for HS256/384/512', async () => {
    const pem = createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const secrets = [JSON.stringify(rsa.publicJwk), pem, String(rsa.publicJwk.n)];
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      for (const secret of secrets) {
        const input = `${b64json({ alg, kid: rsa.kid, typ: 'JWT' })}.${b64json(claims())}`;
        await expectRefused(`${input}.${createHmac(hash, secret).update(input).digest('base64url')}`, fed, ['alg_not_allowed']);
      }
    }
  });

  test('alg and key type mismatch: ES256 header naming the RSA kid, RS256 header naming the EC kid', async () => {
    const attackerEc = await newSigningKey('ES256', rsa.kid);
    await expectRefused(await signJson({ alg: 'ES256', kid: rsa.kid, typ: 'JWT' }, claims(), attackerEc), fed, [
      'kid_not_found',
      'signature_invalid',
      'alg_not_allowed',
    ]);
    const attackerRsa = await newSigningKey('RS256', ec.kid);
    await expectRefused(await signJson({ alg: 'RS256', kid: ec.kid, typ: 'JWT' }, claims(), attackerRsa), fed, [
      'kid_not_found',
      'signature_invalid',
      'alg_not_allowed',
    ]);
    // The issuer's own RSA key, but the header claims ES256 over an RSA signature.
    const head = b64json({ alg: 'ES256', kid: rsa.kid, typ: 'JWT' });
    const good = await issuer.sign(claims());
    await expectRefused(`${head}.${good.split('.')[1]}.${good.split('.')[2]}`, fed);
  });

  test('crit: unknown extension, b64=false, empty list, wrong type', async () => {
    for (const extra of [{ crit: ['x-unknown'], 'x-unknown': 1 }, { crit: ['b64'], b64: false }, { crit: [] }, { crit: 'exp' }, { crit: null }]) {
      await expectRefused(await signJson({ alg: 'RS256', kid: rsa.kid, typ: 'JWT', ...extra }, claims(), rsa), fed, ['alg_not_allowed', 'assertion_malformed']);
    }
  });

  test('jku, x5u, jwk and x5c headers are never fetched nor trusted', async () => {
    const attacker = await newSigningKey('RS256', 'attacker-key');
    const jwks = `${counter.url}/jwks.json`;
    const headers: Array<Record<string, unknown>> = [
      { jku: jwks },
      { x5u: `${counter.url}/cert.pem` },
      { jwk: attacker.publicJwk },
      { x5c: [Buffer.from('not a certificate').toString('base64')] },
      { jku: jwks, x5u: `${counter.url}/x5u`, jwk: attacker.publicJwk },
    ];
    for (const extra of headers) {
      // Under the attacker's own kid, and under the issuer's real kid.
      for (const kid of [attacker.kid, rsa.kid]) {
        await expectRefused(await signJson({ alg: 'RS256', typ: 'JWT', ...extra, kid }, claims(), attacker), fed, ['kid_not_found', 'signature_invalid']);
      }
    }
    assert.deepEqual(counter.hits, [], 'no request may reach a URL named in a JWS header');
  });

  test('hostile kid values: path traversal, SQL, control bytes, huge, non-string', async () => {
    const kids: unknown[] = [
      '../../../../etc/passwd',
      '..%2f..%2fetc%2fpasswd',
      "' OR '1'='1' --",
      '"; DROP TABLE issuers; --',
      'key\u0000nul',
      'k\r\nset-cookie: x=1',
      '%s%s%s%n',
      '\u202e\ufeff',
      'x'.repeat(257),
      'x'.repeat(10_000),
      12345,
      { $ne: null },
      [rsa.kid],
      true,
    ];
    for (const kid of kids) {
      await expectRefused(await signJson({ alg: 'RS256', kid, typ: 'JWT' }, claims(), rsa), fed, ['kid_missing', 'kid_not_found', 'assertion_malformed']);
    }
    const health = await call(server, 'GET', '/healthz');
    assert.equal(health.status, 200);
  });

  test('odd-typed claims: aud object, exp string, sub array/number/object, iat boolean, iss with a toString member', async () => {
    const cases: Array<Record<string, unknown>> = [
      { aud: { aud: DEFAULT_AUDIENCE } },
      { aud: [[DEFAULT_AUDIENCE]] },
      { aud: 42 },
      { exp: String(nowS() + 300) },
      { exp: [nowS() + 300] },
      { exp: { value: nowS() + 300 } },
      { sub: ['workload-1'] },
      { sub: 1 },
      { sub: { startsWith: 'workload-1' } },
      { sub: null },
      { iat: true },
      { iat: String(nowS()) },
      { nbf: 'yesterday' },
      { iss: [issuer.url] },
      { iss: { url: issuer.url } },
      // Found by the fuzzer: describing such an iss with String() ran its "toString" member.
      { iss: [{ toString: 0 }] },
      { iss: { toString: 'x', valueOf: 1 } },
      { iss: null },
    ];
    for (const extra of cases) await expectRefused(await signJson({ alg: 'RS256', kid: rsa.kid, typ: 'JWT' }, claims(extra), rsa));
  });

  test('numbers out of range: NaN/Infinity/1e400, negative, fractional overflow, huge integers', async () => {
    const base = claims();
    const body = (exp: string, iat = String(base.iat)) =>
      `{"iss":${JSON.stringify(issuer.url)},"sub":"workload-1","aud":${JSON.stringify(DEFAULT_AUDIENCE)},"iat":${iat},"exp":${exp},"jti":"num-${++seq}"}`;
    const header = JSON.stringify({ alg: 'RS256', kid: rsa.kid, typ: 'JWT' });
    for (const exp of ['NaN', 'Infinity', '-Infinity', '1e400', '-1', '-1e400', '99999999999999999999999', '1e308', '0', '0.5']) {
      await expectRefused(await signText(header, body(exp), rsa));
    }
    for (const iat of ['-1', '1e400', '-1e400', 'NaN']) {
      await expectRefused(await signText(header, body(String(base.exp), iat), rsa));
    }
  });

  test('duplicate JSON keys in the payload or header are refused, whichever copy is last', async () => {
    const dupFed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    const header = JSON.stringify({ alg: 'RS256', kid: rsa.kid, typ: 'JWT' });
    const c = claims();
    const tail = `"aud":${JSON.stringify(DEFAULT_AUDIENCE)},"iat":${c.iat},"exp":${c.exp}`;
    const problems: string[] = [];
    const cases = {
      'sub twice': await signText(header, `{"iss":${JSON.stringify(issuer.url)},"sub":"attacker","sub":"workload-1",${tail},"jti":"dup-${++seq}"}`, rsa),
      'iss twice': await signText(
        header,
        `{"iss":"https://evil.example","iss":${JSON.stringify(issuer.url)},"sub":"workload-1",${tail},"jti":"dup-${++seq}"}`,
        rsa,
      ),
      'jti twice': await signText(header, `{"iss":${JSON.stringify(issuer.url)},"sub":"workload-1",${tail},"jti":"dup-a-${++seq}","jti":"dup-b-${seq}"}`, rsa),
      'alg twice in the header': await signText(`{"alg":"none","alg":"RS256","kid":${JSON.stringify(rsa.kid)}}`, JSON.stringify(claims()), rsa),
      'kid twice in the header': await signText(`{"alg":"RS256","kid":"other","kid":${JSON.stringify(rsa.kid)}}`, JSON.stringify(claims()), rsa),
    };
    for (const [name, assertion] of Object.entries(cases)) {
      const res = await exchange(server, dupFed, assertion);
      if (res.status === 200) problems.push(`${name}: minted a token`);
      else assert.ok(res.status === 401 || res.status === 400, `${name}: ${res.status}`);
    }
    assert.deepEqual(problems, []);
  });

  test('iss look-alikes: trailing slash, case, Cyrillic о, full-width, percent-encoding, whitespace, NUL', async () => {
    const lookalike = await newSigningKey('RS256', 'lookalike-key');
    const issuerUrl = 'https://login.contoso.example/tenant';
    const f = await seedFederation(server, {
      issuerUrl,
      jwks: { type: 'inline', keys: [lookalike.publicJwk as Record<string, unknown>] },
      match: { subject_prefix: 'workload-1' },
    });
    const variants = [
      `${issuerUrl}/`,
      issuerUrl.toUpperCase(),
      'https://login.cоntoso.example/tenant', // Cyrillic о (U+043E)
      'https://lоgin.contoso.example/tenant',
      'https://login.contoso.example/ｔenant',
      'https://login.contoso.example/%74enant',
      'https://xn--login-contoso.example/tenant',
      `${issuerUrl} `,
      ` ${issuerUrl}`,
      `${issuerUrl}\u0000`,
      `${issuerUrl}\u200b`,
      'https://login.contoso.example:443/tenant',
      'https://login.contoso.example/tenant?',
      'https://login.contoso.example/tenant#',
    ];
    for (const iss of variants) {
      await expectRefused(await signJson({ alg: 'RS256', kid: lookalike.kid, typ: 'JWT' }, claims({ iss }), lookalike), f, ['issuer_mismatch']);
    }
    // The control: the exact bytes are accepted, so the refusals above are about the iss alone.
    const ok = await exchange(server, f, await signJson({ alg: 'RS256', kid: lookalike.kid, typ: 'JWT' }, claims({ iss: issuerUrl }), lookalike));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('time: expired, far future, exp before iat, nbf ahead, lifetime over the issuer maximum by one second', async () => {
    const f = await seedFederation(server, { issuerUrl: issuer.url, issuer: { max_jwt_lifetime_seconds: 900 }, match: { subject_prefix: 'workload-1' } });
    const t = nowS();
    const cases: Array<Record<string, unknown>> = [
      { iat: t - 1000, exp: t - 31 },
      { iat: t + 3600, exp: t + 3700 },
      { iat: t + 10, exp: t + 5 },
      { iat: t, exp: t + 901 },
      { iat: t - 600, exp: t + 301 },
      { iat: 0, exp: 99_999_999_999 },
      { nbf: t + 3600 },
      { iat: t, exp: t + 60, nbf: t + 3600 },
    ];
    for (const extra of cases) await expectRefused(await issuer.sign(claims(extra)), f);
    assert.equal(await successCount(f), 0);
  });

  test('signature: stripped, truncated, bit-flipped anywhere, swapped between tokens, payload re-encoded', async () => {
    const token = await issuer.sign(claims());
    const [h, p, s] = token.split('.') as [string, string, string];
    await expectRefused(`${h}.${p}`);
    await expectRefused(`${h}.${p}.`);
    await expectRefused(`${h}.${p}.${s.slice(0, s.length / 2)}`);
    for (const index of [0, 64, 255]) {
      const sig = Buffer.from(s, 'base64url');
      sig[index] = sig[index]! ^ 0x80;
      await expectRefused(`${h}.${p}.${sig.toString('base64url')}`, fed, ['signature_invalid']);
    }
    const other = await issuer.sign(claims({ sub: 'workload-1-other' }));
    await expectRefused(`${h}.${p}.${other.split('.')[2]}`, fed, ['signature_invalid']);
    await expectRefused(`${p}.${h}.${s}`);
    // Same JSON, different bytes (whitespace): the signature covers the bytes, not the meaning.
    const spaced = b64url(` ${Buffer.from(p, 'base64url').toString()}`);
    await expectRefused(`${h}.${spaced}.${s}`, fed, ['signature_invalid']);
    // base64 with padding, standard alphabet, whitespace and line breaks.
    await expectRefused(`${h}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`);
    await expectRefused(`${h}=.${p}.${s}`);
    await expectRefused(`${h}.${p}.${s.slice(0, 20)}\n${s.slice(20)}`);
    await expectRefused(`${h} .${p}.${s}`);
    await expectRefused(`${h}.${p}.${s}.`);
    await expectRefused(`.${h}.${p}.${s}`);
  });

  test('malformed parts: empty, not base64url, not JSON, JSON but not an object, non-UTF-8', async () => {
    const sig = b64url('signature');
    const head = b64json({ alg: 'RS256', kid: rsa.kid });
    const cases = [
      '..',
      '...',
      `${head}..${sig}`,
      `.${b64json(claims())}.${sig}`,
      `${b64url('[]')}.${b64json(claims())}.${sig}`,
      `${b64url('"RS256"')}.${b64json(claims())}.${sig}`,
      `${b64url('null')}.${b64json(claims())}.${sig}`,
      `${head}.${b64url('[1,2]')}.${sig}`,
      `${head}.${b64url('12')}.${sig}`,
      `${head}.${b64url(new Uint8Array([0xff, 0xfe, 0xfd]))}.${sig}`,
      `${b64url(new Uint8Array([0xc3, 0x28]))}.${b64json(claims())}.${sig}`,
      `${head}.é.${sig}`,
      `${head}.${b64json(claims())}.${'💥'.repeat(10)}`,
      'a'.repeat(4000),
    ];
    for (const bad of cases) await expectRefused(bad);
  });

  test('nested JWT: cty JWT in any case, and a payload that is itself a JWT', async () => {
    for (const cty of ['JWT', 'jwt', 'Jwt']) {
      await expectRefused(await signJson({ alg: 'RS256', kid: rsa.kid, cty }, claims(), rsa), fed, ['alg_not_allowed']);
    }
    const inner = await issuer.sign(claims());
    await expectRefused(await signText(JSON.stringify({ alg: 'RS256', kid: rsa.kid }), JSON.stringify(inner), rsa), fed, ['assertion_malformed']);
  });

  test('JWE compact serialization (five parts) is refused without decryption', async () => {
    const jweHeader = b64json({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: rsa.kid });
    await expectRefused(`${jweHeader}.${b64url('key')}.${b64url('iv')}.${b64url('ciphertext')}.${b64url('tag')}`, fed, ['assertion_malformed']);
    await expectRefused(`${jweHeader}....`, fed, ['assertion_malformed']);
    await expectRefused(await signJson({ alg: 'RSA-OAEP', enc: 'A128GCM', kid: rsa.kid }, claims(), rsa), fed, ['alg_not_allowed']);
  });

  test('an assertion of 16 KiB + 1 byte is refused before any verification', async () => {
    const valid = await issuer.sign(claims());
    const oversized = valid + 'A'.repeat(16 * 1024 + 1 - valid.length);
    assert.equal(Buffer.byteLength(oversized), 16 * 1024 + 1);
    const res = await exchange(server, fed, oversized);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    // Multi-byte characters count as bytes, not characters.
    const wide = await exchange(server, fed, 'é'.repeat(8 * 1024 + 1));
    assert.equal(wide.status, 400, JSON.stringify(wide.body));
    // A validly signed assertion padded out with a huge claim is still over the cap.
    const padded = await issuer.sign(claims({ pad: 'x'.repeat(20_000) }));
    const paddedReply = await exchange(server, fed, padded);
    assert.ok(paddedReply.status === 400 || paddedReply.status === 413, `got ${paddedReply.status}`);
  });

  test('a replayed jti: concurrent replays of one assertion mint exactly one token', async () => {
    const f = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    const assertion = await issuer.sign(claims());
    const replies = await Promise.all(Array.from({ length: 20 }, () => exchange(server, f, assertion)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, ...Array(19).fill(401)]);
    assert.equal(await successCount(f), 1);
    // And later, sequentially, with a fresh jti on the same sub: still fine; with the same jti: refused.
    await expectRefused(assertion, f, ['jti_reused']);
  });

  test('the same jti is not reusable through another rule of the same issuer', async () => {
    const first = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    const rule = { ...first.rule, id: newId('rule'), name: `${first.rule.name}-twin` };
    await server.stores.rules.insert(rule);
    const assertion = await issuer.sign(claims());
    assert.equal((await exchange(server, first, assertion)).status, 200);
    await expectRefused(assertion, { ...first, rule }, ['jti_reused']);
  });

  test('objects archived through the Admin API: their rules stop exchanging, the account’s tokens stop working', async () => {
    const f = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    const minted = await exchange(server, f, await issuer.sign(claims()));
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const token = minted.body.access_token as string;
    assert.equal((await call(server, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${token}` } })).status, 200);

    const admin = { headers: { authorization: server.adminHeaders['authorization']! } };
    assert.equal((await call(server, 'POST', `/v1/organizations/federation_rules/${f.rule.id}/archive`, admin)).status, 200);
    await expectRefused(await issuer.sign(claims()), f, ['rule_archived']);
    assert.equal((await call(server, 'POST', `/v1/organizations/federation_issuers/${f.issuer.id}/archive`, admin)).status, 200);
    await expectRefused(await issuer.sign(claims()), f, ['rule_archived', 'issuer_archived']);
    assert.equal((await call(server, 'POST', `/v1/organizations/service_accounts/${f.serviceAccount.id}/archive`, admin)).status, 200);
    const after = await call(server, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401, 'a token of an archived service account is refused');
    assert.equal(JSON.stringify(after.body).includes(token), false);
  });

  test('after all of the above the main rule minted nothing, and the server is healthy', async () => {
    assert.equal(await successCount(fed), 0);
    assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    const control = await exchange(server, fed, await issuer.sign(claims()));
    assert.equal(control.status, 200, `the positive control proves the refusals were not a broken setup: ${JSON.stringify(control.body)}`);
  });
});
