import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { bootstrap } from '../../src/bootstrap.ts';
import { newId } from '../../src/domain/ids.ts';
import type { AuthEvent, Issuer, Rule, ServiceAccount } from '../../src/domain/types.ts';
import { parseExchangeRequest } from '../../src/exchange/parse-request.ts';
import { resolveTarget } from '../../src/exchange/resolve-target.ts';
import { RuleMatcherCache } from '../../src/exchange/rule-matchers.ts';
import { ConfigCache } from '../../src/storage/config-cache.ts';
import { verifyAssertion } from '../../src/exchange/verify-assertion.ts';
import { openStores } from '../../src/storage/open-store.ts';
import { newAccessToken } from '../../src/tokens/mint-token.ts';
import { IssuerKeyCache } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { jwt, presign } from '../lib/assertions.ts';
import { AUDIENCE, ISSUER_URL } from '../lib/federation.ts';
import type { BenchContext } from '../lib/context.ts';

/** Runs `op` sequentially for `ms` and returns microseconds per call. */
async function perCall(ms: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) await op(n++);
  return ((performance.now() - start) * 1000) / n;
}

/**
 * The exchange's stages one at a time, in this process, with the real components (SQLite file,
 * key cache, compiled rule): what one exchange costs where, without HTTP or concurrency.
 */
export async function measureStages(r: BenchContext): Promise<void> {
  const ms = Math.max(300, r.seconds * 250);
  const stores = await openStores(`sqlite:${join(mkdtempSync(join(tmpdir(), 'openwif-stages-')), 'db.sqlite')}`);
  try {
    const { organization } = await bootstrap(stores, null, new Date());
    const now = new Date().toISOString();
    const audited = { created_at: now, updated_at: now, archived_at: null, created_by_actor_id: null, updated_by_actor_id: null, archived_by_actor_id: null };
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const issuer: Issuer = {
      ...audited,
      id: newId('issuer'),
      organization_id: organization.id,
      name: 'stages',
      issuer_url: ISSUER_URL,
      jwks: { type: 'inline', keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] },
      check_jti: true,
      max_jwt_lifetime_seconds: 3600,
      jwks_polling_disabled_at: null,
      poll_status: null,
    };
    const account: ServiceAccount = {
      ...audited,
      id: newId('serviceAccount'),
      organization_id: organization.id,
      name: 'stages',
      description: null,
      organization_role: 'developer',
    };
    const rule: Rule = {
      ...audited,
      id: newId('rule'),
      organization_id: organization.id,
      name: 'stages',
      description: null,
      issuer_id: issuer.id,
      match: { subject_prefix: 'bench-workload', audience: AUDIENCE },
      target_service_account_id: account.id,
      oauth_scope: 'workspace:inference',
      token_lifetime_seconds: 600,
      applies_to_all_workspaces: true,
      workspace_ids: [],
    };
    await stores.issuers.insert(issuer);
    await stores.serviceAccounts.insert(account);
    await stores.rules.insert(rule);
    const keys = new IssuerKeyCache({ policy: new OutboundPolicy([]) });
    const matching = new RuleMatcherCache({ defaultAudiences: [AUDIENCE] });
    const config = new ConfigCache(stores);
    const t = Math.floor(Date.now() / 1000);
    const [assertion] = await presign(1, () =>
      jwt({ iss: ISSUER_URL, sub: 'bench-workload', aud: AUDIENCE, iat: t, exp: t + 900, jti: 'j' }, privateKey, { alg: 'ES256', kid: 'k1' }),
    );
    const body = {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: assertion!,
      federation_rule_id: rule.id,
      organization_id: organization.id,
    };
    const bodyText = JSON.stringify(body);
    const claims = (await verifyAssertion(assertion!, issuer, keys, t)).claims;
    const event = (i: number): AuthEvent => ({
      id: newId('event'),
      organization_id: organization.id,
      created_at: new Date().toISOString(),
      request_id: `req_${i}`,
      outcome: 'success',
      reason: null,
      detail: null,
      federation_rule_id: rule.id,
      issuer_id: issuer.id,
      subject: 'bench-workload',
      jti: `j${i}`,
      requested_service_account_id: null,
      service_account_id: account.id,
      workspace_id: null,
      claims,
      ip_address: '127.0.0.1',
      user_agent: 'bench',
    });
    const mint = (i: number) => {
      const token = newAccessToken(new Date(), 600);
      return stores.ledger.recordMint({
        replay: { issuerId: issuer.id, jti: `stage-${i}-${Math.random()}`, expiresAt: new Date(Date.now() + 900_000).toISOString() },
        tokenHash: token.tokenHash,
        grant: {
          organization_id: organization.id,
          workspace_id: 'w',
          service_account_id: account.id,
          scopes: ['workspace:inference'],
          rule_id: rule.id,
          issuer_id: issuer.id,
          subject: 's',
          created_at: token.createdAt,
          expires_at: token.expiresAt,
        },
        event: event(i),
      });
    };

    // The first write starts the SQLite writer thread; that is start-up, not a stage.
    await mint(-1);
    const rows: Array<[string, number]> = [
      ['parse: JSON body + request shape', await perCall(ms, () => parseExchangeRequest(JSON.parse(bodyText)))],
      [
        'store reads, uncached: rule + issuer + service account + workspace',
        await perCall(ms, async () => [
          await stores.rules.getById(rule.id),
          await stores.issuers.get(organization.id, issuer.id),
          await resolveTarget(rule, { serviceAccountId: null, workspaceId: null }, stores),
        ]),
      ],
      [
        'the same through a ConfigCache view (what the exchange does: 1 generation query)',
        await perCall(ms, async () => {
          const view = await config.view();
          return [
            await view.rules.getById(rule.id),
            await view.issuers.get(organization.id, issuer.id),
            await resolveTarget(rule, { serviceAccountId: null, workspaceId: null }, view),
          ];
        }),
      ],
      ['verify: ES256 signature + claims (key cached)', await perCall(ms, () => verifyAssertion(assertion!, issuer, keys, t))],
      ['policy: audience + subject prefix', await perCall(ms, () => matching.check(rule, claims))],
      ['mint + durable write, one at a time (jti + token + event, 1 commit; wall time, on the writer thread)', await perCall(ms, (i) => mint(i))],
    ];
    // Group commit: 32 concurrent mints share commits, as under load.
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        while (performance.now() - start < ms) await mint(1e6 + w * 1e5 + done++);
      }),
    );
    rows.push(['mint + durable write, 32 concurrent (group commit), wall time per exchange', ((performance.now() - start) * 1000) / done]);

    r.say('| Stage | µs per exchange |');
    r.say('| --- | --- |');
    for (const [stage, us] of rows) r.say(`| ${stage} | ${r.fmt(us)} |`);
  } finally {
    await stores.close();
  }
}
