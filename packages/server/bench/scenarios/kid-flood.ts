import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { JWKS_DEFAULTS } from '../../src/trust/jwks-defaults.ts';
import { presign } from '../lib/assertions.ts';
import { exchangeBody, setUpFederation } from '../lib/federation.ts';
import { load, type LoadResult } from '../lib/load.ts';
import { pacedLoad, type PacedResult } from '../lib/paced-load.ts';
import { startOpenWif } from '../lib/processes.ts';
import type { BenchContext } from '../lib/context.ts';

/** Flood requests per second: 10 000 of them take 10 s, alongside the valid load. */
const FLOOD_RATE = 1_000;
const KID = 'flood-k1';

/** A loopback JWKS endpoint that counts how often the server fetches it. */
async function startCountingJwks(jwk: object): Promise<{ url: string; fetches: () => number; close(): Promise<void> }> {
  let fetches = 0;
  const server = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Valid exchanges at full speed, alone and then alongside a paced flood of 10 000 assertions
 * whose `kid` the issuer never published. A control flood of the same size and rate carries the
 * real `kid` with a broken signature: it costs the server a denial too, but no JWKS lookup, so
 * "random kid vs control" isolates what unknown kids add (refetches), and "random kid vs alone"
 * is the whole effect on valid traffic.
 */
export async function measureKidFlood(r: BenchContext): Promise<void> {
  const keyPair = await generateKeyPair('ES256', { extractable: true });
  const jwks = await startCountingJwks({ ...(await exportJWK(keyPair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' });
  const server = await startOpenWif();
  try {
    const fed = await setUpFederation(server.url, 'ES256', 'flood', { type: 'explicit_url', url: jwks.url, kid: KID, keyPair });
    const floodCount = r.quick ? 1_000 : 10_000;
    const seconds = Math.max(r.seconds, floodCount / FLOOD_RATE);
    const validBodies = (await presign(Math.ceil(3000 * (seconds * 3.5 + r.warmupSeconds)) + 100, (i) => fed.sign(i))).map((a) => exchangeBody(fed, a));
    const randomKid = (await presign(floodCount, (i) => fed.sign(i, `unknown-${i}-${Math.random().toString(36).slice(2)}`))).map((a) => exchangeBody(fed, a));
    const badSignature = (await presign(floodCount, (i) => fed.sign(i))).map((a) => exchangeBody(fed, `${a.slice(0, -6)}AAAAAA`));

    let v = 0;
    const valid = (runSeconds = seconds) =>
      load({ url: `${server.url}/v1/oauth/token`, seconds: runSeconds, connections: r.connections, body: () => validBodies[v++ % validBodies.length]! });
    const flood = (bodies: string[]) => {
      let f = 0;
      return pacedLoad({ url: `${server.url}/v1/oauth/token`, rate: bodies.length / seconds, seconds, body: () => bodies[f++]! });
    };
    await valid(r.warmupSeconds);
    const alone = await valid();
    const [withControl, control] = await Promise.all([valid(), flood(badSignature)]);
    const fetchesBefore = jwks.fetches();
    const [withRandom, random] = await Promise.all([valid(), flood(randomKid)]);
    const fetches = jwks.fetches() - fetchesBefore;
    const allowed = Math.ceil((seconds * 1000) / JWKS_DEFAULTS.onDemandCooldownMs) + 1;

    const row = (label: string, validRun: LoadResult, floodRun: PacedResult | null, extra: string) =>
      r.say(
        `| ${label} | ${r.fmt(validRun.rps)}${validRun.non2xx ? ` (${validRun.non2xx} non-2xx)` : ''} | ${floodRun ? `${floodRun.requests} (${floodRun.non2xx} refused)` : '–'} | ${floodRun ? r.fmt(floodRun.p50) : '–'} | ${extra} |`,
      );
    r.say(`| Load (${r.fmt(seconds)} s each) | valid exchanges/s | flood requests (refused) | flood p50 ms | JWKS fetches |`);
    r.say('| --- | --- | --- | --- | --- |');
    row('valid exchanges alone (baseline)', alone, null, '–');
    row(`+ ${floodCount.toLocaleString('en-US')} known-kid, bad-signature assertions (control)`, withControl, control, '–');
    row(`+ ${floodCount.toLocaleString('en-US')} random-kid assertions`, withRandom, random, `${fetches} (allowed ≤ ${allowed}: one per 30 s cooldown)`);
    r.say();
    r.say(
      `Under the random-kid flood valid throughput is **${((withRandom.rps / alone.rps) * 100).toFixed(0)} %** of the baseline (target ≥ 80 %) and **${((withRandom.rps / withControl.rps) * 100).toFixed(0)} %** of the control flood's; the flood caused **${fetches}** JWKS fetch(es) (target ≤ ${allowed}).`,
    );
  } finally {
    await server.stop();
    await jwks.close();
  }
}
