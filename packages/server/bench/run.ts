// npm run bench [-- --quick] [--seconds N] [--reps N] [--only exchange,latency,stages,gateway,scale,flood,startup] [--write]
// Loopback only, bounded in time. Every figure is reported next to a baseline measured in the
// same run, because these machines are noisy; --write replaces the results in BENCHMARKS.md.
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { median, type LoadResult } from './lib/load.ts';
import { measureOidcProvider, measureOpenWif, measureTrivial, measureVerifyRate, startOpenWif } from './scenarios/exchange.ts';
import { measureConfigScale } from './scenarios/config-scale.ts';
import { measureGateway } from './scenarios/gateway.ts';
import { measureKidFlood } from './scenarios/kid-flood.ts';
import { measureStartup } from './scenarios/startup.ts';
import { measureStages } from './scenarios/stages.ts';
import type { BenchContext } from './lib/context.ts';
import type { BenchAlg } from './lib/federation.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = flag('quick');
const seconds = option('seconds', quick ? 1 : 8);
const reps = option('reps', quick ? 1 : 3);
const connections = 32;
const expectedRps = 6000;
const warmupSeconds = Math.min(2, seconds);
const onlyArg = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1]!.split(',') : null;
const wanted = (s: string) => onlyArg === null || onlyArg.includes(s);
const algs: BenchAlg[] = quick ? ['ES256'] : ['RS256', 'ES256'];
const PG_URL = 'postgres://postgres@127.0.0.1:5432/';

const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  process.stdout.write(`${line}\n`);
};
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const spread = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

const context: BenchContext = { seconds, connections, reps, warmupSeconds, expectedRps, quick, say, fmt, spread };

async function repeat(fn: () => Promise<LoadResult>): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (let i = 0; i < reps; i++) results.push(await fn());
  return results;
}

async function withPostgres<T>(fn: (databaseUrl: string) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const name = `openwif_bench_${Date.now()}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: `${PG_URL}postgres` });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    return await fn(`${PG_URL}${name}`);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

say(`# Benchmark run ${new Date().toISOString()}`);
say();
say(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Load: autocannon, ${connections} connections, ${seconds} s per run, ${reps} run(s) each; median (min–max).`,
);
say(`Command: \`npm run bench -- ${args.join(' ')}\``);

if (wanted('exchange') || wanted('latency')) {
  say();
  say('## 1. Exchange throughput (`POST /v1/oauth/token`, unique jti per request)');
  say();
  const trivial = await repeat(() => measureTrivial({ seconds, connections }));
  const ceiling = median(trivial.map((r) => r.rps));
  say('| Server | Alg | req/s | p50 ms | p99 ms | vs (a) ceiling | vs (c) oidc-provider |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  say(
    `| (a) trivial JSON POST, fastify | – | ${spread(trivial.map((r) => r.rps))} | ${spread(trivial.map((r) => r.p50))} | ${spread(trivial.map((r) => r.p99))} | 1.00 | – |`,
  );
  for (const alg of algs) {
    const verify = await measureVerifyRate(alg, Math.max(1, seconds / 2));
    const peer = await repeat(() => measureOidcProvider(alg, { seconds, warmupSeconds, connections, expectedRps }));
    const peerRps = median(peer.map((r) => r.rps));
    say(`| (b) jose verify only, 64 in flight | ${alg} | ${fmt(verify)} | – | – | ${(verify / ceiling).toFixed(2)} | – |`);
    say(
      `| (c) oidc-provider client_credentials + private_key_jwt | ${alg} | ${spread(peer.map((r) => r.rps))} | ${spread(peer.map((r) => r.p50))} | ${spread(peer.map((r) => r.p99))} | ${(peerRps / ceiling).toFixed(2)} | 1.00 |`,
    );
    const backends: Array<[string, (fn: (s: Awaited<ReturnType<typeof startOpenWif>>) => Promise<void>) => Promise<void>]> = [
      [
        'OpenWIF, SQLite',
        async (fn) => {
          const s = await startOpenWif();
          try {
            await fn(s);
          } finally {
            await s.stop();
          }
        },
      ],
    ];
    if (!quick) {
      backends.push([
        'OpenWIF, PostgreSQL + Redis',
        (fn) =>
          withPostgres(async (databaseUrl) => {
            const s = await startOpenWif({ databaseUrl, redisUrl: 'redis://127.0.0.1:6379' });
            try {
              await fn(s);
            } finally {
              await s.stop();
            }
          }),
      ]);
    }
    for (const [label, run] of backends) {
      await run(async (server) => {
        await measureOpenWif(server, alg, { seconds: warmupSeconds, connections, expectedRps, tag: 'warm-up' });
        let n = 0;
        const results = await repeat(() => measureOpenWif(server, alg, { seconds, connections, expectedRps, tag: `t${n++}` }));
        const rps = median(results.map((r) => r.rps));
        const errors = results.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
        say(
          `| ${label}${errors ? ` (${errors} errors)` : ''} | ${alg} | ${spread(results.map((r) => r.rps))} | ${spread(results.map((r) => r.p50))} | ${spread(results.map((r) => r.p99))} | ${(rps / ceiling).toFixed(2)} | ${(rps / peerRps).toFixed(2)} |`,
        );
        if (wanted('latency') && label.includes('SQLite')) {
          const half = await repeat(() =>
            measureOpenWif(server, alg, {
              seconds,
              connections,
              expectedRps: rps / 2,
              tag: `half${n++}`,
              rate: Math.max(1, Math.floor(rps / 2)),
            }),
          );
          say(
            `| ↳ same, at half the max rate (${fmt(rps / 2)} req/s) | ${alg} | ${spread(half.map((r) => r.rps))} | ${spread(half.map((r) => r.p50))} | **${spread(half.map((r) => r.p99))}** | – | – |`,
          );
          const floor = await repeat(() => measureTrivial({ seconds, connections, rate: Math.max(1, Math.floor(rps / 2)) }));
          say(
            `| ↳ (a) at the same rate: the floor of load generator, HTTP stack and machine | – | ${spread(floor.map((r) => r.rps))} | ${spread(floor.map((r) => r.p50))} | ${spread(floor.map((r) => r.p99))} | – | – |`,
          );
        }
      });
    }
  }
}

/** The scenarios after the exchange table, in report order: --only name, heading, measurement. */
const SCENARIOS: Array<[string, string, (context: BenchContext) => Promise<void>]> = [
  ['stages', '## Where the time goes: one exchange, stage by stage (in-process, SQLite file, ES256)', measureStages],
  ['gateway', '## 3. Gateway auth overhead (`POST /v1/messages` to a trivial loopback upstream)', measureGateway],
  ['scale', '## 4. Scale of configuration (SQLite, ES256)', measureConfigScale],
  ['flood', '## 5. Unknown-kid flood (SQLite, ES256, keys from a loopback JWKS URL)', measureKidFlood],
  ['startup', '## 6. Start-up', measureStartup],
];
for (const [name, heading, measure] of SCENARIOS) {
  if (!wanted(name)) continue;
  say();
  say(heading);
  say();
  await measure(context);
}

if (flag('write')) {
  const path = new URL('../../../BENCHMARKS.md', import.meta.url);
  const current = readFileSync(path, 'utf8');
  const marker = '<!-- results -->';
  const head = current.includes(marker) ? current.slice(0, current.indexOf(marker) + marker.length) : `${current.trimEnd()}\n\n${marker}`;
  writeFileSync(path, `${head}\n\n${out.join('\n')}\n`);
}
