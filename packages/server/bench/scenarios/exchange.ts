import { compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import { presign, jwt } from '../lib/assertions.ts';
import { exchangeBody, setUpFederation, type BenchAlg } from '../lib/federation.ts';
import { load, type LoadResult } from '../lib/load.ts';
import { pacedLoad } from '../lib/paced-load.ts';
import { startChild, startOpenWif, type ChildServer } from '../lib/processes.ts';

const BASELINES = new URL('../baselines/', import.meta.url).pathname;

export interface ExchangeRun {
  label: string;
  result: LoadResult;
}

/** Serves `count` pre-signed bodies round-robin; each is used once unless the run outlasts the pool. */
function pool(bodies: string[]): () => string {
  let i = 0;
  return () => bodies[i++ % bodies.length]!;
}

export async function measureOpenWif(
  server: ChildServer,
  alg: BenchAlg,
  /** With `rate`: open-loop arrivals at that rate (latency at a given load); without: as fast as `connections` allow. */
  opts: { seconds: number; connections: number; expectedRps: number; tag: string; rate?: number },
): Promise<LoadResult> {
  const fed = await setUpFederation(server.url, alg, opts.tag);
  const count = Math.ceil(opts.expectedRps * opts.seconds * 1.3) + 100;
  const assertions = await presign(count, fed.sign);
  const body = pool(assertions.map((a) => exchangeBody(fed, a)));
  const url = `${server.url}/v1/oauth/token`;
  if (opts.rate) return pacedLoad({ url, rate: opts.rate, seconds: opts.seconds, body });
  return load({ url, seconds: opts.seconds, connections: opts.connections, body });
}

/**
 * Baseline (a): the same HTTP stack doing nothing. Closed loop by default; with `rate`, open-loop
 * at that rate: the latency floor of the load generator, the HTTP stack and this machine.
 */
export async function measureTrivial(opts: { seconds: number; connections: number; rate?: number }): Promise<LoadResult> {
  const server = await startChild(['--import', 'tsx', `${BASELINES}trivial-server.ts`], {});
  try {
    const body = JSON.stringify({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'x'.repeat(800) });
    const url = `${server.url}/v1/oauth/token`;
    if (opts.rate) return await pacedLoad({ url, rate: opts.rate, seconds: opts.seconds, body: () => body });
    return await load({ url, seconds: opts.seconds, connections: opts.connections, body: () => body });
  } finally {
    await server.stop();
  }
}

/** Baseline (b): raw jose signature verifications per second, 64 in flight, in this process. */
export async function measureVerifyRate(alg: BenchAlg, seconds: number): Promise<number> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const key = await importJWK(await exportJWK(publicKey), alg);
  const token = await jwt({ sub: 'x', iat: 1, exp: 2 }, privateKey, { alg, kid: 'k' });
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < deadline) {
        await compactVerify(token, key);
        done++;
      }
    }),
  );
  return done / seconds;
}

/** Baseline (c): oidc-provider, client_credentials + private_key_jwt, opaque tokens. */
export async function measureOidcProvider(
  alg: BenchAlg,
  /** `warmupSeconds`: load before the measured run, as run.ts gives OpenWIF, so that neither is measured with a cold JIT. */
  opts: { seconds: number; warmupSeconds: number; connections: number; expectedRps: number },
): Promise<LoadResult> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'client-key', alg, use: 'sig' };
  const server = await startChild(['--import', 'tsx', `${BASELINES}oidc-provider-server.ts`], { BENCH_CLIENT_JWK: JSON.stringify(jwk), BENCH_ALG: alg });
  try {
    const tokenEndpoint = `${server.url}/token`;
    const now = Math.floor(Date.now() / 1000);
    const run = async (seconds: number) => {
      const count = Math.ceil(opts.expectedRps * seconds * 1.3) + 100;
      const assertions = await presign(count, (i) =>
        jwt({ iss: 'bench-client', sub: 'bench-client', aud: tokenEndpoint, iat: now, exp: now + 600, jti: `c-${i}-${Math.random()}` }, privateKey, {
          alg,
          kid: 'client-key',
        }),
      );
      const bodies = assertions.map((a) =>
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'bench-client',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: a,
        }).toString(),
      );
      return load({
        url: tokenEndpoint,
        seconds,
        connections: opts.connections,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: pool(bodies),
      });
    };
    await run(opts.warmupSeconds);
    return await run(opts.seconds);
  } finally {
    await server.stop();
  }
}

export { startOpenWif };
