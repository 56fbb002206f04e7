import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Issuer } from '../../src/domain/types.ts';
import { ExchangeDenied } from '../../src/exchange/deny-reasons.ts';
import { verifyAssertion } from '../../src/exchange/verify-assertion.ts';
import { IssuerKeyCache } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { newSigningKey, TestIssuer, type SigningKey } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchangeBody, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { b64url, signJson } from './raw-jws.ts';

/**
 * Issue 13, fuzzing: mutations of a valid assertion and random bodies never produce a 5xx, and
 * never a token unless the input is, by construction, a valid signed assertion matching the rule.
 * The seed is printed by fast-check on failure; runs are bounded to keep the suite under 30 s
 * (FUZZ_RUNS=400 for a deeper search by hand).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 75;

describe('fuzzing the exchange endpoint and the JWT parser', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let rsa: SigningKey;
  let attacker: SigningKey;
  let seq = 0;
  const nowS = () => Math.floor(Date.now() / 1000);
  const validClaims = () => ({
    iss: issuer.url,
    sub: 'workload-1',
    aud: DEFAULT_AUDIENCE,
    iat: nowS(),
    exp: nowS() + 300,
    jti: `fuzz-${process.pid}-${++seq}`,
  });
  const validHeader = () => ({ alg: 'RS256', kid: rsa.kid, typ: 'JWT' });

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256']);
    rsa = issuer.key('RS256');
    attacker = await newSigningKey('RS256', rsa.kid);
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  async function post(body: string, contentType = 'application/json') {
    const res = await fetch(`${server.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, text: await res.text() };
  }

  /** The property every input must satisfy: a 4xx without a token (unless `mayMint`), never a 5xx. */
  async function refused(assertion: string, label: () => string) {
    const reply = await post(JSON.stringify(exchangeBody(fed, server, assertion)));
    assert.ok(reply.status < 500, `5xx for ${label()}: ${reply.text}`);
    assert.ok(reply.status === 401 || reply.status === 400, `${reply.status} for ${label()}: ${reply.text.slice(0, 200)}`);
    assert.equal(reply.text.includes('access_token'), false);
  }

  const jsonish = fc.jsonValue({ maxDepth: 3 });

  test('bit flips in any part of a validly signed assertion are refused', async () => {
    const token = await issuer.sign(validClaims());
    const parts = token.split('.').map((p) => Buffer.from(p, 'base64url'));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), async (part, at, bit) => {
        const bytes = parts.map((p) => Buffer.from(p));
        const target = bytes[part]!;
        target[at % target.length] = target[at % target.length]! ^ (1 << bit);
        await refused(bytes.map((b) => b64url(b)).join('.'), () => `flip part ${part} byte ${at % target.length} bit ${bit}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('part swaps, drops and duplications are refused', async () => {
    const [h, p, s] = (await issuer.sign(validClaims())).split('.') as [string, string, string];
    const pieces = [h, p, s, '', 'e30', b64url('{"alg":"RS256"}')];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { minLength: 0, maxLength: 6 }), async (order) => {
        fc.pre(order.join() !== '0,1,2');
        await refused(order.map((i) => pieces[i]).join('.'), () => `parts ${order.join(',')}`);
      }),
      { numRuns: RUNS },
    );
  });

  const CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf'] as const;
  /** A value for `claim` that makes the assertion invalid for this rule, whatever else holds. */
  const invalidClaimValue = (claim: (typeof CLAIMS)[number]) => {
    const t = nowS();
    switch (claim) {
      case 'iss':
        return jsonish.filter((v) => v !== issuer.url);
      case 'sub':
        return jsonish.filter((v) => typeof v !== 'string' || !v.startsWith('workload-1'));
      case 'aud':
        return jsonish.filter((v) => v !== DEFAULT_AUDIENCE && !(Array.isArray(v) && v.includes(DEFAULT_AUDIENCE)));
      case 'exp':
        return fc.oneof(
          jsonish.filter((v) => typeof v !== 'number'),
          fc.integer({ min: -1e9, max: t - 31 }),
          fc.integer({ min: t + 3601, max: 2 ** 31 - 1 }),
          fc.double({ noDefaultInfinity: false }).filter((v) => !Number.isFinite(v)),
        );
      case 'iat':
        return fc.oneof(
          jsonish.filter((v) => typeof v !== 'number'),
          fc.integer({ min: t + 31, max: 2 ** 31 - 1 }),
          fc.integer({ min: -1e9, max: -1 }),
        );
      case 'nbf':
        return fc.oneof(
          jsonish.filter((v) => typeof v !== 'number' && v !== undefined),
          fc.integer({ min: t + 31, max: 2 ** 31 - 1 }),
        );
    }
  };

  test('payload claims set to invalid values, signed by the real key, are refused', async () => {
    const mutation = fc.constantFrom(...CLAIMS).chain((claim) => invalidClaimValue(claim).map((value) => ({ claim, value })));
    await fc.assert(
      fc.asyncProperty(mutation, fc.dictionary(fc.string({ maxLength: 8 }), jsonish, { maxKeys: 3 }), async ({ claim, value }, noise) => {
        const payload = { ...noise, ...validClaims(), [claim]: value };
        await refused(await signJson(validHeader(), payload, rsa), () => `${claim} = ${JSON.stringify(value)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('header fields set to random values refuse unless the header stays usable; the attacker key never verifies', async () => {
    const HEADER_FIELDS = ['alg', 'kid', 'typ', 'crit', 'cty', 'jku', 'jwk', 'x5u', 'x5c', 'b64', 'zip', 'enc'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...HEADER_FIELDS), jsonish, fc.boolean(), async (field, value, byAttacker) => {
        const header: Record<string, unknown> = { ...validHeader(), [field]: value };
        const assertion = await signJson(header, validClaims(), byAttacker ? attacker : rsa);
        const reply = await post(JSON.stringify(exchangeBody(fed, server, assertion)));
        assert.ok(reply.status < 500, `5xx for ${field} = ${JSON.stringify(value)}: ${reply.text}`);
        // The real key over a header that still names it with RS256 and no crit/cty: legitimately valid.
        const stillValid =
          !byAttacker &&
          header.alg === 'RS256' &&
          header.kid === rsa.kid &&
          header.crit === undefined &&
          !(typeof header.cty === 'string' && header.cty.toUpperCase() === 'JWT');
        if (!stillValid)
          assert.equal(reply.status, 401, `token or odd status for ${field} = ${JSON.stringify(value)} (attacker: ${byAttacker}): ${reply.text.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('random JSON and form bodies never produce a 5xx or a token', async () => {
    const fieldValue = fc.oneof(
      jsonish,
      fc.constant(fed.rule.id),
      fc.constant(server.organizationId),
      fc.constant('urn:ietf:params:oauth:grant-type:jwt-bearer'),
      fc.string({ maxLength: 64 }),
    );
    const body = fc.oneof(
      jsonish.map((v) => JSON.stringify(v)),
      fc
        .dictionary(
          fc.constantFrom('grant_type', 'assertion', 'federation_rule_id', 'organization_id', 'service_account_id', 'workspace_id', '__proto__', 'x'),
          fieldValue,
        )
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), async (text, type) => {
        const reply = await post(text, type);
        assert.ok(reply.status >= 400 && reply.status < 500, `${reply.status} for ${type} ${text.slice(0, 200)}: ${reply.text.slice(0, 200)}`);
        assert.equal(reply.text.includes('access_token'), false);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('the JWT parser: any string is verified or denied with ExchangeDenied, never another error', async () => {
    const issuerRecord: Issuer = { ...fed.issuer, jwks: { type: 'inline', keys: [rsa.publicJwk as Record<string, unknown>] } };
    const keys = new IssuerKeyCache({ policy: new OutboundPolicy([]) });
    const token = await issuer.sign(validClaims());
    const fragment = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(...token.split('.'), '.', '..', 'eyJ', '=', '%'),
      jsonish.map((v) => b64url(JSON.stringify(v) ?? '')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 6 }), async (pieces) => {
        const input = pieces.join('');
        try {
          await verifyAssertion(input, issuerRecord, keys, nowS());
          assert.equal(input, token, `verified something that is not the valid token: ${input.slice(0, 200)}`);
        } catch (err) {
          assert.ok(err instanceof ExchangeDenied, `${(err as Error).name}: ${(err as Error).message} for ${input.slice(0, 200)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('after fuzzing the rule minted nothing and a valid assertion still works', async () => {
    const page = await server.stores.authEvents.list(server.organizationId, {
      limit: 100,
      cursor: null,
      ruleId: fed.rule.id,
      outcome: 'success',
      reason: null,
    });
    const legit = page.items.length;
    const reply = await post(JSON.stringify(exchangeBody(fed, server, await issuer.sign(validClaims()))));
    assert.equal(reply.status, 200, reply.text);
    // Only the header-fuzz property may legitimately mint (real key, still-valid header).
    assert.ok(legit <= RUNS, `${legit} successes`);
  });
});
