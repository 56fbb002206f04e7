import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../lib/load.ts';
import { adminPost } from '../lib/federation.ts';
import { bundledBaseline, startChild, startOpenWif } from '../lib/processes.ts';
import type { BenchContext } from '../lib/context.ts';

const TRIVIAL = new URL('../baselines/trivial-server.ts', import.meta.url).pathname;

async function timeStart(start: () => Promise<{ stop(): Promise<void> }>): Promise<number> {
  const began = performance.now();
  const child = await start();
  const ms = performance.now() - began;
  await child.stop();
  return ms;
}

/**
 * `openwif serve` from process spawn to its "listening on" line, on a database that already
 * exists and holds a configuration (issuers, rules), against the trivial fastify server built and
 * started the same way (one bundle, plain node): the part of start-up that is ours.
 */
export async function measureStartup(r: BenchContext): Promise<void> {
  const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'openwif-startup-')), 'db.sqlite')}`;
  const rules = r.quick ? 10 : 1_000;
  const first = await startOpenWif({ databaseUrl });
  try {
    const account = await adminPost(first.url, '/v1/organizations/service_accounts', { name: 'startup' });
    const issuer = await adminPost(first.url, '/v1/organizations/federation_issuers', {
      name: 'startup',
      issuer_url: 'https://startup.example',
      jwks: {
        type: 'inline',
        keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }],
      },
    });
    for (let i = 0; i < rules; i++) {
      await adminPost(first.url, '/v1/organizations/federation_rules', {
        name: `startup-${i}`,
        issuer_id: issuer.id,
        match: { subject_prefix: `workload-${i}`, audience: 'https://api.anthropic.com' },
        target: { type: 'service_account', service_account_id: account.id },
        oauth_scope: 'workspace:inference',
        applies_to_all_workspaces: true,
      });
    }
  } finally {
    await first.stop();
  }
  const trivialBundle = await bundledBaseline(TRIVIAL, 'trivial-server');
  const runs = r.quick ? 1 : 5;
  const openwif: number[] = [];
  const trivial: number[] = [];
  for (let i = 0; i < runs; i++) {
    trivial.push(await timeStart(() => startChild([trivialBundle], {})));
    openwif.push(await timeStart(() => startOpenWif({ databaseUrl })));
  }
  const spread = (xs: number[]) => `${r.fmt(median(xs))} (${r.fmt(Math.min(...xs))}–${r.fmt(Math.max(...xs))})`;
  r.say(`| Process (spawn → listening, ${runs} run(s)) | ms |`);
  r.say('| --- | --- |');
  r.say(`| trivial fastify server, bundled the same way (baseline) | ${spread(trivial)} |`);
  r.say(`| \`openwif serve\`, existing SQLite database with ${rules.toLocaleString('en-US')} rules | ${spread(openwif)} |`);
  r.say();
  r.say(
    `\`openwif serve\` is ready in **${r.fmt(median(openwif))} ms** (target ≤ 1 500 ms), ${(median(openwif) / median(trivial)).toFixed(2)}× the trivial server's start built the same way.`,
  );
}
