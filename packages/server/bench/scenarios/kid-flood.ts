import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { JWKS_DEFAULTS } from '../../src/trust/jwks-defaults.ts';
import { presign } from '../lib/assertions.ts';
import { exchangeBody, setUpFederation } from '../lib/federation.ts';
import { load, median, type LoadResult } from '../lib/load.ts';
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
    const url = `${server.url}/v1/oauth/token`;
    // Signed afresh for each run (the flood's baseline is re-measured before every flooded run).
    const valid = async (runSeconds: number) => {
      const bodies = (await presign(Math.ceil(r.expectedRps * runSeconds * 1.3) + 100, (i) => fed.sign(i))).map((a) => exchangeBody(fed, a));
      let v = 0;
      return () => load({ url, seconds: runSeconds, connections: r.connections, body: () => bodies[v++ % bodies.length]! });
    };
    const flood = (bodies: string[]) => {
      let f = 0;
      return pacedLoad({ url, rate: bodies.length / seconds, seconds, body: () => bodies[f++]! });
    };
    const badSignature = (await presign(floodCount, (i) => fed.sign(i))).map((a) => exchangeBody(fed, `${a.slice(0, -6)}AAAAAA`));
    await (
      await valid(r.warmupSeconds)
    )();

    const runs: Array<{ alone: LoadResult; withControl: LoadResult; control: PacedResult; withRandom: LoadResult; random: PacedResult; fetches: number }> = [];
    for (let rep = 0; rep < r.reps; rep++) {
      const alone = await (await valid(seconds))();
      const validWithControl = await valid(seconds);
      const [withControl, control] = await Promise.all([validWithControl(), flood(badSignature)]);
      // Kids never seen before in every run: each run is a fresh flood of unknown kids.
      const randomKid = (await presign(floodCount, (i) => fed.sign(i, `unknown-${rep}-${i}-${Math.random().toString(36).slice(2)}`))).map((a) =>
        exchangeBody(fed, a),
      );
      const validWithRandom = await valid(seconds);
      const fetchesBefore = jwks.fetches();
      const [withRandom, random] = await Promise.all([validWithRandom(), flood(randomKid)]);
      runs.push({ alone, withControl, control, withRandom, random, fetches: jwks.fetches() - fetchesBefore });
    }
    const allowed = Math.ceil((seconds * 1000) / JWKS_DEFAULTS.onDemandCooldownMs) + 1;
    const maxFetches = Math.max(...runs.map((run) => run.fetches));

    const validCell = (results: LoadResult[]) => {
      const non2xx = results.reduce((sum, result) => sum + result.non2xx, 0);
      return `${r.spread(results.map((result) => result.rps))}${non2xx ? ` (${non2xx} non-2xx)` : ''}`;
    };
    const floodCells = (results: PacedResult[]) =>
      `${results.reduce((sum, result) => sum + result.requests, 0)} (${results.reduce((sum, result) => sum + result.non2xx, 0)} refused) | ${r.spread(results.map((result) => result.p50))}`;
    r.say(
      `| Load (${r.fmt(seconds)} s each, ${runs.length} run(s)) | valid exchanges/s | flood requests, all runs (refused) | flood p50 ms | JWKS fetches per run |`,
    );
    r.say('| --- | --- | --- | --- | --- |');
    r.say(`| valid exchanges alone (baseline) | ${validCell(runs.map((run) => run.alone))} | – | – | – |`);
    r.say(
      `| + ${floodCount.toLocaleString('en-US')} known-kid, bad-signature assertions (control) | ${validCell(runs.map((run) => run.withControl))} | ${floodCells(runs.map((run) => run.control))} | – |`,
    );
    r.say(
      `| + ${floodCount.toLocaleString('en-US')} random-kid assertions | ${validCell(runs.map((run) => run.withRandom))} | ${floodCells(runs.map((run) => run.random))} | ${runs.map((run) => run.fetches).join(', ')} (allowed ≤ ${allowed}: one per 30 s cooldown) |`,
    );
    r.say();
    // Each run's flooded throughput against the baseline measured just before it, not across runs.
    const keptPercent = (pick: (run: (typeof runs)[number]) => LoadResult) => {
      const kept = runs.map((run) => Math.round((pick(run).rps / run.alone.rps) * 100));
      return `${Math.round(median(kept))} (${Math.min(...kept)}–${Math.max(...kept)})`;
    };
    r.say(
      `Under the random-kid flood valid throughput is **${keptPercent((run) => run.withRandom)} %** of the baseline (target ≥ 80 %; the control flood: ${keptPercent((run) => run.withControl)} %); the flood caused at most **${maxFetches}** JWKS fetch(es) per run (target ≤ ${allowed}).`,
    );
  } finally {
    await server.stop();
    await jwks.close();
  }
}
