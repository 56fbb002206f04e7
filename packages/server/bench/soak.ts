/**
 * Soak test: sustained mixed load against `openwif serve` (a child process on loopback, SQLite),
 * reporting errors, throughput, latency and the server's RSS over time. Memory should stay flat.
 *
 *   node --import tsx bench/soak.ts [--minutes 10] [--workers 8] [--sample-seconds 10]
 *
 * Load mix per request: 70 % exchanges that succeed, 10 % exchanges that are denied (bad
 * signature), 20 % Admin API reads (lists, /me with a minted token). No gateway traffic.
 */
import { randomUUID } from 'node:crypto';
import { BENCH_ADMIN_TOKEN, startOpenWif, type ChildServer } from './lib/processes.ts';
import { TestIssuer } from '../test/helpers/test-issuer.ts';

const LIMITS = { minutes: [0.1, 24 * 60], workers: [1, 64], sampleSeconds: [1, 600] } as const;
const AUDIENCE = 'https://api.anthropic.com';
const SUBJECT = 'workload-soak';

interface Options {
  minutes: number;
  workers: number;
  sampleSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { minutes: 10, workers: 8, sampleSeconds: 10 };
  const flags: Record<string, keyof Options> = { '--minutes': 'minutes', '--workers': 'workers', '--sample-seconds': 'sampleSeconds' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = flags[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key) throw new Error(`unknown option ${argv[i]} (known: ${Object.keys(flags).join(', ')})`);
    const [min, max] = LIMITS[key];
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${argv[i]} must be a number in ${min}..${max}`);
    options[key] = key === 'minutes' ? value : Math.floor(value);
  }
  return options;
}

/** Counts for one sampling window. */
class Window {
  requests = 0;
  errors = 0;
  latencies: number[] = [];
  byKind: Record<string, number> = {};
  errorSamples: string[] = [];

  record(kind: string, ms: number, ok: boolean, detail: string): void {
    this.requests++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (this.latencies.length < 100_000) this.latencies.push(ms);
    if (!ok) {
      this.errors++;
      if (this.errorSamples.length < 3) this.errorSamples.push(`${kind}: ${detail.slice(0, 160)}`);
    }
  }

  percentile(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
  }
}

async function admin(server: ChildServer, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const issuer = await TestIssuer.start(['ES256']);
  const server = await startOpenWif();
  const stopAt = Date.now() + options.minutes * 60_000;
  try {
    const organizationId = (await admin(server, 'GET', '/v1/organizations/me')).id as string;
    const iss = await admin(server, 'POST', '/v1/organizations/federation_issuers', { name: 'soak-issuer', issuer_url: issuer.url });
    const account = await admin(server, 'POST', '/v1/organizations/service_accounts', { name: 'soak-sa' });
    const rule = await admin(server, 'POST', '/v1/organizations/federation_rules', {
      name: 'soak-rule',
      issuer_id: iss.id,
      match: { subject_prefix: SUBJECT },
      oauth_scope: 'workspace:developer',
      target: { type: 'service_account', service_account_id: account.id },
      applies_to_all_workspaces: true,
    });
    const exchangeBody = (assertion: string) =>
      JSON.stringify({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, federation_rule_id: rule.id, organization_id: organizationId });
    const tokens: string[] = [];
    let window = new Window();
    const totals = { requests: 0, errors: 0 };

    async function timed(kind: string, expected: number, request: () => Promise<Response>): Promise<Response | null> {
      const started = performance.now();
      try {
        const res = await request();
        const text = await res.text();
        window.record(kind, performance.now() - started, res.status === expected, `${res.status} ${text}`);
        return res.status === expected ? new Response(text, { status: res.status }) : null;
      } catch (err) {
        window.record(kind, performance.now() - started, false, (err as Error).message);
        return null;
      }
    }

    const adminReads = [
      '/v1/organizations/service_accounts?limit=20',
      '/v1/organizations/federation_rules?limit=20',
      '/v1/organizations/workspaces?limit=20',
      `/v1/organizations/federation_rules/${rule.id}`,
    ];
    async function worker(id: number): Promise<void> {
      for (let i = 0; Date.now() < stopAt; i++) {
        const roll = (i * 7 + id * 13) % 10;
        if (roll < 7) {
          const assertion = await issuer.sign({ sub: SUBJECT, aud: AUDIENCE, jti: randomUUID() }, { key: issuer.key('ES256') });
          const res = await timed('exchange', 200, () =>
            fetch(`${server.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: exchangeBody(assertion) }),
          );
          if (res) {
            const token = ((await res.json()) as { access_token: string }).access_token;
            tokens[i % 100] = token;
          }
        } else if (roll < 8) {
          const assertion = await issuer.sign({ sub: SUBJECT, aud: AUDIENCE, jti: randomUUID() }, { key: issuer.key('ES256') });
          await timed('denied', 401, () =>
            fetch(`${server.url}/v1/oauth/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: exchangeBody(`${assertion.slice(0, -6)}AAAAAA`),
            }),
          );
        } else if (roll < 9 && tokens.length > 0) {
          const token = tokens[i % tokens.length]!;
          await timed('me', 200, () => fetch(`${server.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${token}` } }));
        } else {
          const path = adminReads[i % adminReads.length]!;
          await timed('admin-read', 200, () => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } }));
        }
      }
    }

    const startedAt = Date.now();
    const samples: Array<{ atSeconds: number; rps: number; errors: number; p50: number; p99: number; rssMb: number }> = [];
    console.log(`soak: ${options.minutes} min, ${options.workers} workers, server ${server.url}, start RSS ${server.rssMb()} MB`);
    console.log('  t(s)    req/s  errors   p50ms   p99ms  rssMB  mix');
    const sampler = setInterval(() => {
      const w = window;
      window = new Window();
      totals.requests += w.requests;
      totals.errors += w.errors;
      const sample = {
        atSeconds: Math.round((Date.now() - startedAt) / 1000),
        rps: Math.round(w.requests / options.sampleSeconds),
        errors: w.errors,
        p50: w.percentile(50),
        p99: w.percentile(99),
        rssMb: server.rssMb(),
      };
      samples.push(sample);
      console.log(
        `${String(sample.atSeconds).padStart(6)} ${String(sample.rps).padStart(8)} ${String(sample.errors).padStart(7)} ${String(sample.p50).padStart(7)} ${String(sample.p99).padStart(7)} ${String(sample.rssMb).padStart(6)}  ${JSON.stringify(w.byKind)}`,
      );
      for (const e of w.errorSamples) console.log(`        error: ${e}`);
    }, options.sampleSeconds * 1000);
    await Promise.all(Array.from({ length: options.workers }, (_, id) => worker(id)));
    clearInterval(sampler);
    totals.requests += window.requests;
    totals.errors += window.errors;

    // Flat memory: compare the RSS after warm-up (first quarter) with the end.
    const warm = samples[Math.floor(samples.length / 4)]?.rssMb ?? 0;
    const last = samples.at(-1)?.rssMb ?? 0;
    const summary = {
      minutes: options.minutes,
      requests: totals.requests,
      errors: totals.errors,
      averageRps: Math.round(totals.requests / ((Date.now() - startedAt) / 1000)),
      rssMb: { afterWarmup: warm, end: last, max: Math.max(...samples.map((s) => s.rssMb)), growthAfterWarmup: last - warm },
      p99MsWorstWindow: Math.max(...samples.map((s) => s.p99)),
    };
    console.log(JSON.stringify(summary, null, 2));
    if (totals.errors > 0) process.exitCode = 1;
  } finally {
    await server.stop();
    await issuer.close();
  }
}

await main();
