import { exportJWK, generateKeyPair } from 'jose';
import { jwt, presign } from '../lib/assertions.ts';
import { adminPost, AUDIENCE, ISSUER_URL } from '../lib/federation.ts';
import { load, median, type LoadResult } from '../lib/load.ts';
import { BENCH_ADMIN_TOKEN, startOpenWif } from '../lib/processes.ts';
import type { BenchContext } from '../lib/context.ts';

const SIZES = [
  { rules: 10, issuers: 10 },
  { rules: 1_000, issuers: 10 },
  { rules: 1_000, issuers: 1_000 },
  { rules: 10_000, issuers: 1_000 },
];

/** Creates through the Admin API with a few requests in flight. */
async function createMany(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) await make(next++);
    }),
  );
}

/**
 * Exchange throughput and server RSS as the configuration grows. Rules are looked up by ID,
 * so throughput should stay flat; the measured rule is one of many on one of many issuers.
 */
export async function measureConfigScale(r: BenchContext): Promise<void> {
  r.say('| Rules | Issuers | req/s | p99 ms | vs smallest | RSS after load |');
  r.say('| --- | --- | --- | --- | --- | --- |');
  const sizes = r.quick ? SIZES.slice(0, 1) : SIZES;
  let smallest = 0;
  for (const size of sizes) {
    const server = await startOpenWif();
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' };
      const account = await adminPost(server.url, '/v1/organizations/service_accounts', { name: 'scale' });
      const issuerIds: string[] = new Array(size.issuers);
      await createMany(size.issuers, async (i) => {
        issuerIds[i] = (
          await adminPost(server.url, '/v1/organizations/federation_issuers', {
            name: `iss-${i}`,
            issuer_url: `${ISSUER_URL}/${i}`,
            jwks: { type: 'inline', keys: [jwk] },
          })
        ).id;
      });
      const ruleIds: string[] = new Array(size.rules);
      await createMany(size.rules, async (i) => {
        ruleIds[i] = (
          await adminPost(server.url, '/v1/organizations/federation_rules', {
            name: `rule-${i}`,
            issuer_id: issuerIds[i % size.issuers],
            match: { subject_prefix: `workload-${i}`, audience: AUDIENCE },
            target: { type: 'service_account', service_account_id: account.id },
            oauth_scope: 'workspace:inference',
            applies_to_all_workspaces: true,
          })
        ).id;
      });
      const me = await (await fetch(`${server.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } })).json();
      const target = size.rules - 1;
      const issuerIndex = target % size.issuers;
      const now = Math.floor(Date.now() / 1000);
      let signed = 0;
      const run = async (seconds: number) => {
        const assertions = await presign(Math.ceil(r.expectedRps * seconds * 1.3) + 100, () =>
          jwt(
            { iss: `${ISSUER_URL}/${issuerIndex}`, sub: `workload-${target}`, aud: AUDIENCE, iat: now, exp: now + 900, jti: `s-${signed++}-${Math.random()}` },
            privateKey,
            { alg: 'ES256', kid: 'k1' },
          ),
        );
        const bodies = assertions.map((a) =>
          JSON.stringify({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: a,
            federation_rule_id: ruleIds[target],
            organization_id: me.id,
          }),
        );
        let i = 0;
        return load({ url: `${server.url}/v1/oauth/token`, seconds, connections: r.connections, body: () => bodies[i++ % bodies.length]! });
      };
      await run(r.warmupSeconds);
      const results: LoadResult[] = [];
      for (let rep = 0; rep < r.reps; rep++) results.push(await run(r.seconds));
      const rps = median(results.map((x) => x.rps));
      const non2xx = results.reduce((sum, x) => sum + x.non2xx + x.errors, 0);
      smallest ||= rps;
      r.say(
        `| ${size.rules.toLocaleString('en-US')} | ${size.issuers.toLocaleString('en-US')} | ${r.spread(results.map((x) => x.rps))}${non2xx ? ` (${non2xx} non-2xx or errors)` : ''} | ${r.spread(results.map((x) => x.p99))} | ${(rps / smallest).toFixed(2)} | ${server.rssMb()} MB |`,
      );
    } finally {
      await server.stop();
    }
  }
}
